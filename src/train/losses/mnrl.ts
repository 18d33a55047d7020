// MultipleNegativesRankingLoss (Henderson et al. 2017; sentence-transformers).
//
//   s_ij = scale * cos(q_i, c_j),  c = [p_1..p_B, n_1..n_B]   (the other queries' positives
//   and every hard negative in the batch are negatives for q_i)
//   L = mean_i CE(s_i, i) = mean_i ( -s_ii + log sum_j exp(s_ij) )
//
// Inputs: query, positive and (optional) negative embeddings, each [B, C].
// Hyperparameters: scale = 1 / temperature (sentence-transformers' default 20).
// Data-parallel (sentence-transformers' gathered MNRL): p and n are every rank's rows, gathered
// with gradients ([R*B, C]), and `first` is the global index of this rank's first query, so
// query i's positive is candidate first + i.
import { arange, cat, crossEntropy, type Tensor } from '../../engine/index.ts';

export function mnrlLoss(q: Tensor, p: Tensor, n: Tensor | null, scale = 20, first = 0): Tensor {
  const B = q.shape[0]!;
  const candidates = n ? cat([p, n], 0) : p; // [B or 2B, C]
  const qn = q.normalize(2, -1, 1e-8);
  const cn = candidates.normalize(2, -1, 1e-8);
  const scores = qn.matmul(cn.transpose(0, 1)).mul(scale); // [B, B or 2B]
  return crossEntropy(scores, arange(first, first + B, 1, { device: q.device })); // scalar
}
