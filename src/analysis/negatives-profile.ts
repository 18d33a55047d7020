// How hard the negatives of a triples set are: the distribution of the base model's score of
// each negative, of its rank in the query's first-stage (BM25) run, and for hard negatives
// the margin score(positive) - score(negative) (small or negative: the negative looks as
// relevant as the positive to the base model, or a possible false negative). The caller
// scores the texts with the model; this file only summarises.
// In analysis/ because it reads the eval layer's quantile (analysis sits above eval).
//
// Quantiles are type 7 (linear between order statistics, numpy's default), as the bootstrap's.
import { rankedList, type Run } from '../data/run.ts';
import { quantileSorted } from '../eval/bootstrap.ts';

export interface Distribution {
  count: number;
  min: number;
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
  max: number;
  mean: number;
}

export interface NegativeObservation {
  negativeScore: number; // the base model's score of (query, negative)
  positiveScore?: number; // of (query, positive): gives the margin
  bm25Rank: number | null; // 1-based rank of the negative in the query's first-stage run; null: not in it
}

export interface NegativesProfile {
  triples: number;
  score: Distribution;
  bm25Rank: Distribution | null; // over the negatives found in the run; null when none is
  notInRun: number; // negatives absent from the query's run (or the query absent)
  margin: Distribution | null; // score(positive) - score(negative); null without positive scores
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) throw new Error('distribution of no values');
  if (values.some((v) => !Number.isFinite(v))) throw new Error('distribution of a non-finite value');
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => quantileSorted(s, p);
  return {
    count: s.length,
    min: s[0]!,
    p10: q(0.1),
    p25: q(0.25),
    median: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    max: s[s.length - 1]!,
    mean: values.reduce((a, x) => a + x, 0) / values.length,
  };
}

export function negativesProfile(observations: readonly NegativeObservation[]): NegativesProfile {
  if (observations.length === 0) throw new Error('no triples to profile');
  const withPositive = observations.filter((o) => o.positiveScore !== undefined).length;
  if (withPositive !== 0 && withPositive !== observations.length)
    throw new Error(`${withPositive} of ${observations.length} triples have a positive score: give all or none`);
  const ranks: number[] = [];
  for (const o of observations) {
    if (o.bm25Rank === null) continue;
    if (!(Number.isInteger(o.bm25Rank) && o.bm25Rank >= 1)) throw new Error(`BM25 rank ${o.bm25Rank} is not 1, 2, ...`);
    ranks.push(o.bm25Rank);
  }
  return {
    triples: observations.length,
    score: distribution(observations.map((o) => o.negativeScore)),
    bm25Rank: ranks.length > 0 ? distribution(ranks) : null,
    notInRun: observations.length - ranks.length,
    margin: withPositive > 0 ? distribution(observations.map((o) => o.positiveScore! - o.negativeScore)) : null,
  };
}

/** 1-based rank of each (qid, docid) in the run's evaluation order; null when absent. */
export function firstStageRanks(run: Run, pairs: readonly { qid: string; docid: string }[]): (number | null)[] {
  const byQuery = new Map<string, Map<string, number>>();
  return pairs.map(({ qid, docid }) => {
    let ranks = byQuery.get(qid);
    if (!ranks) {
      ranks = new Map(rankedList(run, qid).map((d, i) => [d, i + 1]));
      byQuery.set(qid, ranks);
    }
    return ranks.get(docid) ?? null;
  });
}
