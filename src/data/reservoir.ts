// Uniform sampling of n items from a stream of unknown length in one pass (Vitter's
// Algorithm R): item i (0-based) replaces a random reservoir slot with probability n/(i+1).
import type { Random } from './random.ts';

export class Reservoir<T> {
  readonly items: T[] = [];
  readonly order: number[] = []; // stream position of each kept item
  seen = 0;

  constructor(
    readonly n: number,
    readonly rng: Random,
  ) {}

  /** Offers the next item; `take` makes the stored copy only when it is kept. */
  offer(take: () => T): void {
    const i = this.seen++;
    if (i < this.n) {
      this.items.push(take());
      this.order.push(i);
      return;
    }
    const j = this.rng.int(i + 1);
    if (j < this.n) {
      this.items[j] = take();
      this.order[j] = i;
    }
  }

  /** Kept items in stream order (so the sample file follows the source file). */
  inStreamOrder(): T[] {
    return this.order
      .map((o, k) => [o, k] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, k]) => this.items[k]!);
  }
}
