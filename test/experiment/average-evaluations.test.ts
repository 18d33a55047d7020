// An arm's per-query scores averaged over its seeds: three seeds that agree on a query give
// exactly their value (a metric identical by construction, recall at the re-ranking depth, must
// stay identical to the base's: (0.1 + 0.1 + 0.1) / 3 is 0.10000000000000002 in floating point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageEvaluations, type StoredEvaluation } from '../../src/experiment/evaluation.ts';

const evaluation = (ndcg: number, recall: number): StoredEvaluation => ({
  metrics: ['nDCG@10', 'R@100'],
  queries: ['q1'],
  perQuery: { q1: [ndcg, recall] },
  mean: [ndcg, recall],
});

test('seeds that agree average to their value exactly; those that differ to their mean', () => {
  assert.notEqual((0.1 + 0.1 + 0.1) / 3, 0.1);
  const avg = averageEvaluations([evaluation(0.2, 0.1), evaluation(0.5, 0.1), evaluation(0.8, 0.1)]);
  assert.equal(avg.perQuery.q1![1], 0.1);
  assert.equal(avg.mean[1], 0.1);
  assert.ok(Math.abs(avg.perQuery.q1![0]! - 0.5) < 1e-15);
});
