// A diverged run (NaN or infinite loss, gradient norm, evaluation loss or weights) stops with
// an error naming the step; the last good checkpoint stays and no model is written.
import { noGrad, tidy, type Tensor } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { latestCheckpoint } from './checkpoint.ts';

export class Diverged extends UserError {}

/** Throws `Diverged` unless `value` is finite. */
export function assertFinite(value: number, what: string, step: number, ckptRoot: string): void {
  if (Number.isFinite(value)) return;
  const last = latestCheckpoint(ckptRoot);
  throw new Diverged(
    `${what} is ${value} at step ${step}: training diverged and stopped, no model written; ` +
      `${last ? `the last good checkpoint is ${last} (lower --lr and start over, or --resume from it)` : 'no checkpoint was written yet (lower --lr)'}`,
  );
}

/** The sum of every weight: finite iff no weight is NaN/inf (and none is absurdly large). */
export function weightSum(params: Iterable<Tensor>): number {
  return noGrad(() =>
    tidy(() => {
      let s = 0;
      for (const p of params) s += p.sum().item();
      return s;
    }),
  );
}
