// Judged@k (ir_measures' Judged): the share of the top k that has a judgment of any grade,
// 0 included. Divides by k even when fewer than k were retrieved, as ir_measures does. A low
// Judged@10 says unjudged passages fill the top: the metrics then count them as non-relevant
// and may understate a model that retrieves differently from the pooled systems.
import type { Judgments } from './judgments.ts';

export function judgedAt(ranking: readonly string[], judged: Judgments, k: number): number {
  let hit = 0;
  for (let i = 0; i < Math.min(k, ranking.length); i++) if (judged.has(ranking[i]!)) hit++;
  return hit / k;
}
