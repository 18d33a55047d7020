// The comparison table's statistics against cases enumerated or worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedRandomisation } from '../../src/eval/significance.ts';
import { bootstrapCI, quantileSorted } from '../../src/eval/bootstrap.ts';
import { holmAdjust } from '../../src/eval/holm.ts';
import { compareTable } from '../../src/eval/compare.ts';
import { ComparisonTableSchema } from '../../src/eval/comparison.ts';
import type { Evaluation } from '../../src/eval/evaluate.ts';

/** p of the two-sided sign-flip test by brute force: all 2^n assignments, |sum| >= observed. */
function enumerateSignFlips(d: number[]): number {
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  let hits = 0;
  const total = 2 ** d.length;
  for (let mask = 0; mask < total; mask++) {
    const s = d.reduce((acc, x, i) => acc + (mask & (1 << i) ? -x : x), 0);
    if (Math.abs(s) >= observed - 1e-12) hits++;
  }
  return hits / total;
}

const base12 = [0.42, 0.31, 0.55, 0.12, 0.77, 0.64, 0.28, 0.5, 0.39, 0.61, 0.05, 0.83];
const model12 = [0.5, 0.3, 0.62, 0.2, 0.7, 0.71, 0.35, 0.58, 0.39, 0.66, 0.15, 0.8];

test('randomisation: exact mode equals the enumeration of all 2^n sign flips', () => {
  const d = model12.map((x, i) => x - base12[i]!);
  const want = enumerateSignFlips(d);
  assert.ok(want > 0.001 && want < 0.2, `an informative case: p = ${want}`);
  assert.equal(pairedRandomisation(base12, model12, 100, 1, true), want);
  // 'auto' enumerates whenever 2^n <= trials (4096 <= 10000)
  assert.equal(pairedRandomisation(base12, model12, 10000, 1), want);
  // 10 queries, a second case: 1024 assignments
  assert.equal(
    pairedRandomisation(base12.slice(0, 10), model12.slice(0, 10), 1024, 3),
    enumerateSignFlips(d.slice(0, 10)),
  );
});

test('randomisation: Monte Carlo p is within 4 standard errors of the exact enumeration', () => {
  const d = model12.map((x, i) => x - base12[i]!);
  const exact = enumerateSignFlips(d);
  const trials = 20000;
  const tol = 4 * Math.sqrt((exact * (1 - exact)) / trials) + 1 / trials; // 4 SE of a binomial share (+ the counted observation)
  for (const seed of [1, 2, 3]) {
    const p = pairedRandomisation(base12, model12, trials, seed, false);
    assert.ok(
      Math.abs(p - exact) < tol,
      `seed ${seed}: Monte Carlo ${p} vs exact ${exact} (tolerance ${tol.toFixed(4)})`,
    );
  }
  assert.equal(
    pairedRandomisation(base12, model12, trials, 9, false),
    pairedRandomisation(base12, model12, trials, 9, false),
    'seeded',
  );
});

test('bootstrap: percentile CI worked by hand on d = [0, 1, 2] (all 27 resamples)', () => {
  // Resample sums S of three draws from {0,1,2}: counts S=0:1, 1:3, 2:6, 3:7, 4:6, 5:3, 6:1 (27).
  // Sorted means x[0..26] = S/3: x[0] = 0, x[1..3] = 1/3, ..., x[23..25] = 5/3, x[26] = 2.
  // Type-7 quantiles: lower h = 26 * 0.025 = 0.65 -> x[0] + 0.65 (x[1] - x[0]) = 0.65/3 = 0.216667
  //                   upper h = 26 * 0.975 = 25.35 -> x[25] + 0.35 (x[26] - x[25]) = 5/3 + 0.35/3 = 1.783333
  const [lo, hi] = bootstrapCI([0, 1, 2], { resamples: 27 });
  assert.ok(Math.abs(lo - 0.65 / 3) < 1e-12, String(lo));
  assert.ok(Math.abs(hi - (5 + 0.35) / 3) < 1e-12, String(hi));
  // n = 2, d = [0, 1]: means {0, 0.5, 0.5, 1}; h = 3 * 0.025 = 0.075 -> 0.0375; h = 2.925 -> 0.5 + 0.925 * 0.5 = 0.9625
  const [lo2, hi2] = bootstrapCI([0, 1], { resamples: 4 });
  assert.ok(Math.abs(lo2 - 0.0375) < 1e-12 && Math.abs(hi2 - 0.9625) < 1e-12, `${lo2} ${hi2}`);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
});

