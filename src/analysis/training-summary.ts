// Table III for one trained model folder: final training loss, held-out triplet accuracy
// (cosine, the paper's "eval cosine accuracy") and loss at the validation-chosen checkpoint and
// at the final step, and the validation retrieval metric, read from DIR/log.jsonl and
// DIR/ftlab.json only (no engine, no model load).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UserError } from '../errors.ts';
import type { HeldOutAt, TrainingSummary } from './types.ts';
import { chooseCheckpoint } from '../train/checkpoint-choice.ts';
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
  const steps = log.steps.at(-1)!.step;
  const chosen = chosenStep(log.evals, training);
  return {
    model: label,
    modelPath: dir,
    method:
      existsSync(join(dir, 'adapter_config.json')) || (training.lora !== undefined && training.lora !== null)
        ? 'lora'
        : 'full',
    loss: describeLoss(training),
    steps,
    finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    finalLossSteps: window,
    heldOutTriples: last?.evalTriples ?? 0, // 0: the log has no count (older trainer)
    heldOutQueries: last?.evalQueries ?? 0,
    tripletAccuracy: last?.tripletAccuracy ?? null,
    validation: bestValidation(log.evals),
    trainSeconds: typeof training.trainSeconds === 'number' ? training.trainSeconds : null,
    chosen: chosen === null ? null : heldOutAt(log.evals, chosen),
    final: heldOutAt(log.evals, steps),
  };
}

function heldOutAt(evals: readonly EvalEntry[], step: number): HeldOutAt | null {
  const e = evals.find((x) => x.step === step);
  return e ? { step, tripletAccuracy: e.tripletAccuracy, evalLoss: e.evalLoss, metrics: e.metrics } : null;
}

/**
 * The step the trainer chose for DIR/best: recorded in ftlab.json ("training.chosen") by the
 * trainer; for older folders, the trainer's rule over the log's evaluations (its first
 * retrieval metric, else triplet accuracy; ties to the earlier step; step 0 a candidate when
 * logged). Null when nothing was evaluated.
 */
export function chosenStep(evals: readonly EvalEntry[], training: Record<string, unknown>): number | null {
  const recorded = (training.chosen as { step?: unknown } | null | undefined)?.step;
  if (typeof recorded === 'number') return recorded;
  const metric = evals.map((e) => Object.keys(e.metrics)[0]).find((m) => m !== undefined);
  const scores = evals.flatMap((e) => {
    const score = metric === undefined ? e.tripletAccuracy : (e.metrics[metric] ?? null);
    return score === null ? [] : [{ step: e.step, score }];
  });
  if (scores.length === 0) return null;
  if (scores.some((s) => s.step === 0)) return chooseCheckpoint(scores).step;
  return scores.reduce((b, e) => (e.score > b.score ? e : b)).step; // logs from before step 0 was evaluated
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
