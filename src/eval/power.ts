// What a paired design can detect, before the run: exact power of the paired t-test and of
// TOST, and the minimum detectable effect (MDE) and equivalence margin they imply.
//
// Exact, not a normal approximation: with D ~ N(delta, sigma^2) per query, the mean is
// N(delta, sigma^2/n) independently of the sample sd s = sigma S, where (n-1) S^2 ~
// chi-square(n-1). Conditional on S both tests reduce to normal probabilities, and power
// is their expectation over S (distributions.ts: expectOverSampleSd). For the t-test this
// is the noncentral t (statsmodels' TTestPower, scipy's nct); for TOST it is Owen's Q
// (PowerTOST's "exact" method).
//   t-test, two-sided at a: c = t_(1 - a/2, n-1), lambda = delta sqrt(n) / sigma,
//     power = E_S[ Phi(lambda - c S) + Phi(-lambda - c S) ]
//   TOST at a, margin m:    c = t_(1 - a, n-1),
//     power = E_S[ max(0, Phi((m - delta) sqrt(n)/sigma - c S) - Phi((-m - delta) sqrt(n)/sigma + c S)) ]
// Multiple comparisons: `tests` comparisons share alpha by Bonferroni (alpha / tests). Holm
// rejects at least what Bonferroni does, and its first step is Bonferroni, so this MDE is
// the conservative (largest) one of a Holm-corrected table.
import { expectOverSampleSd, increasingRoot, normalCdf, tQuantile } from './distributions.ts';

export interface Design {
  sd: number; // sd of the per-query differences (a pilot's, or a previous run's)
  n: number; // queries
  alpha?: number; // family-wise, default 0.05
  tests?: number; // comparisons sharing alpha (Bonferroni), default 1
}

function checked(d: Design): { sd: number; n: number; a: number } {
  const alpha = d.alpha ?? 0.05;
  const tests = d.tests ?? 1;
  if (!(d.sd > 0)) throw new Error(`sd of the differences must be > 0, got ${d.sd}`);
  if (!(Number.isInteger(d.n) && d.n >= 2)) throw new Error(`a paired design needs >= 2 queries, got ${d.n}`);
  if (!(alpha > 0 && alpha < 1) || !(Number.isInteger(tests) && tests >= 1))
    throw new Error(`alpha ${alpha} and tests ${tests}: need 0 < alpha < 1 and an integer tests >= 1`);
  return { sd: d.sd, n: d.n, a: alpha / tests };
}

/** Power of the two-sided paired t-test to detect a true mean difference `delta`. */
export function tTestPower(design: Design, delta: number): number {
  const { sd, n, a } = checked(design);
  const c = tQuantile(1 - a / 2, n - 1);
  const lambda = (delta * Math.sqrt(n)) / sd;
  return expectOverSampleSd(n - 1, (s) => normalCdf(lambda - c * s) + normalCdf(-lambda - c * s));
}

/** Smallest true |mean difference| the two-sided paired t-test detects with `power` (default 0.8). */
export function minimumDetectableEffect(design: Design & { power?: number }): number {
  const power = design.power ?? 0.8;
  if (!(power > 0 && power < 1)) throw new Error(`power must be in (0, 1), got ${power}`);
  return increasingRoot((delta) => tTestPower(design, delta) - power, design.sd);
}

/** Power of paired TOST at margin m when the true mean difference is `delta` (default 0). */
export function tostPower(design: Design & { margin: number }, delta = 0): number {
  const { sd, n, a } = checked(design);
  if (!(design.margin > 0)) throw new Error(`equivalence margin must be > 0, got ${design.margin}`);
  if (a >= 0.5) throw new Error(`TOST needs alpha / tests < 0.5, got ${a}`);
  const c = tQuantile(1 - a, n - 1);
  const k = Math.sqrt(n) / sd;
  const hi = (design.margin - delta) * k;
  const lo = (-design.margin - delta) * k;
  return expectOverSampleSd(n - 1, (s) => Math.max(0, normalCdf(hi - c * s) - normalCdf(lo + c * s)));
}

/** Smallest margin at which TOST shows equivalence with `power` when the true difference is `delta`. */
export function minimumEquivalenceMargin(design: Design & { power?: number }, delta = 0): number {
  const power = design.power ?? 0.8;
  if (!(power > 0 && power < 1)) throw new Error(`power must be in (0, 1), got ${power}`);
  return increasingRoot(
    (m) => (m <= Math.abs(delta) ? -power : tostPower({ ...design, margin: m }, delta) - power),
    design.sd,
  );
}
