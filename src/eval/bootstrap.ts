// Paired bootstrap confidence interval of a mean difference (Efron & Tibshirani 1993, ch. 13),
// resampling queries with replacement. Percentile method: the interval is the alpha/2 and
// 1 - alpha/2 quantiles of the resampled means, each quantile interpolated linearly between
// order statistics (numpy's default, "type 7": h = (B - 1) p). Seeded: same seed, same CI.
import { Random } from '../data/random.ts';

export interface BootstrapOptions {
  resamples?: number; // B, default 10,000
  seed?: number; // default 42
  level?: number; // default 0.95
  /** Enumerate all n^n equally likely resamples instead of sampling: 'auto' (default) when n^n <= resamples. */
  exact?: boolean | 'auto';
}

/** Quantile p of ascending `sorted` values, linear between order statistics (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The means of every ordered resample of d (n^n of them), in enumeration order. */
function allResampleMeans(d: readonly number[]): Float64Array {
  const n = d.length;
  const out = new Float64Array(n ** n);
  const idx = new Array<number>(n).fill(0);
  for (let r = 0; r < out.length; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[idx[i]!]!;
    out[r] = s / n;
    for (let i = 0; i < n && ++idx[i]! === n; i++) idx[i] = 0; // odometer
  }
  return out;
}

function sampledResampleMeans(d: readonly number[], resamples: number, seed: number): Float64Array {
  const n = d.length;
  const rng = new Random(seed);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)]!;
    out[r] = s / n;
  }
  return out;
}

/** Percentile CI of mean(d), d the per-query differences (model - baseline). */
export function bootstrapCI(d: readonly number[], o: BootstrapOptions = {}): [number, number] {
  const n = d.length;
  if (n === 0) throw new Error('bootstrap of an empty sample');
  const resamples = o.resamples ?? 10_000;
  const alpha = 1 - (o.level ?? 0.95);
  const exact = o.exact === true || ((o.exact ?? 'auto') === 'auto' && n ** n <= resamples);
  const means = exact ? allResampleMeans(d) : sampledResampleMeans(d, resamples, o.seed ?? 42);
  means.sort();
  return [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
}
