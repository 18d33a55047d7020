// P@k: relevant documents (grade >= rel) in the top k, divided by k even when fewer than k
// were retrieved (trec_eval's P_k).
import type { Judgments } from './judgments.ts';

export function precision(ranking: readonly string[], judged: Judgments, rel: number, k: number): number {
  let hit = 0;
  for (let i = 0; i < Math.min(k, ranking.length); i++) if ((judged.get(ranking[i]!) ?? 0) >= rel) hit++;
  return hit / k;
}
