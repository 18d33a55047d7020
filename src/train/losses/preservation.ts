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

/**
 * The frozen reference's vectors, each text encoded once: over several epochs every training
 * text recurs, and the frozen model's vector of a text never changes (the recipe's frozen pass
 * was a quarter of its step).
 */
export class ReferenceVectors {
  private readonly memo = { query: new Map<string, Float32Array>(), passage: new Map<string, Float32Array>() };

  constructor(private readonly frozen: Pick<SentenceEncoder, 'dim' | 'encode'>) {}

  /** The vectors of the queries then the passages, as a constant [Nq + Np, C] tensor on `device`. */
  of(queries: readonly string[], passages: readonly string[], device: string): Tensor {
    const dim = this.frozen.dim;
    const all = new Float32Array((queries.length + passages.length) * dim);
    [...this.lookup(queries, 'query'), ...this.lookup(passages, 'passage')].forEach((v, i) => all.set(v, i * dim));
    const t = tensor(all, [queries.length + passages.length, dim]);
    if (device === 'cpu') return t;
    const moved = t.to(device);
    t.dispose();
    return moved;
  }

  private lookup(texts: readonly string[], role: 'query' | 'passage'): Float32Array[] {
    const memo = this.memo[role];
    const missing = [...new Set(texts.filter((t) => !memo.has(t)))];
    if (missing.length > 0) {
      const v = noGrad(() => this.frozen.encode(missing, role));
      const dim = this.frozen.dim;
      missing.forEach((t, i) => memo.set(t, v.slice(i * dim, (i + 1) * dim)));
    }
    return texts.map((t) => memo.get(t)!);
  }
}
