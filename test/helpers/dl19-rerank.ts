// DL19 re-ranking of BM25's top 100 with an encoder, on the shared TREC DL files: nDCG@10 over
// the first n judged queries (bench:precision runs all 43; the precision test a sample); and
// dense retrieval of those queries over given passage vectors (the pool's first rows).
import { join } from 'node:path';
import { loadCollection } from '../../src/data/collection.ts';
import { loadQrels } from '../../src/data/qrels.ts';
import { loadQueries } from '../../src/data/queries.ts';
import { loadRun, rankingToRun, trecOrder, type Ranking, type Run } from '../../src/data/run.ts';
import { evaluate } from '../../src/eval/evaluate.ts';
import { parseMetric } from '../../src/eval/metric.ts';
import type { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { rerank } from '../../src/retrieval/dense-retrieval.ts';
import { exactSearchSync } from '../../src/retrieval/exact-search.ts';

export interface Dl19 {
  rerankNdcg10(encoder: SentenceEncoder): { mean: number; perQuery: number[] };
  /** Dense nDCG@10 over the pool's first `vectors.length / dim` passages (cosine; `vectors` from `encoder`). */
  denseNdcg10(encoder: SentenceEncoder, vectors: Float32Array): { mean: number; perQuery: number[] };
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
  const score = (ranking: Ranking, name: string) => {
    const e = evaluate(rankingToRun(ranking, name), qrels, [ndcg]);
    return { mean: e.mean[0]!, perQuery: e.queries.map((q) => e.perQuery.get(q)![0]!) };
  };
  return {
    queries: qids.length,
    passages,
    rerankNdcg10(encoder) {
      return score(rerank(encoder, queries, collection, run, null, 32, 'cosine'), 'rerank');
    },
    denseNdcg10(encoder, vectors) {
      const qv = encoder.encode(
        qids.map((q) => queries.get(q)!),
        'query',
      );
      const top = exactSearchSync(qv, encoder.dim, [vectors], 10, { normalize: true });
      const ranking: Ranking = new Map(
        qids.map((q, i) => [
          q,
          Array.from({ length: top.k }, (_, j) => ({
            docid: collection.id(top.indices[i * top.k + j]!),
            score: top.scores[i * top.k + j]!,
          }))
            .filter((_, j) => top.indices[i * top.k + j]! >= 0)
            .sort(trecOrder),
        ]),
      );
      return score(ranking, 'dense');
    },
  };
}
