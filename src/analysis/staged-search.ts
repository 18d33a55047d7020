// Exact top-k search with its time split into similarity (uploads, normalisation, the score
// matmul) and top-k (selection, merge, read-back), for the timing table: the very code
// search runs (src/retrieval/exact-search.ts), with its stage clock on.
import { exactSearchSync, type StageClock, type TopK } from '../retrieval/exact-search.ts';

export interface StagedSearch {
  result: TopK;
  similaritySeconds: number;
  topkSeconds: number;
}

export function stagedSearch(
  queries: Float32Array,
  dim: number,
  chunks: readonly Float32Array[],
  k: number,
  o: { device?: string; normalize?: boolean } = {},
): StagedSearch {
  const clock: StageClock = { similaritySeconds: 0, topkSeconds: 0 };
  const result = exactSearchSync(queries, dim, chunks, k, { ...o, clock });
  return { result, ...clock };
}
