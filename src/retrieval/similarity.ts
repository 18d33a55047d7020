// How query and passage vectors are scored: the model's similarity (ftlab.json "similarity")
// unless the caller overrides it. Cosine over a model whose output is not L2-normalised means
// normalising both sides at scoring time; over a normalised model it is the inner product of
// the stored vectors as they are. `dot` scores the raw inner product.
import type { FtlabModelInfo, Similarity } from '../model/config.ts';

export type { Similarity } from '../model/config.ts';

/** True when vectors must be L2-normalised before the inner product to give `similarity`. */
export function normalisesAtScoring(info: FtlabModelInfo, similarity: Similarity = info.similarity): boolean {
  return similarity === 'cosine' && !info.normalize;
}

/** A copy of [rows, C] vectors with each row divided by max(||row||, 1e-12) (torch's normalize). */
export function l2NormaliseRows(v: Float32Array, C: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r * C < v.length; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += v[r * C + c]! ** 2;
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let c = 0; c < C; c++) out[r * C + c] = v[r * C + c]! * inv;
  }
  return out;
}

/** Inner product of row i of `a` and row j of `b` ([rows, C] each). */
export function rowDot(a: Float32Array, i: number, b: Float32Array, j: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s += a[i * C + c]! * b[j * C + c]!;
  return s;
}
