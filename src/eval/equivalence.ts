// Equivalence of a fine-tuned arm to the base at a margin m declared before the run.
//
// Paired TOST (Schuirmann 1987; statsmodels' ttost_paired): on the per-query differences
// d = arm - base (n queries, df = n - 1, se = sd(d) / sqrt(n)) two one-sided t-tests,
//   lower: H0 mean <= -m vs H1 mean > -m, t_lo = (mean + m) / se, p_lo = P(T > t_lo)
//   upper: H0 mean >= +m vs H1 mean < +m, t_up = (mean - m) / se, p_up = P(T < t_up)
// and p = max(p_lo, p_up). TOST at alpha rejects "not equivalent" exactly when the
// (1 - 2 alpha) confidence interval lies inside [-m, +m].
//
// Verdicts, the four outcomes of equivalence testing (Lakens, Scheel & Isager 2018, fig. 1),
// from two confidence intervals of the mean difference (t-based here, or any others, e.g. the
// seed bootstrap's, through `verdict`):
//   equivalent  = the (1 - 2 alpha) CI lies inside (-m, +m)            (TOST rejects)
//   different   = the (1 - alpha) CI excludes 0                        (two-sided test rejects)
//   equivalent (and perhaps different) -> 'equivalent'; `different` flags "a real but smaller
//                                          than m difference" (Lakens' outcome B)
//   not equivalent, different          -> 'better' (CI above 0) or 'worse' (CI below 0)
//   neither                            -> 'inconclusive': the data cannot tell; never read
//                                          "not significant" as "matches the base".
// Over seeds, pass seedBootstrapCI(deltas, { level: 1 - 2 alpha }) and (..., { level: 1 - alpha }).
// A multiple-comparison correction is the caller's: pass the corrected alpha.
import { tCdf, tQuantile } from './distributions.ts';

export type Verdict = 'worse' | 'equivalent' | 'better' | 'inconclusive';

export interface OneSidedTest {
  t: number;
  p: number;
}

export interface Tost {
  n: number;
  df: number;
  meanDelta: number;
  sd: number;
  margin: number;
  lower: OneSidedTest; // H0: mean <= -m
  upper: OneSidedTest; // H0: mean >= +m
  p: number; // max(lower.p, upper.p)
}

export interface VerdictResult {
  verdict: Verdict;
  equivalent: boolean;
  different: boolean;
}

export interface EquivalenceTest extends VerdictResult {
  alpha: number;
  tost: Tost;
  difference: { t: number; p: number }; // two-sided paired t-test of mean = 0
  ciEquivalence: [number, number]; // level 1 - 2 alpha
  ciDifference: [number, number]; // level 1 - alpha
}

function summary(d: readonly number[]): { n: number; mean: number; sd: number } {
  const n = d.length;
  if (n < 2) throw new Error(`a paired t-test needs at least 2 queries, got ${n}`);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  return { n, mean, sd: Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) };
}

/** P(T >= t) on df; a zero standard error gives t = +-inf (or 0/0: p = 1, no evidence). */
function upperTail(num: number, se: number, df: number): OneSidedTest {
  if (se === 0) return num > 0 ? { t: Infinity, p: 0 } : { t: num < 0 ? -Infinity : NaN, p: 1 };
  const t = num / se;
  return { t, p: 1 - tCdf(t, df) };
}

/** Paired TOST of d = arm - base at margin m > 0. */
export function pairedTost(d: readonly number[], margin: number): Tost {
  if (!(margin > 0)) throw new Error(`equivalence margin must be > 0, got ${margin}`);
  const { n, mean, sd } = summary(d);
  const se = sd / Math.sqrt(n);
  const lower = upperTail(mean + margin, se, n - 1);
  const flipped = upperTail(margin - mean, se, n - 1); // P(T <= t_up) = P(T >= -t_up)
  const upper = { t: -flipped.t, p: flipped.p };
  return { n, df: n - 1, meanDelta: mean, sd, margin, lower, upper, p: Math.max(lower.p, upper.p) };
}

/** t-based confidence interval of mean(d) at `level`. */
export function pairedTInterval(d: readonly number[], level: number): [number, number] {
  const { n, mean, sd } = summary(d);
  const half = tQuantile((1 + level) / 2, n - 1) * (sd / Math.sqrt(n));
  return [mean - half, mean + half];
}

/** The four-outcome verdict from a (1 - 2 alpha) CI (equivalence) and a (1 - alpha) CI (difference). */
export function verdict(
  ci: { equivalence: readonly [number, number]; difference: readonly [number, number] },
  margin: number,
): VerdictResult {
  if (!(margin > 0)) throw new Error(`equivalence margin must be > 0, got ${margin}`);
  const [eLo, eHi] = ci.equivalence;
  const [dLo, dHi] = ci.difference;
  if (!(eLo <= eHi && dLo <= dHi))
    throw new Error(`a confidence interval is reversed or NaN: ${eLo}..${eHi}, ${dLo}..${dHi}`);
  const equivalent = eLo > -margin && eHi < margin;
  const different = dLo > 0 || dHi < 0;
  const v: Verdict = equivalent ? 'equivalent' : !different ? 'inconclusive' : dLo > 0 ? 'better' : 'worse';
  return { verdict: v, equivalent, different };
}

/** TOST, the two-sided t-test, both t intervals and the verdict for paired scores. */
export function equivalenceTest(
  base: readonly number[],
  arm: readonly number[],
  o: { margin: number; alpha?: number },
): EquivalenceTest {
  if (base.length !== arm.length) throw new Error(`paired scores differ in length: ${base.length} vs ${arm.length}`);
  const alpha = o.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) throw new Error(`alpha must be in (0, 0.5), got ${alpha}`);
  const d = arm.map((x, i) => x - base[i]!);
  const tost = pairedTost(d, o.margin);
  const se = tost.sd / Math.sqrt(tost.n);
  const zero = upperTail(Math.abs(tost.meanDelta), se, tost.df);
  const difference = { t: Math.sign(tost.meanDelta) * zero.t, p: Math.min(1, 2 * zero.p) };
  const ciEquivalence = pairedTInterval(d, 1 - 2 * alpha);
  const ciDifference = pairedTInterval(d, 1 - alpha);
  const v = verdict({ equivalence: ciEquivalence, difference: ciDifference }, o.margin);
  return { ...v, alpha, tost, difference, ciEquivalence, ciDifference };
}
