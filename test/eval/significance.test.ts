import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedTTest, pairedRandomisation } from '../../src/eval/significance.ts';

test('paired t-test: t and two-sided p worked by hand', () => {
  // d = b - a = [1, 2, 3, 4]: mean 2.5, sd = sqrt(5/3), t = 2.5 / (sd / 2) = 3.8730; df 3
  // two-sided p for |t| = 3.873 with 3 df is 0.03047 (t tables)
  const { t, p } = pairedTTest([0, 0, 0, 0], [1, 2, 3, 4]);
  assert.ok(Math.abs(t - 3.872983) < 1e-5);
  assert.ok(Math.abs(p - 0.030466) < 2e-5, String(p));
  assert.deepEqual(pairedTTest([1, 2], [1, 2]), { t: 0, p: 1 });
});

test('randomisation test: seeded, and close to the t-test on a larger sample', () => {
  const a = Array.from({ length: 60 }, (_, i) => Math.sin(i) * 0.3 + 0.5);
  const b = a.map((x, i) => x + 0.02 + Math.cos(i * 1.7) * 0.1);
  const p1 = pairedRandomisation(a, b, 5000, 7);
  assert.equal(pairedRandomisation(a, b, 5000, 7), p1);
  assert.notEqual(pairedRandomisation(a, b, 5000, 8), p1);
  const { p } = pairedTTest(a, b);
  assert.ok(Math.abs(p1 - p) < 0.02, `${p1} vs t-test ${p}`);
  assert.equal(pairedRandomisation([0.5, 0.5], [0.5, 0.5], 100, 1), 1, 'no difference: p = 1');
});
