// What a training run does with its output folder: start fresh, continue a checkpoint, or
// refuse — never silently replace a finished model or continue under other settings.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { checkpointRoot, latestCheckpoint, readCheckpointMeta, removeStaleCheckpoints } from './checkpoint.ts';
import { finishedRecord, holdsModel, recordDifferences, type TrainingRecord } from './training-identity.ts';
import type { TrainerOptions } from './train-config.ts';

export type OutputPlan =
  | { kind: 'fresh' }
  | { kind: 'resume'; checkpoint: string; differences: string[] }
  | { kind: 'finished'; step: number };

const MODEL_FILES = [
  'ftlab.json',
  'model.safetensors',
  'adapter_model.safetensors',
  'adapter_config.json',
  'config.json',
  'tokenizer.json',
  'log.jsonl',
];

/** Decides from the folder's contents, the record and the flags; prepares the folder. */
export function planOutput(record: TrainingRecord, opts: TrainerOptions): OutputPlan {
  const out = opts.output;
  const root = checkpointRoot(out);
  const note = opts.notice ?? (() => {});
  removeStaleCheckpoints(root);
  const finished = finishedRecord(out);
  const latest = latestCheckpoint(root);
  if (opts.resume && !opts.overwrite) {
    if (finished) {
      const diff = recordDifferences(finished, record);
      if (diff.length > 0)
        throw new UserError(
          `--resume: ${out} holds a finished model trained with other settings (${diff.join('; ')}); --overwrite retrains it`,
        );
      const step = (finished.config as { step?: number }).step ?? 0;
      note(`${out} already holds the finished model of this run (${step} steps); nothing to do`);
      return { kind: 'finished', step };
    }
    if (latest) {
      const diff = recordDifferences(readCheckpointMeta(latest).record, record);
      if (diff.length > 0 && !opts.allowConfigChange) {
        throw new UserError(
          `--resume: ${latest} was trained with other settings: ${diff.join('; ')} (--allow-config-change continues anyway, --overwrite starts over)`,
        );
      }
      if (diff.length > 0) note(`resuming ${latest} with changed settings: ${diff.join('; ')} (recorded in log.jsonl)`);
      return { kind: 'resume', checkpoint: latest, differences: diff };
    }
    note(`--resume: no checkpoint in ${root}; starting fresh`);
  } else {
    checkOutputFree(out, opts);
  }
  clearFolder(out);
  return { kind: 'fresh' };
}

/**
 * A fresh run (no --resume) refuses a folder holding a model or a checkpoint unless
 * --overwrite: checked before any work, and again when training starts.
 */
export function checkOutputFree(out: string, opts: { resume: boolean; overwrite?: boolean }): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--output ${out} is a file; give a folder`);
  if (opts.resume || opts.overwrite) return;
  if (holdsModel(out))
    throw new UserError(`${out} already holds a model; --overwrite replaces it (or --resume continues the same run)`);
  const latest = latestCheckpoint(checkpointRoot(out));
  if (latest)
    throw new UserError(`${out} holds a checkpoint (${latest}); --resume continues it, --overwrite starts over`);
}

/** Removes what a previous run left (model files, checkpoints, best/, log). */
function clearFolder(out: string): void {
  mkdirSync(out, { recursive: true });
  for (const f of MODEL_FILES) rmSync(join(out, f), { force: true });
  rmSync(checkpointRoot(out), { recursive: true, force: true });
  rmSync(join(out, 'best'), { recursive: true, force: true });
  writeFileSync(join(out, 'log.jsonl'), '');
}

/** Keeps the log lines up to `step`, so a resumed log reads as one uninterrupted run. */
export function truncateLog(logPath: string, step: number): void {
  if (!existsSync(logPath)) return;
  const kept = readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && (JSON.parse(l) as { step: number }).step <= step);
  writeFileSync(logPath, kept.map((l) => `${l}\n`).join(''));
}
