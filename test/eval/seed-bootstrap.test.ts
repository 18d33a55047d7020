// The two-level (queries x seeds) bootstrap against a hand-worked enumeration, a brute-force
// one, and the ordinary paired bootstrap it reduces to with one seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapCI, quantileSorted } from '../../src/eval/bootstrap.ts';
import { seedBootstrapCI, seedSummary } from '../../src/eval/seed-bootstrap.ts';

const close = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

test('two-level bootstrap worked by hand: deltas[s][q] = 2s + q, 2 seeds x 2 queries (all 16 resamples)', () => {
  // A resample's mean is 2 a + b, a = mean of the drawn seeds, b = mean of the drawn queries;
  // a and b each take 0, 0.5, 0.5, 1 over the 4 ordered draws. The 16 values sorted:
  // 0, .5 .5, 1 1 1, 1.5 x4, 2 2 2, 2.5 2.5, 3.
  // Type 7: lower h = 15 * 0.025 = 0.375 -> 0 + 0.375 * 0.5 = 0.1875
  //         upper h = 15 * 0.975 = 14.625 -> x[14] + 0.625 (x[15] - x[14]) = 2.5 + 0.3125 = 2.8125
  const [lo, hi] = seedBootstrapCI(
    [
      [0, 1],
      [2, 3],
    ],
    { resamples: 16 },
  );
  close(lo, 0.1875, 1e-12, 'lower');
  close(hi, 2.8125, 1e-12, 'upper');
});

/** Every (query draw, seed draw) pair by nested loops, independently of the library's odometer. */
function bruteForce(deltas: number[][], level: number): [number, number] {
  const s = deltas.length;
  const q = deltas[0]!.length;
  const draws = (k: number): number[][] =>
    Array.from({ length: k ** k }, (_, code) => Array.from({ length: k }, (_, i) => Math.floor(code / k ** i) % k));
  const means: number[] = [];
  for (const qd of draws(q))
    for (const sd of draws(s)) {
      const perSeed = sd.map((j) => qd.reduce((a, i) => a + deltas[j]![i]!, 0) / q);
      means.push(perSeed.reduce((a, x) => a + x, 0) / s);
    }
  means.sort((a, b) => a - b);
  const alpha = 1 - level;
  return [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
}

test('exact mode equals a brute-force enumeration (2 seeds x 3 queries, 108 resamples; 3 x 3, 729)', () => {
  const t23 = [
    [0.05, -0.02, 0.1],
    [0.01, 0.03, -0.04],
  ];
  for (const level of [0.95, 0.9]) {
    const [lo, hi] = seedBootstrapCI(t23, { exact: true, level });
    const [wlo, whi] = bruteForce(t23, level);
    close(lo, wlo, 1e-12, `lower at ${level}`);
    close(hi, whi, 1e-12, `upper at ${level}`);
  }
  const t33 = [...t23, [0.2, -0.1, 0.0]];
  assert.deepEqual(
    seedBootstrapCI(t33, { resamples: 729 }).map((x) => x.toFixed(12)),
    bruteForce(t33, 0.95).map((x) => x.toFixed(12)),
  );
});

test('one seed is the ordinary paired bootstrap, exact and sampled, number for number', () => {
  const d = [0.1, -0.05, 0.2, 0.0, 0.15];
  assert.deepEqual(seedBootstrapCI([d], { exact: true }), bootstrapCI(d, { exact: true }));
  const d12 = [0.08, -0.01, 0.07, 0.08, -0.07, 0.07, 0.07, 0.08, 0, 0.05, 0.1, -0.03];
  const o = { resamples: 5000, seed: 11, exact: false } as const;
  assert.deepEqual(seedBootstrapCI([d12], o), bootstrapCI(d12, o));
  assert.deepEqual(seedBootstrapCI([d12]), bootstrapCI(d12), 'defaults agree too');
});

test('sampled CI: seeded, close to the exact one, and wider than a query-only bootstrap when seeds disagree', () => {
  const table = [
    [0.02, 0.05, -0.01, 0.04],
    [-0.03, 0.0, -0.05, -0.02],
    [0.06, 0.09, 0.03, 0.07],
  ]; // 4^4 * 3^3 = 6912 resamples when exact
  const exact = seedBootstrapCI(table, { exact: true });
  const sampled = seedBootstrapCI(table, { resamples: 20000, seed: 3, exact: false });
  assert.deepEqual(seedBootstrapCI(table, { resamples: 20000, seed: 3, exact: false }), sampled, 'seeded');
  close(sampled[0], exact[0], 0.005, 'sampled lower');
  close(sampled[1], exact[1], 0.005, 'sampled upper');
  // averaging the seeds first hides their disagreement: per-query means 0.01667 0.04667 -0.01 0.03
  const pooled = bootstrapCI(
    table[0]!.map((_, q) => (table[0]![q]! + table[1]![q]! + table[2]![q]!) / 3),
    { exact: true },
  );
  assert.ok(exact[1] - exact[0] > 1.5 * (pooled[1] - pooled[0]), `two-level ${exact} vs pooled ${pooled}`);
});

test('seed summary: per-seed means, their mean and sd', () => {
  // per-seed means: 0.025, -0.025, 0.0625; mean 0.0208333; deviations 0.0041667, -0.0458333, 0.0416667
  // squares 1.7361e-5 + 2.10069e-3 + 1.73611e-3 = 3.854167e-3; sd = sqrt(3.854167e-3 / 2) = 0.0438986
  const s = seedSummary([
    [0.02, 0.05, -0.01, 0.04],
    [-0.03, 0.0, -0.05, -0.02],
    [0.06, 0.09, 0.03, 0.07],
  ]);
  [0.025, -0.025, 0.0625].forEach((w, i) => close(s.perSeed[i]!, w, 1e-15, `seed ${i}`));
  close(s.mean, 0.0625 / 3, 1e-15, 'mean');
  close(s.sd!, Math.sqrt(3.854166667e-3 / 2), 1e-9, 'sd');
  assert.equal(seedSummary([[0.1, 0.2]]).sd, null, 'one seed has no spread');
  assert.throws(() => seedSummary([]), /empty/);
  assert.throws(() => seedBootstrapCI([[0.1, 0.2], [0.3]]), /seed 1 has 1 queries/);
});
