// What makes two training runs the same run: every setting that changes the weights, plus
// a hash of the training triples. A checkpoint and a finished model folder record it, so a
// resume can refuse to continue under another configuration.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { readJsonObject } from '../io/json-file.ts';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import type { TrainConfig, TrainingRecord } from './train-config.ts';
import { latestCheckpoint, readCheckpointMeta } from './checkpoint.ts';

export type { TrainingRecord } from './train-config.ts';

/** Settings that decide the weights. Schedules of saving and evaluating do not. */
const IDENTITY_KEYS = [
  'model',
  'loss',
  'distance',
  'margin',
  'mnrlScale',
  'normalize',
  'batchSize',
  'gradAccumulation',
  'lr',
  'warmup',
  'epochs',
  'maxSteps',
  'weightDecay',
  'maxGradNorm',
  'lora',
  'seed',
  'maxLength',
  'prompts',
  'regulariser',
  'worldSize',
  'batchSampler',
] as const satisfies readonly (keyof TrainConfig)[];

/** Settings added after records were first written: an unset one means its default. */
const UNSET_MEANS: Partial<Record<(typeof IDENTITY_KEYS)[number], unknown>> = { batchSampler: 'shuffle', worldSize: 1 };

export function triplesSha256(triples: readonly TextTriple[]): string {
  const h = createHash('sha256');
  for (const t of triples) h.update(`${t.query}\t${t.positive}\t${t.negative}\n`);
  return h.digest('hex');
}

export function trainingRecord(cfg: TrainConfig, triples: readonly TextTriple[]): TrainingRecord {
  return { config: cfg, triplesSha256: triplesSha256(triples), triples: triples.length };
}

/** `setting recorded -> wanted` for each setting that differs. */
export function recordDifferences(had: TrainingRecord, want: TrainingRecord): string[] {
  const out: string[] = [];
  const show = (v: unknown): string =>
    v === undefined ? 'unset' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  for (const k of IDENTITY_KEYS) {
    const a = had.config[k] === undefined ? UNSET_MEANS[k] : had.config[k];
    const b = want.config[k] === undefined ? UNSET_MEANS[k] : want.config[k];
    if (k === 'maxLength' && (a === undefined || b === undefined)) continue; // not recorded: not compared
    const none = k === 'prompts' ? {} : null; // no override recorded = the model's own prompts
    if (JSON.stringify(a ?? none) !== JSON.stringify(b ?? none)) out.push(`${k} ${show(a)} -> ${show(b)}`);
  }
  if (had.triplesSha256 !== want.triplesSha256) {
    out.push(
      `training triples ${had.triples} (sha256 ${had.triplesSha256.slice(0, 12)}) -> ${want.triples} (sha256 ${want.triplesSha256.slice(0, 12)})`,
    );
  }
  return out;
}

/** The record in a finished model folder's ftlab.json ("training"), or null. */
export function finishedRecord(dir: string): TrainingRecord | null {
  const path = join(dir, 'ftlab.json');
  if (!existsSync(path)) return null;
  const info = readJsonObject(path) as {
    training?: TrainConfig & { triplesSha256?: string; triples?: number };
  };
  if (!info.training) return null;
  if (typeof info.training !== 'object') throw new InputError(path, null, '"training" must be an object');
  const { triplesSha256: sha = '', triples = 0, ...config } = info.training;
  return { config, triplesSha256: sha, triples };
}

/** A folder holding model weights (trained here or elsewhere). */
export function holdsModel(dir: string): boolean {
  return ['ftlab.json', 'model.safetensors', 'adapter_model.safetensors'].some((f) => existsSync(join(dir, f)));
}

/** Compares a folder's recorded training (ftlab.json "training" / checkpoint) with `want`. */
export function compareTrainingRecord(
  dir: string,
  want: TrainingRecord,
): { state: 'missing' | 'finished' | 'partial'; differences: string[] } {
  const finished = finishedRecord(dir);
  if (finished) return { state: 'finished', differences: recordDifferences(finished, want) };
  const latest = latestCheckpoint(join(dir, 'checkpoints'));
  if (latest) return { state: 'partial', differences: recordDifferences(readCheckpointMeta(latest).record, want) };
  return { state: 'missing', differences: [] };
}
