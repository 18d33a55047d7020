// R@k: relevant documents (grade >= rel) in the top k / all relevant documents judged for
// the query. A query with none scores 0 (trec_eval).
import { countRelevant, type Judgments } from './judgments.ts';

export function recall(ranking: readonly string[], judged: Judgments, rel: number, k: number): number {
  const total = countRelevant(judged, rel);
  if (total === 0) return 0;
  let hit = 0;
  for (let i = 0; i < Math.min(k, ranking.length); i++) if ((judged.get(ranking[i]!) ?? 0) >= rel) hit++;
  return hit / total;
}
