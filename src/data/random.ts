// A small seeded PRNG for everything ftlab samples on the JS side (data order, negatives,
// reservoirs, randomisation tests): xoshiro128** seeded through splitmix32. Same seed, same
// stream, on every platform. Its state is four integers, so checkpoints can store it.

export class Random {
  #s: Uint32Array;

  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      let x = seed >>> 0;
      const next = (): number => {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.#s = new Uint32Array([next(), next(), next(), next()]);
    } else {
      this.#s = Uint32Array.from(seed);
    }
  }

  /** The state, to save and restore (new Random(state)). */
  get state(): number[] {
    return Array.from(this.#s);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