test('bootstrap: sampled CI is seeded and close to the exact one on n = 5', () => {
  const d = [0.1, -0.05, 0.2, 0.0, 0.15]; // 5^5 = 3125 resamples enumerated
  const exact = bootstrapCI(d, { exact: true });
  const sampled = bootstrapCI(d, { resamples: 20000, seed: 5, exact: false });
  assert.deepEqual(bootstrapCI(d, { resamples: 20000, seed: 5, exact: false }), sampled);
  assert.ok(Math.abs(sampled[0] - exact[0]) < 0.01 && Math.abs(sampled[1] - exact[1]) < 0.01, `${sampled} vs ${exact}`);
  assert.ok(exact[0] < 0.08 && 0.08 < exact[1], 'the CI covers the mean delta 0.08');
});

test('Holm-Bonferroni: a worked example', () => {
  // sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> max(0.06, 0.04) = 0.06
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((w, i) => assert.ok(Math.abs(adj[i]! - w) < 1e-12, `${adj}`));
  assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1], 'capped at 1');
});

function evaluation(metrics: string[], values: number[][]): Evaluation {
  const queries = values.map((_, i) => `q${String(i).padStart(2, '0')}`);
  return {
    metrics,
    queries,
    perQuery: new Map(queries.map((q, i) => [q, values[i]!])),
    mean: metrics.map((_, m) => values.reduce((s, v) => s + v[m]!, 0) / values.length),
  };
}

test('compareTable: means, deltas, CIs, p-values, Holm over the table, identical metrics without p', () => {
  const metrics = ['nDCG@10', 'R@100'];
  const recall = base12.map((x) => (x > 0.4 ? 1 : 0.5));
  const base = evaluation(
    metrics,
    base12.map((x, i) => [x, recall[i]!]),
  );
  const a = evaluation(
    metrics,
    model12.map((x, i) => [x, recall[i]!]),
  );
  const b = evaluation(
    metrics,
    base12.map((x, i) => [x, recall[i]!]),
  );
  const t = compareTable(['base', 'a', 'b'], [base, a, b], { identical: ['R@100'], seed: 7 });
  assert.equal(t.queries, 12);
  assert.equal(t.adjustment.comparisons, 2, 'two models x nDCG@10; R@100 is identical by construction');
  const na = t.rows[1]!.metrics['nDCG@10']!;
  const d = model12.map((x, i) => x - base12[i]!);
  assert.ok(Math.abs(na.delta! - d.reduce((s, x) => s + x, 0) / 12) < 1e-12);
  assert.equal(na.pRandomisation, enumerateSignFlips(d));
  assert.ok(na.ci95![0] < na.delta! && na.delta! < na.ci95![1]);
  const nb = t.rows[2]!.metrics['nDCG@10']!;
  assert.deepEqual(
    [nb.delta, nb.pTTest, nb.pRandomisation, nb.ci95],
    [0, 1, 1, [0, 0]],
    'an all-zero delta still gets p = 1',
  );
  assert.equal(na.pHolm, Math.min(1, 2 * na.pRandomisation!), 'the smaller p is multiplied by m = 2');
  assert.equal(nb.pHolm, 1);
  const r = t.rows[1]!.metrics['R@100']!;
  assert.deepEqual([r.pTTest, r.pRandomisation, r.pHolm, r.identicalByConstruction], [null, null, null, true]);
  assert.equal(t.rows[0]!.metrics['nDCG@10']!.delta, null);
  // results.json's schema holds what compareTable really builds (nulls, tuples, literals), unchanged
  assert.deepEqual(ComparisonTableSchema.parse(JSON.parse(JSON.stringify(t))), t);
  assert.deepEqual(
    compareTable(['base', 'a', 'b'], [base, a, b], { identical: ['R@100'], seed: 7 }),
    t,
    'same seed, same table',
  );
  assert.throws(
    () => compareTable(['base', 'a'], [base, a], { identical: ['nDCG@10'] }),
    /declared identical by construction but a differs/,
  );
});
