// The few distribution functions power and equivalence need, on top of the Student t CDF
// (@stdlib): its quantile by bisection, the normal CDF, and expectations over the sampling
// distribution of a sample standard deviation (for exact t-test and TOST power).
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export { tCdf };

/** Quantile p of Student's t with df degrees of freedom: bisection on tCdf to 1e-12. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`t quantile of p = ${p}`);
  let lo = -1;
  let hi = 1;
  while (tCdf(lo, df) > p) lo *= 2;
  while (tCdf(hi, df) < p) hi *= 2;
  while (hi - lo > 1e-12 * Math.max(1, Math.abs(lo))) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Complementary error function, Numerical Recipes' erfcc (Press et al. 1992, s. 6.2): a
 * Chebyshev fit with fractional error below 1.2e-7 everywhere, which bounds the error of
 * every power and MDE below. No dependency of ours exposes erfc.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * E[g(S)] where S = s / sigma is a normal sample's standard deviation over the true one on
 * df degrees of freedom: df S^2 ~ chi-square(df), density proportional to
 * s^(df-1) exp(-df s^2 / 2). Composite Simpson over mode +- 14 sd of S (sd ~ 1/sqrt(2 df)),
 * normalised by the same rule's integral of the density, so the truncation and the rule's
 * error cancel to first order.
 */
export function expectOverSampleSd(df: number, g: (s: number) => number, intervals = 2000): number {
  if (!(df >= 1)) throw new Error(`degrees of freedom must be >= 1, got ${df}`);
  const width = 14 / Math.sqrt(2 * df);
  const lo = Math.max(0, 1 - width);
  const hi = 1 + width;
  const mode = Math.sqrt((df - 1) / df);
  const logAt = (s: number): number => (df - 1) * Math.log(s) - (df * s * s) / 2;
  const logMode = df === 1 ? 0 : logAt(mode);
  const h = (hi - lo) / intervals;
  let mass = 0;
  let sum = 0;
  for (let i = 0; i <= intervals; i++) {
    const s = lo + i * h;
    const w = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    const f = s === 0 ? (df === 1 ? 1 : 0) : Math.exp(logAt(s) - logMode);
    if (f === 0) continue;
    mass += w * f;
    sum += w * f * g(s);
  }
  return sum / mass;
}

/** The root of an increasing f on [0, inf) where f(0) < 0 < f(hi) for some hi: bisection to 1e-10. */
export function increasingRoot(f: (x: number) => number, start = 1): number {
  let hi = start;
  while (f(hi) < 0) {
    hi *= 2;
    if (hi > 1e12) throw new Error('no root: the function stays below zero');
  }
  let lo = 0;
  while (hi - lo > 1e-10 * hi) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
