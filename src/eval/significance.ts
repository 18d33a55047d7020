// Paired significance tests over per-query scores, as IR papers report them.
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { Random } from '../data/random.ts';

/** Two-sided paired t-test on b - a; df = n - 1. Zero variance gives p = 1 (no difference) or 0. */
export function pairedTTest(a: readonly number[], b: readonly number[]): { t: number; p: number } {
  const n = a.length;
  const d = a.map((x, i) => b[i]! - x);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  if (n < 2) return { t: NaN, p: NaN };
  if (variance === 0) return { t: mean === 0 ? 0 : Infinity, p: mean === 0 ? 1 : 0 };
  const t = mean / Math.sqrt(variance / n);
  return { t, p: 2 * (1 - tCdf(Math.abs(t), n - 1)) };
}

/**
 * Paired randomisation test (Smucker et al. 2007): flips the sign of each per-query
 * difference at random `trials` times; p = share of trials with |mean| >= the observed one
 * (the observed assignment counted, so p > 0). Seeded: the same seed, the same p.
 * `exact` (default 'auto': when 2^n <= trials) enumerates all 2^n sign assignments instead,
 * each equally likely under the null: p = share of them with |mean| >= the observed one.
 */
export function pairedRandomisation(
  a: readonly number[],
  b: readonly number[],
  trials = 10000,
  seed = 42,
  exact: boolean | 'auto' = 'auto',
): number {
  const n = a.length;
  const d = a.map((x, i) => b[i]! - x);
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  if (exact === true || (exact === 'auto' && 2 ** n <= trials)) return exactRandomisation(d, observed);
  const rng = new Random(seed);
  let atLeast = 1;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.next() < 0.5 ? d[i]! : -d[i]!;
    if (Math.abs(s) >= observed - 1e-12) atLeast++;
  }
  return atLeast / (trials + 1);
}

/** Share of all 2^n sign flips of d whose |sum| reaches the observed |sum| (float slack 1e-12). */
function exactRandomisation(d: readonly number[], observed: number): number {
  const n = d.length;
  if (n > 30) throw new Error(`exact randomisation over 2^${n} sign flips is too many; sample instead`);
  let atLeast = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (mask >>> i) & 1 ? -d[i]! : d[i]!;
    if (Math.abs(s) >= observed - 1e-12) atLeast++;
  }
  return atLeast / 2 ** n;
}
