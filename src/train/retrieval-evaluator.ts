// Retrieval metrics during training: dense retrieval over a collection, or re-ranking of a
// fixed candidate run (cheaper: only the candidates are encoded). Both return {metric: mean}.
import type { Queries } from '../data/queries.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Collection } from '../data/collection.ts';
import type { Run } from '../data/run.ts';
import { embedCollection } from '../retrieval/embedding-cache.ts';
import { denseRetrieve, rerank, type Ranking } from '../retrieval/dense-retrieval.ts';
import { evaluate } from '../eval/evaluate.ts';
import { parseMetrics } from '../eval/metric.ts';
import type { RetrievalEvaluator } from './train-config.ts';

function scoreRanking(ranking: Ranking, qrels: Qrels, metrics: string): Record<string, number> {
  const parsed = parseMetrics(metrics);
  const run: Run = {
    format: 'trec',
    source: 'eval',
    queries: new Map([...ranking].map(([qid, l]) => [qid, l.map((r, i) => ({ ...r, rank: i + 1 }))])),
  };
  const e = evaluate(run, qrels, parsed, 'eval qrels');
  return Object.fromEntries(e.metrics.map((m, i) => [m, e.mean[i]!]));
}

/** Dense retrieval of the top k (default: 100, or the largest metric cutoff) over `collection`. */
export function denseEvaluator(o: {
  queries: Queries;
  qrels: Qrels;
  collection: Collection;
  collectionPath: string;
  metrics: string;
  k?: number;
  batchSize?: number;
}): RetrievalEvaluator {
  const k = o.k ?? Math.max(100, ...parseMetrics(o.metrics).map((m) => m.cutoff ?? 100));
  return async (encoder) => {
    const docs = embedCollection(encoder, o.collection, o.collectionPath, { cacheDir: null, batchSize: o.batchSize });
    const { ranking } = await denseRetrieve(encoder, o.queries, o.collection, docs, k, o.batchSize);
    return scoreRanking(ranking, o.qrels, o.metrics);
  };
}

/** Re-ranks each query's candidates from `candidates` with the model being trained. */
export function rerankEvaluator(o: {
  queries: Queries;
  qrels: Qrels;
  collection: Collection;
  candidates: Run;
  metrics: string;
  batchSize?: number;
}): RetrievalEvaluator {
  parseMetrics(o.metrics); // a bad metric fails now, not at the first evaluation
  return async (encoder) =>
    scoreRanking(rerank(encoder, o.queries, o.collection, o.candidates, null, o.batchSize), o.qrels, o.metrics);
}
