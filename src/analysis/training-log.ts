// Reads a training run's log.jsonl (written by src/train/trainer.ts): one JSON object a line,
// `{type:'step', step, loss, lr, gradNorm, ...}` or `{type:'eval', step, tripletAccuracy,
// evalLoss, [evalTriples, evalQueries,] <metric>: value ...}`. NaN was written as null by
// JSON.stringify, so numbers here may be null. A step logged twice (a resumed run that
// re-logged it) keeps its last line.
import { existsSync } from 'node:fs';
import { readTextFile } from '../io/json-file.ts';
import { join } from 'node:path';
import { InputError, UserError } from '../errors.ts';

export interface StepEntry {
  step: number;
  loss: number | null;
  lr: number | null;
  gradNorm: number | null;
}

export interface EvalEntry {
  step: number;
  tripletAccuracy: number | null;
  evalLoss: number | null;
  evalTriples: number | null; // null: the log predates these counts
  evalQueries: number | null;
  metrics: Record<string, number>; // retrieval metrics, e.g. {"RR@10": 0.33}
}

export interface TrainingLog {
  path: string;
  steps: StepEntry[];
  evals: EvalEntry[];
}

/** Keys of an eval line that are not retrieval metrics. */
const EVAL_FIELDS = new Set(['type', 'step', 'tripletAccuracy', 'evalLoss', 'evalTriples', 'evalQueries']);

export function readTrainingLog(dir: string): TrainingLog {
  const path = join(dir, 'log.jsonl');
  if (!existsSync(path)) throw new UserError(`${dir}: no log.jsonl (is it a folder written by ftlab train?)`);
  const steps = new Map<number, StepEntry>();
  const evals = new Map<number, EvalEntry>();
  readTextFile(path, 'log.jsonl')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim().length === 0) return;
      const o = parseLine(text, path, i + 1);
      const step = o.step;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
        throw new InputError(path, i + 1, `"step" must be a non-negative integer`);
      if (o.type === 'step')
        steps.set(step, { step, loss: numOrNull(o.loss), lr: numOrNull(o.lr), gradNorm: numOrNull(o.gradNorm) });
      else if (o.type === 'eval') evals.set(step, evalEntry(o, step));
      else throw new InputError(path, i + 1, `"type" must be "step" or "eval", got ${JSON.stringify(o.type)}`);
    });
  const byStep = <T extends { step: number }>(m: Map<number, T>): T[] =>
    [...m.values()].sort((a, b) => a.step - b.step);
  return { path, steps: byStep(steps), evals: byStep(evals) };
}

function parseLine(text: string, path: string, line: number): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new InputError(path, line, 'not valid JSON');
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new InputError(path, line, 'expected a JSON object');
  return o as Record<string, unknown>;
}

function evalEntry(o: Record<string, unknown>, step: number): EvalEntry {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(o))
    if (!EVAL_FIELDS.has(k) && typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
  return {
    step,
    tripletAccuracy: numOrNull(o.tripletAccuracy),
    evalLoss: numOrNull(o.evalLoss),
    evalTriples: numOrNull(o.evalTriples),
    evalQueries: numOrNull(o.evalQueries),
    metrics,
  };
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
