import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseMetric, parseMetrics, metricString } from '../../src/eval/metric.ts';
import { evaluate, measure } from '../../src/eval/evaluate.ts';
import { loadQrels, type Qrels } from '../../src/data/qrels.ts';
import { loadRun, rankedList, type Run } from '../../src/data/run.ts';
import { hasShared, SHARED_MSMARCO } from '../helpers/tiny-model.ts';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('metric strings parse as ir_measures writes them, canonical form omits defaults', () => {
  assert.deepEqual(parseMetric('RR(rel=2)@10'), { name: 'RR', rel: 2, cutoff: 10 });
  assert.equal(metricString(parseMetric('RR(rel=1)@10')), 'RR@10');
  assert.equal(metricString(parseMetric('AP')), 'AP');
  assert.deepEqual(parseMetrics('nDCG@10, R@100').map(metricString), ['nDCG@10', 'R@100']);
  assert.throws(() => parseMetric('MRR@10'), /unknown metric 'MRR@10'/);
  assert.throws(() => parseMetric('nDCG(rel=2)@10'), /graded gains/);
  assert.throws(() => parseMetric('P'), /needs a cutoff/);
  assert.throws(() => parseMetric('RR@0'), /cutoff must be >= 1/);
});

// One query, judged: a=3, b=0, c=1, d=2, e=2 (grades); unjudged x, y.
const J = new Map([
  ['a', 3],
  ['b', 0],
  ['c', 1],
  ['d', 2],
  ['e', 2],
]);
const ranking = ['x', 'c', 'a', 'b', 'y', 'd'];
// Worked by hand:
//  RR@10: first grade>=1 at rank 2 -> 1/2; RR(rel=2)@10: 'a' at rank 3 -> 1/3; RR@1: 0
//  P@5 = |{c,a}| / 5 = 0.4; R@5 = 2/4 (relevant: a,c,d,e); R(rel=2)@100 = |{a,d}|/3
//  AP = (1/2 + 2/3 + 3/6) / 4 = 0.4166..; AP@3 = (1/2 + 2/3) / 4
//  nDCG@3: DCG = 1/log2(3) + 3/log2(4) = 0.63093 + 1.5; ideal [3,2,2]: 3 + 2/log2(3) + 2/2
const table: [string, number][] = [
  ['RR@10', 1 / 2],
  ['RR(rel=2)@10', 1 / 3],
  ['RR@1', 0],
  ['P@5', 0.4],
  ['R@5', 0.5],
  ['R(rel=2)@100', 2 / 3],
  ['AP', (1 / 2 + 2 / 3 + 3 / 6) / 4],
  ['AP@3', (1 / 2 + 2 / 3) / 4],
  ['nDCG@3', (1 / Math.log2(3) + 3 / 2) / (3 + 2 / Math.log2(3) + 1)],
];
test('each measure equals the value worked by hand', () => {
  for (const [m, v] of table) close(measure(parseMetric(m), ranking, J), v);
});

test('edge cases: empty ranking, nothing relevant, short rankings', () => {
  const none = new Map([['a', 0]]);
  for (const [m] of table) {
    assert.equal(measure(parseMetric(m), [], J), 0, `${m} of an empty ranking`);
    assert.equal(measure(parseMetric(m), ranking, none), 0, `${m} with no relevant document`);
  }
  close(measure(parseMetric('P@10'), ['a'], J), 0.1); // divides by k, as trec_eval
  close(measure(parseMetric('nDCG@10'), ['a'], new Map([['a', 1]])), 1);
});

test('Judged@k: the share of the top k judged at any grade, 0 included (ir_measures)', () => {
  // top 5 of [x, c, a, b, y]: c (1), a (3), b (0) are judged, x and y are not -> 3/5
  close(measure(parseMetric('Judged@5'), ranking, J), 3 / 5);
  close(measure(parseMetric('Judged@10'), ranking, J), 4 / 10); // divides by k: c, a, b, d of 6 retrieved
  assert.equal(measure(parseMetric('Judged@10'), [], J), 0);
  assert.throws(() => parseMetric('Judged'), /needs a cutoff/);
  assert.throws(() => parseMetric('Judged(rel=2)@10'), /counts any judgment; rel= does not apply/);
});

