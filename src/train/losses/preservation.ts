// Preservation regulariser: keeps a fine-tuned encoder's embeddings near those of the frozen
// model it started from (the study's `recipe` arm: fine-tune without forgetting the base).
//
//   R = weight * mean_i ( 1 - cos(f(x_i), f0(x_i)) )
//
// Inputs: the trained model's embeddings f(x) [N, C] (with gradient) and the frozen base
// model's embeddings f0(x) [N, C] of the same texts (constants). Hyperparameter: weight
// (lambda). Related: LwF-style feature distillation (Li & Hoiem 2016); L2-SP keeps the
// weights near the start instead (Xuhong et al. 2018).
import { noGrad, tensor, type Tensor } from '../../engine/index.ts';
import type { SentenceEncoder } from '../../model/sentence-encoder.ts';

export function preservationLoss(current: Tensor, reference: Tensor, weight: number): Tensor {
  const a = current.normalize(2, -1, 1e-8); // [N, C]
  const b = reference.normalize(2, -1, 1e-8); // [N, C]
  return a.mul(b).sum(-1).neg().add(1).mean().mul(weight); // scalar
}

/** The frozen reference's vectors of the queries then the passages, as a constant [Nq + Np, C] tensor on `device`. */
export function referenceEmbeddings(
  frozen: SentenceEncoder,
  queries: readonly string[],
  passages: readonly string[],
  device: string,
): Tensor {
  const v = noGrad(() => [frozen.encode(queries, 'query'), frozen.encode(passages, 'passage')]);
  const all = new Float32Array(v[0]!.length + v[1]!.length);
  all.set(v[0]!);
  all.set(v[1]!, v[0]!.length);
  const t = tensor(all, [queries.length + passages.length, frozen.dim]);
  if (device === 'cpu') return t;
  const moved = t.to(device);
  t.dispose();
  return moved;
}
