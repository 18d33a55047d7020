// Negative sampling for training triples, the paper's two recipes:
//  - hard: from the model's own ranking, ranks lo..hi (1-based, inclusive), never a
//    judged-relevant passage; optionally dropping candidates that score within `margin` of
//    the positive (likely unjudged positives; sentence-transformers' mine_hard_negatives
//    offers the same guard);
//  - random: uniformly from the whole collection, never a judged-relevant passage.
import type { Random } from './random.ts';

export interface Candidate {
  docid: string;
  score: number;
}

export interface HardNegativeOptions {
  lo: number; // first rank (1-based) that may be sampled
  hi: number; // last rank (inclusive)
  count: number; // negatives to draw (without replacement)
  positiveScore?: number; // with margin: drop candidates scoring above positiveScore - margin
  margin?: number;
}

/** Draws negatives from ranking[lo-1 .. hi-1]; `judged` holds every passage judged relevant. */
export function sampleHardNegatives(
  ranking: readonly Candidate[],
  judged: ReadonlySet<string>,
  rng: Random,
  o: HardNegativeOptions,
): Candidate[] {
  const pool = ranking
    .slice(o.lo - 1, o.hi)
    .filter(
      (c) =>
        !judged.has(c.docid) &&
        (o.margin === undefined || o.positiveScore === undefined || c.score <= o.positiveScore - o.margin),
    );
  const out: Candidate[] = [];
  for (let i = 0; i < o.count && pool.length > 0; i++) out.push(pool.splice(rng.int(pool.length), 1)[0]!);
  return out;
}

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
