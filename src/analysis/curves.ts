// Figure 2: the training curves of one or more runs (per-step loss raw and smoothed, learning
// rate, gradient norm; per-evaluation triplet accuracy and retrieval metrics) from log.jsonl.
import type { CurveSeries, CurvesResult } from './types.ts';
import { readTrainingLog } from './training-log.ts';
import { UserError } from '../errors.ts';

export const DEFAULT_ALPHA = 0.1;

/**
 * Exponential moving average: s[0] = x[0], s[t] = alpha x[t] + (1 - alpha) s[t-1] (no bias
 * correction needed since it starts at the first value).
 */
export function ema(xs: readonly number[], alpha: number): number[] {
  const out: number[] = [];
  let s = NaN;
  for (const x of xs) {
    s = out.length === 0 ? x : alpha * x + (1 - alpha) * s;
    out.push(s);
  }
  return out;
}

export function readCurves(runs: { label: string; dir: string }[], alpha = DEFAULT_ALPHA): CurvesResult {
  if (!(alpha > 0 && alpha <= 1)) throw new UserError(`smoothing alpha must be in (0, 1], got ${alpha}`);
  if (runs.length === 0) throw new UserError('no runs to read curves from');
  return { smoothing: { method: 'ema', alpha }, series: runs.map((r) => series(r.label, r.dir, alpha)) };
}

function series(label: string, dir: string, alpha: number): CurveSeries {
  const log = readTrainingLog(dir);
  const steps = log.steps.filter((s) => s.loss !== null);
  if (steps.length === 0) throw new UserError(`${log.path}: no training steps with a loss`);
  const loss = steps.map((s) => s.loss!);
  return {
    model: label,
    steps: steps.map((s) => s.step),
    loss,
    lossSmoothed: ema(loss, alpha),
    lr: steps.map((s) => s.lr ?? NaN),
    gradNorm: steps.map((s) => s.gradNorm ?? NaN),
    evals: log.evals.map((e) => ({
      step: e.step,
      tripletAccuracy: e.tripletAccuracy,
      evalLoss: e.evalLoss,
      metrics: e.metrics,
    })),
  };
}
