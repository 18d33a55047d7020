// AdamW (Loshchilov & Hutter 2019), as torch.optim.AdamW:
//   p <- p - lr * wd * p                       (decoupled weight decay, decay group only)
//   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Weight decay skips biases and LayerNorm weights (the Hugging Face convention), decided by
// parameter name. With libtorch 2.4+ the step is libtorch's fused kernel (as
// torch.optim.AdamW(fused=True)): one pass per parameter, no temporaries, the denominator as
// torch computes it, sqrt(v) / sqrt(1 - b2^t) + eps; before, single ops (sqrt(v / (1 - b2^t)) + eps).
import { fusedAdamW, hasFusedAdamW, noGrad, tidy, zeros, type Tensor } from '../engine/index.ts';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}
export const ADAMW_DEFAULTS: AdamWOptions = { lr: 2e-5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

/** Biases and LayerNorm weights get no weight decay. */
export function decays(name: string): boolean {
  return !(name.endsWith('.bias') || name.includes('LayerNorm.') || name.includes('layer_norm.'));
}

export class AdamW {
  step = 0;
  readonly m = new Map<string, Tensor>();
  readonly v = new Map<string, Tensor>();

  constructor(
    readonly params: Map<string, Tensor>,
    readonly o: AdamWOptions = ADAMW_DEFAULTS,
    /** libtorch's fused kernel (default: where this libtorch has it). */
    readonly fused = hasFusedAdamW(),
  ) {
    for (const [name, p] of params) {
      this.m.set(name, zeros(p.shape, { device: p.device, dtype: p.dtype }));
      this.v.set(name, zeros(p.shape, { device: p.device, dtype: p.dtype }));
    }
  }

  /** One update with learning rate `lr`; parameters without a gradient are left alone. */
  update(lr: number): void {
    this.step++;
    if (this.fused) {
      this.fusedUpdate(lr);
      return;
    }
    const [b1, b2] = this.o.betas;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    noGrad(() => {
      for (const [name, p] of this.params) {
        const g = p.grad;
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        if (this.o.weightDecay > 0 && decays(name)) p.mulInPlace(1 - lr * this.o.weightDecay);
        m.mulInPlace(b1).addInPlace(g, 1 - b1);
        v.mulInPlace(b2).addcmulInPlace(g, g, 1 - b2);
        tidy(() => p.addcdivInPlace(m, v.div(bc2).sqrt().add(this.o.eps), -lr / bc1)); // frees the temporaries
        g.dispose();
      }
    });
  }

  /** The fused kernel, once for the parameters with weight decay and once for those without. */
  private fusedUpdate(lr: number): void {
    const [beta1, beta2] = this.o.betas;
    const grads = new Map<string, Tensor>();
    for (const [n, p] of this.params) {
      const g = p.grad;
      if (g) grads.set(n, g); // parameters without a gradient are left alone
    }
    for (const decayed of [true, false]) {
      const names = [...grads.keys()].filter((n) => (this.o.weightDecay > 0 && decays(n)) === decayed);
      const weightDecay = decayed ? this.o.weightDecay : 0;
      const step = { lr, beta1, beta2, weightDecay, eps: this.o.eps, step: this.step };
      const of = (m: Map<string, Tensor>) => names.map((n) => m.get(n)!);
      noGrad(() => fusedAdamW(of(this.params), of(grads), of(this.m), of(this.v), step));
    }
    for (const g of grads.values()) g.dispose();
  }

  zeroGrad(): void {
    for (const p of this.params.values()) p.clearGrad();
  }

  /** State tensors for a checkpoint (m.NAME, v.NAME) and the step count. */
  stateTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [k, t] of this.m) out.set(`m.${k}`, t);
    for (const [k, t] of this.v) out.set(`v.${k}`, t);
    return out;
  }

  loadState(state: Map<string, Tensor>, step: number): void {
    noGrad(() => {
      for (const [k, t] of this.m) t.copyFrom(state.get(`m.${k}`)!);
      for (const [k, t] of this.v) t.copyFrom(state.get(`v.${k}`)!);
    });
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Scales gradients so their global L2 norm is at most maxNorm (torch clip_grad_norm_); returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  return noGrad(() => {
    const grads = [...params].map((p) => p.grad).filter((g): g is Tensor => g !== null);
    let sq = 0;
    for (const g of grads) {
      const n = g.norm(2).item();
      sq += n * n;
    }
    const total = Math.sqrt(sq);
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const g of grads) g.mulInPlace(coef);
    for (const g of grads) g.dispose();
    return total;
  });
}
