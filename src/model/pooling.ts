// Sentence vectors from token states.
import type { Tensor } from '../engine/index.ts';

/** mean over real tokens: sum_t h[b,t,:] m[b,t] / sum_t m[b,t]; hidden [B, T, C], mask [B, T] -> [B, C] */
export function meanPool(hidden: Tensor, mask: Tensor): Tensor {
  const m = mask.unsqueeze(-1); // [B, T, 1]
  const summed = hidden.mul(m).sum(1); // [B, C]
  const counts = mask.sum(1, true).clamp(1e-9); // [B, 1]
  return summed.div(counts);
}

/** v / max(||v||_2, 1e-12), row-wise, as sentence-transformers' Normalize module. */
export function l2Normalize(x: Tensor): Tensor {
  return x.normalize(2, -1, 1e-12);
}
