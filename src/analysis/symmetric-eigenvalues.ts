// Eigenvalues of a small symmetric matrix by the cyclic Jacobi method (Golub & Van Loan,
// Matrix Computations, 8.5). Hand-written because the engine exposes no SVD/eig (libtorch has
// them, but the addon does not bind them) and the matrices here are at most a few hundred
// rows (a d x d Gram matrix, d = 384): a sweep costs O(d^3), ~10 sweeps converge.

/** Eigenvalues of the symmetric n x n matrix `a` (row-major; not modified), descending. */
export function symmetricEigenvalues(a: Float64Array, n: number, tol = 1e-12, maxSweeps = 60): number[] {
  if (a.length !== n * n) throw new Error(`symmetricEigenvalues: ${a.length} values for a ${n} x ${n} matrix`);
  const m = Float64Array.from(a);
  const scale = Math.max(1e-300, frobenius(m));
  for (let sweep = 0; sweep < maxSweeps && offDiagonal(m, n) > tol * scale; sweep++) {
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) rotate(m, n, p, q);
  }
  return Array.from({ length: n }, (_, i) => m[i * n + i]!).sort((x, y) => y - x);
}

/** One Jacobi rotation J(p, q, theta) applied as J^T M J, zeroing M[p][q]. */
function rotate(m: Float64Array, n: number, p: number, q: number): void {
  const apq = m[p * n + q]!;
  if (apq === 0) return;
  const app = m[p * n + p]!;
  const aqq = m[q * n + q]!;
  const tau = (aqq - app) / (2 * apq);
  const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau)); // the smaller root: stable
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const mkp = m[k * n + p]!;
    const mkq = m[k * n + q]!;
    m[k * n + p] = c * mkp - s * mkq;
    m[k * n + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < n; k++) {
    const mpk = m[p * n + k]!;
    const mqk = m[q * n + k]!;
    m[p * n + k] = c * mpk - s * mqk;
    m[q * n + k] = s * mpk + c * mqk;
  }
}

function offDiagonal(m: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += m[i * n + j]! ** 2;
  return Math.sqrt(s);
}

function frobenius(m: Float64Array): number {
  let s = 0;
  for (const v of m) s += v * v;
  return Math.sqrt(s);
}
