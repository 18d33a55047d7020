// L2-SP regulariser: keeps a fine-tuned model's weights near the ones it started from
// (Xuhong, Grandvalet & Davoine 2018), the alternative to preservation.ts's embedding anchor.
//
//   R = weight * sum_i || theta_i - theta0_i ||^2      over the trained parameters
//
// Inputs: the trained parameters theta_i (with gradient) and constant copies theta0_i taken
// before the first step. dR/dtheta_i = 2 * weight * (theta_i - theta0_i). Hyperparameter:
// weight (alpha in L2-SP, there with a 1/2). With AdamW the anchor competes with the task
// gradient coordinate by coordinate: after clipping to norm 1 over ~22M weights a task
// gradient coordinate is ~2e-4, and 24 steps at lr 2e-5 move a weight up to ~5e-4, so at
// weight 1 the anchor's pull (up to 2 * 5e-4 = 1e-3) matches the task's after a few steps
// and outweighs it where the weights have moved most (clipping applies to the sum).
import { noGrad, type Tensor } from '../../engine/index.ts';

export class WeightAnchor {
  readonly #start: [Tensor, Tensor][];

  /** Copies the parameters' current values (call before training). */
  constructor(
    params: Iterable<Tensor>,
    readonly weight: number,
  ) {
    this.#start = noGrad(() => [...params].map((p) => [p, p.detach().clone()] as [Tensor, Tensor]));
  }

  /** weight * sum of squared distances to the start, a scalar with gradient. */
  loss(): Tensor {
    let total: Tensor | null = null;
    for (const [p, p0] of this.#start) {
      const d = p.sub(p0).pow(2).sum(); // scalar
      total = total ? total.add(d) : d;
    }
    return total!.mul(this.weight);
  }

  dispose(): void {
    for (const [, p0] of this.#start) p0.dispose();
  }
}
