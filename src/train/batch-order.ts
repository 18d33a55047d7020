// Which triples form micro-batch m: epoch e's data order is a shuffle seeded by (seed, e), so
// a position fixes the batch and a resumed run sees the same batches.
import { Random } from '../data/random.ts';

/** Epoch e's permutation of [0, n), seeded by (seed, e); cached per epoch. */
export function epochOrder(n: number, seed: number): (epoch: number) => Uint32Array {
  const cache = new Map<number, Uint32Array>();
  return (epoch) => {
    let o = cache.get(epoch);
    if (!o) {
      const rng = new Random([seed >>> 0, epoch >>> 0, 0x5eed, 0xfeed]);
      o = Uint32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)));
      cache.clear();
      cache.set(epoch, o);
    }
    return o;
  };
}

export interface BatchPlan {
  microPerEpoch: number; // the last partial batch is dropped
  stepsPerEpoch: number;
  /** Indices of micro-batch `micro` (counted from the start of training). */
  batch(micro: number): Uint32Array;
}

export function batchPlan(n: number, batchSize: number, gradAccumulation: number, seed: number): BatchPlan {
  const microPerEpoch = Math.floor(n / batchSize);
  const order = epochOrder(n, seed);
  return {
    microPerEpoch,
    stepsPerEpoch: Math.floor(microPerEpoch / gradAccumulation),
    batch: (micro) => {
      const at = micro % microPerEpoch;
      return order(Math.floor(micro / microPerEpoch)).subarray(at * batchSize, (at + 1) * batchSize);
    },
  };
}
