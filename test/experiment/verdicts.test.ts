// The verdict table's plumbing, worked by hand: per-query scores lined up by the base's query
// order, folds pooled by concatenation (ids prefixed), Bonferroni over the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armScores, pooled, PRIMARY_METRIC } from '../../src/experiment/verdicts.ts';
import type { StoredEvaluation } from '../../src/experiment/evaluation.ts';

/** An evaluation with nDCG@10 and another metric, per query. */
function evaluation(scores: Record<string, number>): StoredEvaluation {
  const queries = Object.keys(scores);
  const perQuery = Object.fromEntries(queries.map((q) => [q, [0.5, scores[q]!]]));
  const mean = [0.5, queries.reduce((s, q) => s + scores[q]!, 0) / queries.length];
  return { metrics: ['RR@10', PRIMARY_METRIC], queries, perQuery, mean };
}

test("armScores: the primary metric's column, every seed in the base's query order", () => {
  const base = evaluation({ a: 0.2, b: 0.4 });
  const s1 = evaluation({ b: 0.5, a: 0.1 }); // another order: aligned by query id
  const s2 = evaluation({ a: 0.3, b: 0.4 });
  assert.deepEqual(armScores(base, [s1, s2]), {
    queries: ['a', 'b'],
    base: [0.2, 0.4],
    arm: [
      [0.1, 0.5],
      [0.3, 0.4],
    ],
  });
  assert.throws(() => armScores(base, [evaluation({ a: 0.1 })]), /query b has no nDCG@10/);
});

test('pooled: folds concatenated per seed, ids prefixed by fold; the pooled delta weights folds by queries', () => {
  const fold1 = {
    queries: ['a', 'b'],
    base: [0.2, 0.4],
    arm: [
      [0.1, 0.5],
      [0.3, 0.4],
    ],
  };
  const fold2 = { queries: ['a'], base: [0.6], arm: [[0.9], [0.6]] };
  const common = { protocol: 'rerank' as const, arm: 'x', checkpoint: 'final' as const };
  const [p, ...rest] = pooled([
    { ...common, fold: 'f1', scores: fold1, chosenSteps: [1, 0] },
    { ...common, fold: 'f2', scores: fold2, chosenSteps: [2, 2] },
  ]);
  assert.equal(rest.length, 0);
  assert.equal(p!.fold, 'pooled');
  assert.deepEqual(p!.scores, {
    queries: ['f1:a', 'f1:b', 'f2:a'],
    base: [0.2, 0.4, 0.6],
    arm: [
      [0.1, 0.5, 0.9],
      [0.3, 0.4, 0.6],
    ],
  });
  assert.deepEqual(p!.chosenSteps, [1, 0, 2, 2]);
});
