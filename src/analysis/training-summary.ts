// Table III for one trained model folder: final training loss, held-out triplet accuracy
// (cosine, the paper's "eval cosine accuracy") and the validation retrieval metric, read from
// DIR/log.jsonl and DIR/ftlab.json only (no engine, no model load).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UserError } from '../errors.ts';
import type { TrainingSummary } from './types.ts';
import { readTrainingLog, type EvalEntry } from './training-log.ts';

/** Steps averaged for the final loss: the last 1% of steps, rounded up, at least one. */
export function finalLossWindow(steps: number): number {
  return Math.max(1, Math.ceil(steps / 100));
}

export function summarizeTraining(dir: string, label: string): TrainingSummary {
  const log = readTrainingLog(dir);
  const losses = log.steps.map((s) => s.loss).filter((l): l is number => l !== null);
  if (losses.length === 0) throw new UserError(`${log.path}: no training steps with a loss`);
  const window = finalLossWindow(losses.length);
  const tail = losses.slice(losses.length - window);
  const training = readTrainingConfig(dir);
  const last = log.evals.at(-1) ?? null;
  return {
    model: label,
    modelPath: dir,
    method:
      existsSync(join(dir, 'adapter_config.json')) || (training.lora !== undefined && training.lora !== null)
        ? 'lora'
        : 'full',
    loss: describeLoss(training),
    steps: log.steps.at(-1)!.step,
    finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    finalLossSteps: window,
    heldOutTriples: last?.evalTriples ?? 0, // 0: the log has no count (older trainer)
    heldOutQueries: last?.evalQueries ?? 0,
    tripletAccuracy: last?.tripletAccuracy ?? null,
    validation: bestValidation(log.evals),
    trainSeconds: typeof training.trainSeconds === 'number' ? training.trainSeconds : null,
  };
}

/** The best value of the evals' first retrieval metric (the one the trainer picks `best` by). */
export function bestValidation(evals: readonly EvalEntry[]): TrainingSummary['validation'] {
  let best: TrainingSummary['validation'] = null;
  for (const e of evals) {
    const metric = Object.keys(e.metrics)[0];
    if (metric === undefined) continue;
    const value = e.metrics[metric]!;
    if (best === null || (metric === best.metric && value > best.value)) best = { metric, value, step: e.step };
  }
  return best;
}

/** ftlab.json "training" of a model folder (a UserError when there is none). */
export function readTrainingConfig(dir: string): Record<string, unknown> {
  const path = join(dir, 'ftlab.json');
  if (!existsSync(path)) throw new UserError(`${dir}: no ftlab.json (is it a folder written by ftlab train?)`);
  let info: unknown;
  try {
    info = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InputError(path, null, 'not valid JSON');
  }
  const training = (info as { training?: unknown }).training;
  if (training === null || typeof training !== 'object')
    throw new UserError(`${path}: no "training" record (not a trained model folder)`);
  return training as Record<string, unknown>;
}

/** e.g. "triplet(euclidean, margin 5)" or "mnrl(scale 20)". */
export function describeLoss(t: Record<string, unknown>): string {
  if (t.loss === 'triplet') return `triplet(${String(t.distance)}, margin ${String(t.margin)})`;
  if (t.loss === 'mnrl') return `mnrl(scale ${String(t.mnrlScale)})`;
  return typeof t.loss === 'string' ? t.loss : 'unknown';
}