function run(format: 'trec' | 'msmarco', rows: [string, string, number, number][]): Run {
  const queries = new Map<string, { docid: string; score: number; rank: number }[]>();
  for (const [q, d, rank, score] of rows) {
    if (!queries.has(q)) queries.set(q, []);
    queries.get(q)!.push({ docid: d, rank, score });
  }
  return { format, queries, source: 'test-run' };
}

test('TREC ranking: by score, ties by docid descending (trec_eval), rank column ignored', () => {
  const r = run('trec', [
    ['1', 'd1', 1, 0.5],
    ['1', 'd3', 2, 0.5],
    ['1', 'd2', 3, 0.9],
  ]);
  assert.deepEqual(rankedList(r, '1'), ['d2', 'd3', 'd1']);
  const m = run('msmarco', [
    ['1', 'd1', 2, -2],
    ['1', 'd3', 1, -1],
  ]);
  assert.deepEqual(rankedList(m, '1'), ['d3', 'd1']);
});

test('which queries count: TREC = run and qrels; MS MARCO = every qrels query (missing = 0)', () => {
  const qrels: Qrels = new Map([
    ['1', new Map([['a', 1]])],
    ['2', new Map([['b', 1]])],
  ]);
  const trec = evaluate(
    run('trec', [
      ['1', 'a', 1, 1],
      ['9', 'z', 1, 1],
    ]),
    qrels,
    [parseMetric('RR@10')],
  );
  assert.deepEqual(trec.queries, ['1']);
  assert.equal(trec.mean[0], 1);
  const ms = evaluate(run('msmarco', [['1', 'a', 1, -1]]), qrels, [parseMetric('RR@10')]);
  assert.deepEqual(ms.queries, ['1', '2']);
  assert.equal(ms.mean[0], 0.5);
  assert.throws(
    () => evaluate(run('trec', [['9', 'z', 1, 1]]), qrels, [parseMetric('RR@10')], 'q.txt'),
    /none of its 1 queries is judged in q.txt/,
  );
});

const published: [string, string, number][] = [
  ['trec-dl/run.dl19.bm25.top100.trec', '19', 0.5058],
  ['trec-dl/run.dl20.bm25.top100.trec', '20', 0.4796],
  ['checks/published-runs/run.dl19.BM25_RM3.top100.trec', '19', 0.5216],
  ['checks/published-runs/run.dl20.BM25_RM3.top100.trec', '20', 0.4896],
  ['checks/published-runs/run.dl19.D_BERT_KD_TASB.top100.trec', '19', 0.721],
  ['checks/published-runs/run.dl20.D_BERT_KD_TASB.top100.trec', '20', 0.6854],
  ['checks/published-runs/run.dl19.OPEN_AI_ADA2.top100.trec', '19', 0.7035],
  ['checks/published-runs/run.dl20.OPEN_AI_ADA2.top100.trec', '20', 0.6759],
  ['checks/published-runs/run.dl19.SPLADE_P_P_ENSEMBLE_DISTIL.top100.trec', '19', 0.7308],
  ['checks/published-runs/run.dl20.SPLADE_P_P_ENSEMBLE_DISTIL.top100.trec', '20', 0.7197],
];

test('real runs: nDCG@10 equals trec_eval to the printed digit; MRR@10 equals the official MS MARCO evaluator', {
  skip: !hasShared && 'needs ../shared/data/msmarco',
}, async () => {
  for (const [file, year, ndcg] of published) {
    const qrels = await loadQrels(join(SHARED_MSMARCO, 'trec-dl', `qrels.dl${year}-passage.txt`));
    const e = evaluate(await loadRun(join(SHARED_MSMARCO, file)), qrels, [parseMetric('nDCG@10')]);
    assert.equal(e.mean[0]!.toFixed(4), ndcg.toFixed(4), file);
  }
  const dir = join(SHARED_MSMARCO, 'checks', 'official-mrr');
  const official = Number(/MRR @10: ([\d.]+)/.exec(readFileSync(join(dir, 'scores'), 'utf8'))![1]);
  const e = evaluate(await loadRun(join(dir, 'run.dev.small.tsv')), await loadQrels(join(dir, 'qrels.dev.small.tsv')), [
    parseMetric('RR@10'),
  ]);
  assert.equal(e.mean[0], official);
});
