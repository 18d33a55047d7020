// nDCG@k as trec_eval's ndcg_cut: DCG = sum_{i<=k} gain_i / log2(i + 1) with gain = the
// grade itself (not 2^g - 1; grades <= 0 give nothing), divided by the DCG of the ideal
// ordering of all judged documents. A query with no positive grade scores 0.
import type { Judgments } from './judgments.ts';

export function ndcg(ranking: readonly string[], judged: Judgments, k: number | null): number {
  const n = k === null ? ranking.length : Math.min(k, ranking.length);
  let dcg = 0;
  for (let i = 0; i < n; i++) {
    const g = judged.get(ranking[i]!) ?? 0;
    if (g > 0) dcg += g / Math.log2(i + 2);
  }
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  const m = k === null ? ideal.length : Math.min(k, ideal.length);
  let idcg = 0;
  for (let i = 0; i < m; i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}
