// libtorch's fused AdamW kernel (torch.optim.AdamW(fused=True)) over lists of parameters: one
// pass over each parameter and its two moments, in place, with no temporaries. Present in
// libtorch 2.4 and later; train/adamw.ts falls back to single ops where it is absent.
import { native } from './native.ts';
import type { Tensor } from './tensor.ts';

export interface FusedAdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  eps: number;
  /** The step being taken, counted from 1 (the bias corrections). */
  step: number;
}

/** Whether this libtorch has the fused kernel. */
export function hasFusedAdamW(): boolean {
  return typeof native.fusedAdamW === 'function';
}

/** One AdamW step of every parameter, in place: params, their gradients, first and second moments, index for index. */
export function fusedAdamW(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], s: FusedAdamWStep): void {
  if (!native.fusedAdamW) throw new Error('this libtorch has no fused AdamW kernel (2.4 or later has it)');
  if (params.length === 0) return;
  const h = (ts: Tensor[]) => ts.map((t) => t.handle);
  native.fusedAdamW(h(params), h(grads), h(m), h(v), s.lr, s.beta1, s.beta2, s.weightDecay, s.eps, s.step);
}
