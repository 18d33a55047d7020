// Random negatives for training triples: uniformly from the whole collection, never a
// judged-relevant passage (hard negatives: retrieval/mining.ts, the one miner).
import type { Random } from './random.ts';

/** Draws `count` distinct passage positions uniformly from [0, size), skipping excluded ones. */
export function sampleRandomNegatives(
  size: number,
  excluded: (position: number) => boolean,
  rng: Random,
  count: number,
): number[] {
  const out = new Set<number>();
  for (let tries = 0; out.size < count && tries < 1000 * count; tries++) {
    const p = rng.int(size);
    if (!excluded(p)) out.add(p);
  }
  return [...out];
}
