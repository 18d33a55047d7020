// Checkpoints: DIR/checkpoints/step-NNNNNNN/ with the trainable parameters, AdamW's moments,
// libtorch's RNG state and trainer.json (step, best, training record). Written into a
// `.tmp` folder and renamed, so a kill leaves either a whole checkpoint or litter that the
// next run removes.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getRngState, noGrad, setRngState, type Tensor } from '../engine/index.ts';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { trackTemp, untrackTemp } from '../io/atomic-file.ts';
import { readJsonObject } from '../io/json-file.ts';
import { InputError } from '../errors.ts';
import type { AdamW } from './adamw.ts';
import type { Best, TrainingRecord } from './train-config.ts';

export interface CheckpointMeta {
  step: number;
  best: Best | null;
  record: TrainingRecord;
}

export function checkpointRoot(output: string): string {
  return join(output, 'checkpoints');
}

export function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => /^step-\d+$/.test(d))
    .sort()
    .map((d) => join(root, d));
}

export function latestCheckpoint(root: string): string | null {
  const all = listCheckpoints(root);
  return all.length > 0 ? all[all.length - 1]! : null;
}

/** Removes half-written checkpoints left by a killed run. */
export function removeStaleCheckpoints(root: string): void {
  if (!existsSync(root)) return;
  for (const d of readdirSync(root)) if (d.endsWith('.tmp')) rmSync(join(root, d), { recursive: true, force: true });
}

export function readCheckpointMeta(dir: string): CheckpointMeta {
  const path = join(dir, 'trainer.json');
  const raw = readJsonObject(path) as unknown as CheckpointMeta & { config?: TrainingRecord['config'] };
  if (!Number.isInteger(raw.step) || raw.step < 0)
    throw new InputError(path, null, `"step" must be a non-negative integer, got ${JSON.stringify(raw.step)}`);
  if ((raw.record ?? raw.config) === null || typeof (raw.record ?? raw.config) !== 'object')
    throw new InputError(path, null, 'no "record" of the training (damaged checkpoint?)');
  // checkpoints written before the record existed hold the config alone
  const record = raw.record ?? { config: raw.config!, triplesSha256: '', triples: 0 };
  return { step: raw.step, best: raw.best, record };
}

/** Writes step-N atomically and keeps only the newest `keep` checkpoints. */
export function writeCheckpoint(
  root: string,
  params: Map<string, Tensor>,
  opt: AdamW,
  meta: CheckpointMeta,
  keep: number,
): string {
  mkdirSync(root, { recursive: true });
  const final = join(root, `step-${String(meta.step).padStart(7, '0')}`);
  const tmp = `${final}.tmp`;
  trackTemp(tmp);
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    saveSafetensors(join(tmp, 'params.safetensors'), params);
    saveSafetensors(join(tmp, 'optimizer.safetensors'), opt.stateTensors());
    const rng = getRngState();
    saveSafetensors(join(tmp, 'rng.safetensors'), new Map([['torch', rng]]));
    rng.dispose();
    writeFileSync(join(tmp, 'trainer.json'), JSON.stringify(meta, null, 2));
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    untrackTemp(tmp);
  }
  const all = listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(old, { recursive: true, force: true });
  return final;
}

/** Loads parameters, optimizer state and RNG state from a checkpoint; returns its meta. */
export function restoreCheckpoint(dir: string, params: Map<string, Tensor>, opt: AdamW): CheckpointMeta {
  const meta = readCheckpointMeta(dir);
  const w = loadSafetensors(join(dir, 'params.safetensors'));
  const o = loadSafetensors(join(dir, 'optimizer.safetensors'));
  const rng = loadSafetensors(join(dir, 'rng.safetensors'));
  try {
    noGrad(() => {
      for (const [k, p] of params) p.copyFrom(w.get(k)!);
    });
    opt.loadState(o, meta.step);
    setRngState(rng.get('torch')!);
  } finally {
    for (const t of [...w.values(), ...o.values(), ...rng.values()]) t.dispose();
  }
  return meta;
}
