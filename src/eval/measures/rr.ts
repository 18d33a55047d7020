// RR@k (reciprocal rank): 1 / rank of the first document with grade >= rel within the top
// k, else 0. Its mean over queries is MRR@k.
import type { Judgments } from './judgments.ts';

export function reciprocalRank(ranking: readonly string[], judged: Judgments, rel: number, k: number | null): number {
  const n = k === null ? ranking.length : Math.min(k, ranking.length);
  for (let i = 0; i < n; i++) if ((judged.get(ranking[i]!) ?? 0) >= rel) return 1 / (i + 1);
  return 0;
}
