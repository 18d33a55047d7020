// The numbers beside Figure 1, over the vectors of n query / relevant-passage pairs stacked as
// rows [q_0 .. q_{n-1}, p_0 .. p_{n-1}] (m = 2n rows, d columns), L2-normalised first.
// "Pairs of different items" are pairs of different ROWS: a query judged with two passages
// occurs twice, and its two rows count as different items (their distance is 0).
// All sums run in float64 over every pair (no sampling), so the numbers are deterministic.
import { symmetricEigenvalues } from './symmetric-eigenvalues.ts';

/** A row-major matrix of unit rows. */
export interface UnitRows {
  data: Float64Array;
  rows: number;
  dim: number;
}

export function normalizeRows(x: ArrayLike<number>, rows: number, dim: number): UnitRows {
  if (x.length !== rows * dim) throw new Error(`normalizeRows: ${x.length} values for [${rows}, ${dim}]`);
  const data = new Float64Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j]! ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < dim; j++) data[i * dim + j] = x[i * dim + j]! * inv;
  }
  return { data, rows, dim };
}

/** Cosines of every pair of rows, [m, m]. */
export function cosineMatrix(u: UnitRows): Float64Array {
  const { data, rows: m, dim: d } = u;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += data[i * d + k]! * data[j * d + k]!;
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return g;
}

/** Mean over pairs of ||q_i - p_i||^2 = 2 - 2 cos(q_i, p_i) (Wang & Isola 2020). */
export function alignment(g: Float64Array, n: number): number {
  return 2 - 2 * meanPairCosine(g, n);
}

/** log mean over pairs of different rows of exp(-2 ||x - y||^2) (Wang & Isola 2020, t = 2). */
export function uniformity(g: Float64Array, m: number): number {
  return Math.log(meanOffDiagonal(g, m, (c) => Math.exp(-2 * (2 - 2 * c))));
}

/** Mean cosine over pairs of different rows (anisotropy: 0 for isotropic vectors). */
export function anisotropy(g: Float64Array, m: number): number {
  return meanOffDiagonal(g, m, (c) => c);
}

/** Mean cos(q_i, p_i): a query with its own relevant passage. */
export function meanPairCosine(g: Float64Array, n: number): number {
  const m = 2 * n;
  let s = 0;
  for (let i = 0; i < n; i++) s += g[i * m + n + i]!;
  return s / n;
}

/** Mean cos(q_i, p_j), i != j: a query with the other pairs' passages. */
export function meanOtherCosine(g: Float64Array, n: number): number {
  if (n < 2) return NaN;
  const m = 2 * n;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += g[i * m + n + j]!;
  return s / (n * (n - 1));
}

function meanOffDiagonal(g: Float64Array, m: number, f: (cos: number) => number): number {
  let s = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) s += f(g[i * m + j]!);
  return s / ((m * (m - 1)) / 2);
}

/**
 * exp(entropy of the singular values normalised to sum 1) (Roy & Vetterli 2007), of the
 * uncentred matrix. Singular values are the square roots of the eigenvalues of the smaller
 * Gram matrix (X^T X, d x d, or X X^T, m x m).
 */
export function effectiveRank(u: UnitRows): number {
  const { data, rows: m, dim: d } = u;
  const byCols = d <= m;
  const n = byCols ? d : m;
  const gram = new Float64Array(n * n);
  const at = byCols ? (r: number, c: number) => data[r * d + c]! : (r: number, c: number) => data[c * d + r]!; // X or X^T
  const len = byCols ? m : d;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += at(k, i) * at(k, j);
      gram[i * n + j] = s;
      gram[j * n + i] = s;
    }
  }
  const sigma = symmetricEigenvalues(gram, n).map((l) => Math.sqrt(Math.max(0, l)));
  const total = sigma.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const s of sigma) if (s > 0) h -= (s / total) * Math.log(s / total);
  return Math.exp(h);
}

/** Mean cosine between row i of one model and row i of another (same texts, same width). */
export function drift(a: UnitRows, b: UnitRows): number {
  if (a.rows !== b.rows || a.dim !== b.dim) throw new Error(`drift: [${a.rows}, ${a.dim}] vs [${b.rows}, ${b.dim}]`);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s / a.rows;
}

/**
 * Each row's k nearest other rows by cosine (ties: the lower index first), then the mean over
 * rows of the Jaccard index of the two models' neighbour sets. k is capped at m - 1.
 */
export function neighbourOverlap(ga: Float64Array, gb: Float64Array, m: number, k = 10): number {
  const kk = Math.min(k, m - 1);
  let s = 0;
  for (let i = 0; i < m; i++) {
    const a = new Set(nearest(ga, m, i, kk));
    const b = nearest(gb, m, i, kk);
    const shared = b.filter((j) => a.has(j)).length;
    s += shared / (2 * kk - shared);
  }
  return s / m;
}

/** The k rows j != i with the largest g[i][j], by insertion into a sorted list of k. */
export function nearest(g: Float64Array, m: number, i: number, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < m; j++) {
    if (j === i) continue;
    const v = g[i * m + j]!;
    if (idx.length === k && v <= val[k - 1]!) continue; // equal: the earlier index stays
    let p = Math.min(idx.length, k - 1);
    while (p > 0 && val[p - 1]! < v) p--;
    idx.splice(p, 0, j);
    val.splice(p, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return idx;
}
