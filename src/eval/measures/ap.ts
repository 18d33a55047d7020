// AP (and AP@k, trec_eval's map_cut.k): sum of precision at the rank of each relevant
// retrieved document (within the top k), divided by ALL relevant documents judged for the
// query (not min(k, R)). A query with none scores 0.
import { countRelevant, type Judgments } from './judgments.ts';

export function averagePrecision(ranking: readonly string[], judged: Judgments, rel: number, k: number | null): number {
  const total = countRelevant(judged, rel);
  if (total === 0) return 0;
  const n = k === null ? ranking.length : Math.min(k, ranking.length);
  let hit = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if ((judged.get(ranking[i]!) ?? 0) >= rel) {
      hit++;
      sum += hit / (i + 1);
    }
  }
  return sum / total;
}
