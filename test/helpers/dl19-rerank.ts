// DL19 re-ranking of BM25's top 100 with an encoder, on the shared TREC DL files: nDCG@10 over
// the first n judged queries (bench:precision runs all 43; the precision test a sample).
import { join } from 'node:path';
import { loadCollection } from '../../src/data/collection.ts';
import { loadQrels } from '../../src/data/qrels.ts';
import { loadQueries } from '../../src/data/queries.ts';
import { loadRun, rankingToRun, type Run } from '../../src/data/run.ts';
import { evaluate } from '../../src/eval/evaluate.ts';
import { parseMetric } from '../../src/eval/metric.ts';
import type { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { rerank } from '../../src/retrieval/dense-retrieval.ts';

export interface Dl19 {
  rerankNdcg10(encoder: SentenceEncoder): { mean: number; perQuery: number[] };
  queries: number;
  passages: number;
}

export async function loadDl19(trecDl: string, n = Number.POSITIVE_INFINITY): Promise<Dl19> {
  const { collection } = await loadCollection(join(trecDl, 'collection.pool.tsv'));
  const fullRun = await loadRun(join(trecDl, 'run.dl19.bm25.top100.trec'));
  const qrels = await loadQrels(join(trecDl, 'qrels.dl19-passage.txt'));
  const allQueries = await loadQueries(join(trecDl, 'queries.dl19.tsv'));
  const qids = [...fullRun.queries.keys()].filter((q) => qrels.has(q) && allQueries.has(q)).slice(0, n);
  const queries = new Map(qids.map((q) => [q, allQueries.get(q)!]));
  const run: Run = { ...fullRun, queries: new Map(qids.map((q) => [q, fullRun.queries.get(q)!])) };
  const passages = new Set(qids.flatMap((q) => run.queries.get(q)!.map((r) => r.docid))).size;
  const ndcg = parseMetric('nDCG@10');
  return {
    queries: qids.length,
    passages,
    rerankNdcg10(encoder) {
      const ranking = rerank(encoder, queries, collection, run, null, 32, 'cosine');
      const e = evaluate(rankingToRun(ranking, 'rerank'), qrels, [ndcg]);
      return { mean: e.mean[0]!, perQuery: e.queries.map((q) => e.perQuery.get(q)![0]!) };
    },
  };
}
