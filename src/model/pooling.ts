// Sentence vectors from token states, as sentence-transformers' Pooling module computes them.
// hidden [B, T, C], mask [B, T] (1 token, 0 padding; right-padded, so [CLS] is at t = 0) -> [B, C]
import { stack, type Tensor } from '../engine/index.ts';
import type { Pooling } from './config.ts';

/** mean over real tokens: sum_t h[b,t,:] m[b,t] / sum_t m[b,t] */
export function meanPool(hidden: Tensor, mask: Tensor): Tensor {
  const m = mask.unsqueeze(-1); // [B, T, 1]
  const summed = hidden.mul(m).sum(1); // [B, C]
  const counts = mask.sum(1, true).clamp(1e-9); // [B, 1]
  return summed.div(counts);
}

/** sum over real tokens / sqrt(count): e.g. 4 tokens summing to s give s / 2, where mean gives s / 4. */
export function meanSqrtLenPool(hidden: Tensor, mask: Tensor): Tensor {
  const summed = hidden.mul(mask.unsqueeze(-1)).sum(1); // [B, C]
  return summed.div(mask.sum(1, true).clamp(1e-9).sqrt()); // [B, C]
}

/** the first token's state ([CLS]): h[b, 0, :] */
export function clsPool(hidden: Tensor): Tensor {
  return hidden.slice(1, 0, 1).squeeze(1); // [B, C]
}

/** element-wise max over real tokens (padding set to -inf first, as sentence-transformers does) */
export function maxPool(hidden: Tensor, mask: Tensor): Tensor {
  const padding = mask.unsqueeze(-1).neg().gt(-0.5); // [B, T, 1]: true where mask is 0
  return hidden.maskedFill(padding, Number.NEGATIVE_INFINITY).max(1); // [B, C]
}

export function pool(pooling: Pooling, hidden: Tensor, mask: Tensor): Tensor {
  switch (pooling) {
    case 'mean':
      return meanPool(hidden, mask);
    case 'mean-sqrt-len':
      return meanSqrtLenPool(hidden, mask);
    case 'cls':
      return clsPool(hidden);
    case 'max':
      return maxPool(hidden, mask);
  }
}

/**
 * The same poolings over packed token states: hidden [N, C] holds sequences of `lengths` real
 * tokens one after another (no padding, so no mask) -> [B, C]
 */
export function poolPacked(pooling: Pooling, hidden: Tensor, lengths: readonly number[]): Tensor {
  let offset = 0;
  const rows = lengths.map((L) => {
    const h = hidden.slice(0, offset, offset + L); // [L, C]
    offset += L;
    switch (pooling) {
      case 'mean':
        return h.sum(0).div(L); // [C]
      case 'mean-sqrt-len':
        return h.sum(0).div(Math.sqrt(L));
      case 'cls':
        return h.slice(0, 0, 1).squeeze(0);
      case 'max':
        return h.max(0);
    }
  });
  return stack(rows, 0); // [B, C]
}

/** v / max(||v||_2, 1e-12), row-wise, as sentence-transformers' Normalize module. */
export function l2Normalize(x: Tensor): Tensor {
  return x.normalize(2, -1, 1e-12);
}
