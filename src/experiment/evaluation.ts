// The evaluation stage's pieces: the re-ranking protocol (a model scores each test query's
// BM25 candidates), dense retrieval over the whole collection, and evaluations stored as
// JSON (per-query values kept: the paired statistics need them).
import type { Collection } from '../data/collection.ts';
import { rankingToRun, type Ranked, type Run } from '../data/run.ts';
import { evaluate, type Evaluation } from '../eval/evaluate.ts';
import { parseMetrics } from '../eval/metric.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { denseRetrieve, rerank } from '../retrieval/dense-retrieval.ts';
import { embedCollection } from '../retrieval/embedding-cache.ts';
import type { QuerySet } from './data.ts';

/**
 * nDCG@10 with the grades; RR and R at TREC DL's threshold (grade >= 2): the paper's MRR@10/@100;
 * Judged@10, the share of the (re-ranked) top 10 with any judgment (a low one makes nDCG@10 a lower bound).
 */
export const QUICK_METRICS = ['nDCG@10', 'RR(rel=2)@10', 'RR(rel=2)@100', 'R(rel=2)@100', 'Judged@10'];
/** MS MARCO dev small (binary judgments): the paper's MRR@10 and MRR@100. */
export const PAPER_METRICS = ['RR@10', 'RR@100', 'nDCG@10', 'R@100'];

export interface StoredEvaluation {
  metrics: string[];
  queries: string[];
  perQuery: Record<string, number[]>;
  mean: number[];
}

export function storeEvaluation(e: Evaluation): StoredEvaluation {
  return { metrics: e.metrics, queries: e.queries, perQuery: Object.fromEntries(e.perQuery), mean: e.mean };
}

export function loadEvaluation(s: StoredEvaluation): Evaluation {
  return { metrics: s.metrics, queries: s.queries, perQuery: new Map(Object.entries(s.perQuery)), mean: s.mean };
}

export function means(s: StoredEvaluation): Record<string, number> {
  return Object.fromEntries(s.metrics.map((m, i) => [m, s.mean[i]!]));
}

/** A run's first `depth` candidates of the given queries. */
export function candidates(run: Run, set: QuerySet, depth: number): Run {
  const queries = new Map<string, Ranked[]>();
  for (const [q, list] of run.queries) {
    if (!set.queries.has(q)) continue;
    queries.set(q, [...list].sort((a, b) => b.score - a.score || a.rank - b.rank).slice(0, depth));
  }
  return { format: run.format, queries, source: run.source };
}

/** Queries re-ranked over their first-stage candidates. */
export interface RerankTask {
  set: QuerySet;
  collection: Collection;
  candidates: Run;
}

/**
 * The re-ranking protocol: the model re-scores each query's candidates by cosine (the paper's
 * eq. 2, whatever the output normalisation).
 */
export function rerankEvaluation(
  encoder: SentenceEncoder,
  task: RerankTask,
  metrics: readonly string[],
  name: string,
): StoredEvaluation {
  const ranking = rerank(encoder, task.set.queries, task.collection, task.candidates, null, undefined, 'cosine');
  return storeEvaluation(evaluate(rankingToRun(ranking, name), task.set.qrels, parseMetrics(metrics.join(','))));
}

/** Queries searched over a whole collection (its file names the embedding cache). */
export interface DenseTask {
  set: QuerySet;
  collection: Collection;
  collectionPath: string;
}

/** Dense retrieval over the whole collection (passage vectors cached per model in cacheDir). */
export async function denseEvaluation(
  encoder: SentenceEncoder,
  task: DenseTask,
  metrics: readonly string[],
  o: { cacheDir?: string | null; k?: number; onProgress?: (d: number, n: number) => void; name: string },
): Promise<StoredEvaluation> {
  const { set, collection } = task;
  const docs = embedCollection(encoder, collection, task.collectionPath, {
    cacheDir: o.cacheDir,
    onProgress: o.onProgress,
  });
  const { ranking } = await denseRetrieve(encoder, set.queries, collection, docs, o.k ?? 1000, undefined, 'cosine');
  return storeEvaluation(evaluate(rankingToRun(ranking, o.name), set.qrels, parseMetrics(metrics.join(','))));
}

/**
 * The mean; equal values give that value exactly (in floating point, (x + x + x) / 3 need not
 * be x, and a metric identical by construction across arms must stay identical over seeds).
 */
function meanOf(xs: readonly number[]): number {
  return xs.every((x) => x === xs[0]) ? xs[0]! : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Per-query values averaged over evaluations of the same queries and metrics (an arm's seeds). */
export function averageEvaluations(evals: readonly StoredEvaluation[]): StoredEvaluation {
  const first = evals[0];
  if (!first) throw new Error('average of no evaluations');
  if (evals.length === 1) return first;
  for (const e of evals)
    if (e.metrics.join() !== first.metrics.join() || e.queries.join() !== first.queries.join())
      throw new Error('averaged evaluations must share their metrics and queries');
  const avg = (pick: (e: StoredEvaluation) => number[]): number[] =>
    pick(first).map((_, i) => meanOf(evals.map((e) => pick(e)[i]!)));
  const perQuery = Object.fromEntries(first.queries.map((q) => [q, avg((e) => e.perQuery[q]!)]));
  return { metrics: first.metrics, queries: first.queries, perQuery, mean: avg((e) => e.mean) };
}
