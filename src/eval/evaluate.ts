// Scores a run against qrels: per-query values and means, for any list of metrics.
//
// Which queries count:
//  - TREC runs (trec_eval's default): queries present in both the run and the qrels.
//  - MS MARCO runs (the official MS MARCO evaluator): every query in the qrels; one
//    missing from the run scores 0 (the evaluator divides by the number of qrels queries).
// Rankings follow rankedList(): TREC by score (ties: docid descending), MS MARCO by rank.
import { InputError } from '../errors.ts';
import type { Qrels } from '../data/qrels.ts';
import { rankedList, type Run } from '../data/run.ts';
import { metricString, type Metric } from './metric.ts';
import { averagePrecision } from './measures/ap.ts';
import { ndcg } from './measures/ndcg.ts';
import { precision } from './measures/precision.ts';
import { judgedAt } from './measures/judged.ts';
import { recall } from './measures/recall.ts';
import { reciprocalRank } from './measures/rr.ts';
import type { Judgments } from './measures/judgments.ts';

export function measure(m: Metric, ranking: readonly string[], judged: Judgments): number {
  switch (m.name) {
    case 'RR':
      return reciprocalRank(ranking, judged, m.rel, m.cutoff);
    case 'nDCG':
      return ndcg(ranking, judged, m.cutoff);
    case 'R':
      return recall(ranking, judged, m.rel, m.cutoff!);
    case 'P':
      return precision(ranking, judged, m.rel, m.cutoff!);
    case 'AP':
      return averagePrecision(ranking, judged, m.rel, m.cutoff);
    case 'Judged':
      return judgedAt(ranking, judged, m.cutoff!);
  }
}

export interface Evaluation {
  metrics: string[]; // canonical strings, in the order given
  queries: string[]; // the evaluated query ids, sorted
  perQuery: Map<string, number[]>; // qid -> one value per metric
  mean: number[];
}

export function evaluate(run: Run, qrels: Qrels, metrics: Metric[], qrelsName = 'qrels'): Evaluation {
  const judgedInRun = [...run.queries.keys()].filter((q) => qrels.has(q));
  if (judgedInRun.length === 0) {
    throw new InputError(run.source, null, `none of its ${run.queries.size} queries is judged in ${qrelsName}`);
  }
  const queries = (run.format === 'msmarco' ? [...qrels.keys()] : judgedInRun).sort();
  const perQuery = new Map<string, number[]>();
  const sums = new Array<number>(metrics.length).fill(0);
  for (const qid of queries) {
    const ranking = run.queries.has(qid) ? rankedList(run, qid) : [];
    const judged = qrels.get(qid)!;
    const values = metrics.map((m) => measure(m, ranking, judged));
    values.forEach((v, i) => (sums[i]! += v));
    perQuery.set(qid, values);
  }
  return { metrics: metrics.map(metricString), queries, perQuery, mean: sums.map((s) => s / queries.length) };
}
