// Exact top-k search (the same chunked matmul + top-k + merge as src/retrieval/exact-search.ts,
// with the same query block and document chunks) with the similarity and the top-k work timed
// apart, for the timing table. Similarity: the chunk's upload and the [Qb, N] score matmul;
// top-k: the chunk's top-k, the merge into the running top-k and the read-back of the results.
// `normalize` L2-normalises both sides first (cosine over unnormalised vectors), as exactSearch.
import { cat, int64, keep, noGrad, tensor, tidy, type Tensor } from '../engine/index.ts';
import type { TopK } from '../retrieval/exact-search.ts';
import { l2Normalize } from '../model/pooling.ts';
import { elapsed } from './stopwatch.ts';

export const QUERY_BLOCK = 1024; // exactSearch's default

export interface StagedSearch { result: TopK; similaritySeconds: number; topkSeconds: number }

export function stagedSearch(queries: Float32Array, dim: number, chunks: readonly Float32Array[], k: number, o: { device?: string; normalize?: boolean } = {}): StagedSearch {
  const device = o.device ?? 'cpu';
  const Q = queries.length / dim;
  let sim = 0;
  let top = 0;
  let t = performance.now();
  const blocks: { q: Tensor; values: Tensor | null; indices: Tensor | null }[] = [];
  for (let s = 0; s < Q; s += QUERY_BLOCK) {
    const n = Math.min(QUERY_BLOCK, Q - s);
    const q = tidy(() => {
      const raw = tensor(queries.subarray(s * dim, (s + n) * dim), [n, dim]).to(device); // [Qb, C]
      return keep(o.normalize ? l2Normalize(raw) : raw);
    });
    blocks.push({ q, values: null, indices: null });
  }
  sim += elapsed(t);
  let offset = 0;
  try {
    for (const chunk of chunks) {
      const rows = chunk.length / dim;
      if (rows === 0) continue;
      noGrad(() => tidy(() => {
        t = performance.now();
        const raw = tensor(chunk, [rows, dim]).to(device); // [N, C]
        const dT = (o.normalize ? l2Normalize(raw) : raw).transpose(0, 1); // [C, N]
        const base = int64([offset]).to(device);
        sim += elapsed(t);
        for (const b of blocks) {
          t = performance.now();
          const scores = b.q.matmul(dT); // [Qb, N]
          sim += elapsed(t);
          t = performance.now();
          mergeTopK(b, scores, base, k);
          top += elapsed(t);
        }
      }));
      offset += rows;
    }
    t = performance.now();
    const result = readBack(blocks, Q, k);
    top += elapsed(t);
    return { result, similaritySeconds: sim, topkSeconds: top };
  } finally {
    for (const b of blocks) {
      b.q.dispose();
      b.values?.dispose();
      b.indices?.dispose();
    }
  }
}

function mergeTopK(b: { values: Tensor | null; indices: Tensor | null }, scores: Tensor, base: Tensor, k: number): void {
  const t = scores.topk(Math.min(k, scores.shape[1]!), 1); // [Qb, kk]
  const idx = t.indices.add(base);
  if (b.values === null) {
    b.values = keep(t.values);
    b.indices = keep(idx);
    return;
  }
  const allV = cat([b.values, t.values], 1);
  const allI = cat([b.indices!, idx], 1);
  const m = allV.topk(Math.min(k, allV.shape[1]!), 1);
  b.values.dispose();
  b.indices!.dispose();
  b.values = keep(m.values);
  b.indices = keep(allI.gather(1, m.indices));
}

function readBack(blocks: { q: Tensor; values: Tensor | null; indices: Tensor | null }[], Q: number, k: number): TopK {
  const indices = new Int32Array(Q * k).fill(-1);
  const scores = new Float32Array(Q * k).fill(-Infinity);
  let row = 0;
  for (const b of blocks) {
    const n = b.q.shape[0]!;
    if (b.values) {
      const kk = b.values.shape[1]!;
      const v = b.values.f32();
      const ix = b.indices!.i64();
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < kk; j++) {
          indices[(row + i) * k + j] = Number(ix[i * kk + j]);
          scores[(row + i) * k + j] = v[i * kk + j]!;
        }
      }
    }
    row += n;
  }
  return { k, indices, scores };
}
