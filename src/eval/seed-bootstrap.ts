// A confidence interval for an arm's mean delta (arm - base) that accounts for both the
// queries and the training seeds: a two-level (crossed) percentile bootstrap over
// deltas[seed][query] (S seeds x Q queries, each seed's arm scored on the same queries).
//
// One resample: draw Q query indices with replacement, the SAME draw for every seed (the
// seeds are paired over queries), then S seed indices with replacement, and take the mean
// over the drawn seeds of each seed's mean over the drawn queries:
//   mean* = (1/S) sum_j (1/Q) sum_i deltas[s*_j][q*_i]
// The CI is the alpha/2 and 1 - alpha/2 type-7 quantiles of B such means, as bootstrap.ts.
// Each resample draws the queries first, then the seeds, and draws no seed when S = 1; so one
// seed gives exactly the ordinary paired bootstrap (bootstrapCI), number for number.
// Resampling S seeds reproduces their spread only to a factor (S - 1)/S in variance (the
// plug-in bias of the bootstrap), so with 3 seeds the seed part of the interval is a little
// narrow; the report names the method and S beside the interval.
import { Random } from '../data/random.ts';
import { quantileSorted } from './bootstrap.ts';

export interface SeedBootstrapOptions {
  resamples?: number; // B, default 10,000
  seed?: number; // default 42
  level?: number; // default 0.95
  /** Enumerate all Q^Q * S^S equally likely resamples: 'auto' (default) when that is <= resamples. */
  exact?: boolean | 'auto';
}

export interface SeedSummary {
  perSeed: number[]; // each seed's mean delta over the queries
  mean: number; // the mean of perSeed (= the grand mean: every seed has the same queries)
  sd: number | null; // sample sd (n - 1) of perSeed; null for one seed
}

function checkedShape(deltas: readonly (readonly number[])[]): { s: number; q: number } {
  const s = deltas.length;
  const q = deltas[0]?.length ?? 0;
  if (s === 0 || q === 0) throw new Error('seed bootstrap of an empty table');
  deltas.forEach((row, i) => {
    if (row.length !== q) throw new Error(`seed ${i} has ${row.length} queries, seed 0 has ${q}`);
  });
  return { s, q };
}

export function seedSummary(deltas: readonly (readonly number[])[]): SeedSummary {
  checkedShape(deltas);
  const perSeed = deltas.map((row) => row.reduce((a, x) => a + x, 0) / row.length);
  const mean = perSeed.reduce((a, x) => a + x, 0) / perSeed.length;
  const n = perSeed.length;
  const sd = n < 2 ? null : Math.sqrt(perSeed.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { perSeed, mean, sd };
}

/** Mean over the drawn seeds of each one's mean over the drawn queries. */
function resampleMean(
  deltas: readonly (readonly number[])[],
  qIdx: ArrayLike<number>,
  sIdx: ArrayLike<number>,
): number {
  let total = 0;
  for (let j = 0; j < sIdx.length; j++) {
    const row = deltas[sIdx[j]!]!;
    let s = 0;
    for (let i = 0; i < qIdx.length; i++) s += row[qIdx[i]!]!;
    total += s / qIdx.length;
  }
  return total / sIdx.length;
}

/** Advances an odometer over base^length; false when it wraps to all zeros. */
function advance(idx: number[], base: number): boolean {
  for (let i = 0; i < idx.length; i++) {
    if (++idx[i]! < base) return true;
    idx[i] = 0;
  }
  return false;
}

function allResampleMeans(deltas: readonly (readonly number[])[], s: number, q: number): Float64Array {
  const out = new Float64Array(q ** q * s ** s);
  const qIdx = new Array<number>(q).fill(0);
  const sIdx = new Array<number>(s).fill(0);
  let r = 0;
  do {
    do out[r++] = resampleMean(deltas, qIdx, sIdx);
    while (advance(sIdx, s));
  } while (advance(qIdx, q));
  return out;
}

function sampledResampleMeans(
  deltas: readonly (readonly number[])[],
  s: number,
  q: number,
  resamples: number,
  seed: number,
): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array(resamples);
  const qIdx = new Uint32Array(q);
  const sIdx = new Uint32Array(s); // zeros: one seed is never drawn
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < q; i++) qIdx[i] = rng.int(q);
    if (s > 1) for (let j = 0; j < s; j++) sIdx[j] = rng.int(s);
    out[r] = resampleMean(deltas, qIdx, sIdx);
  }
  return out;
}

/** Two-level percentile CI of the mean delta over seeds and queries; deltas[seed][query]. */
export function seedBootstrapCI(
  deltas: readonly (readonly number[])[],
  o: SeedBootstrapOptions = {},
): [number, number] {
  const { s, q } = checkedShape(deltas);
  const resamples = o.resamples ?? 10_000;
  const alpha = 1 - (o.level ?? 0.95);
  const count = q ** q * s ** s;
  const exact = o.exact === true || ((o.exact ?? 'auto') === 'auto' && count <= resamples);
  if (exact && count > 1e7) throw new Error(`exact seed bootstrap over ${count} resamples is too many; sample instead`);
  const means = exact ? allResampleMeans(deltas, s, q) : sampledResampleMeans(deltas, s, q, resamples, o.seed ?? 42);
  means.sort();
  return [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
}
