// The verdict row, worked by hand on tables small enough for the exact bootstrap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armVerdict } from '../../src/analysis/arm-verdict.ts';

const close = (a: number, b: number, msg?: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${msg}: ${a} vs ${b}`);

// base [0.5, 0.6, 0.7]; seed 0 equals the base, seed 1 is 0.02 above it on every query.
// Per-seed mean deltas: 0 and 0.02. Within a seed every query has the same delta, so query
// resampling changes nothing; the 3^3 x 2^2 = 108 exact resamples split over the drawn seeds
// (0,0) -> 0, (0,1) and (1,0) -> 0.01, (1,1) -> 0.02: 27 x 0, 54 x 0.01, 27 x 0.02.
// Type-7 quantiles over 108 sorted values: 0.025 -> position 2.675 (a 0), 0.975 -> 104.3 (a 0.02);
// 0.05 -> 5.35 (0), 0.95 -> 101.65 (0.02). So both CIs are [0, 0.02].
const twoSeeds = {
  queries: ['q1', 'q2', 'q3'],
  base: [0.5, 0.6, 0.7],
  arm: [
    [0.5, 0.6, 0.7],
    [0.52, 0.62, 0.72],
  ],
};

test('two seeds: the seed spread makes the interval; equivalent at margin 0.03, inconclusive at 0.015', () => {
  const v = armVerdict(twoSeeds, { margin: 0.03 });
  close(v.delta, 0.01, 'delta');
  assert.deepEqual(
    v.perSeed.map((x) => Number(x.toFixed(12))),
    [0, 0.02],
  );
  close(v.ciDifference[0], 0, 'ci lo');
  close(v.ciDifference[1], 0.02, 'ci hi');
  close(v.ciEquivalence[0], 0, 'eq lo');
  close(v.ciEquivalence[1], 0.02, 'eq hi');
  assert.equal(v.verdict, 'equivalent'); // [0, 0.02] inside (-0.03, 0.03)
  assert.equal(v.different, false); // the 95% CI touches 0
  assert.equal(armVerdict(twoSeeds, { margin: 0.015 }).verdict, 'inconclusive'); // 0.02 > 0.015, CI touches 0
  assert.deepEqual([v.wins, v.ties, v.losses], [3, 0, 0]); // seed-averaged arm is 0.01 above on each query
  assert.equal(v.dz, null); // all differences 0.01: no spread
  assert.match(v.ciMethod, /two-level .* 3 queries and 2 seeds/);
  assert.deepEqual(v.perQuery[1], { qid: 'q2', base: 0.6, arm: (0.6 + 0.62) / 2 });
});

// One seed, base 0, arm [0.1, 0.2, 0.3]: the 27 exact resample means are all >= 0.1, so the
// difference CI excludes 0; they reach 0.3, beyond a margin of 0.05: better, not equivalent.
test('one seed, a clear gain: better; Bonferroni over tests widens the intervals', () => {
  const s = { queries: ['a', 'b', 'c'], base: [0, 0, 0], arm: [[0.1, 0.2, 0.3]] };
  const v = armVerdict(s, { margin: 0.05 });
  assert.equal(v.verdict, 'better');
  assert.ok(v.ciDifference[0] >= 0.1 - 1e-12 && v.ciDifference[1] <= 0.3 + 1e-12);
  close(v.delta, 0.2);
  close(v.dz!, 0.2 / 0.1); // mean 0.2 over sd 0.1
  assert.equal(v.seedSd, null);
  assert.match(v.ciMethod, /one seed/);
  const wide = armVerdict(s, { margin: 0.05, tests: 10 });
  close(wide.alpha, 0.005);
  assert.ok(wide.ciDifference[0] <= v.ciDifference[0] && wide.ciDifference[1] >= v.ciDifference[1]);
  // the mirror image is worse
  assert.equal(armVerdict({ ...s, arm: [[-0.1, -0.2, -0.3]] }, { margin: 0.05 }).verdict, 'worse');
});

test('shape errors are bugs, named', () => {
  assert.throws(() => armVerdict({ queries: ['a'], base: [0], arm: [[0]] }, { margin: 0.1 }), /at least 2 queries/);
  assert.throws(() => armVerdict({ queries: ['a', 'b'], base: [0, 0], arm: [[0]] }, { margin: 0.1 }), /seed 0 has 1/);
  assert.throws(() => armVerdict({ queries: ['a', 'b'], base: [0, 0], arm: [] }, { margin: 0.1 }), /one seed/);
});
