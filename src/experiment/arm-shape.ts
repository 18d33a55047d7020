// An arm's training shape: the study-wide epochs, batch size and warm-up, with a preset's
// per-arm values over them (the paper trained full-hard 5 epochs, the others 3; its code ran
// full fine-tuning at batch 1024 and LoRA at 512). A flag given on the command line sets its
// field for every arm (withoutOverrides), so `--batch-size 4` means 4 everywhere.
import { warmupSteps } from '../train/lr-schedule.ts';
import type { ArmSpec } from './arms.ts';
import type { StudyOptions } from './options.ts';

export interface ArmOverride {
  epochs?: number;
  batchSize?: number;
  /** Steps (>= 1) or a ratio of the arm's steps (< 1). */
  warmup?: number;
}

/** Per-arm overrides, by arm name. */
export type ArmOverrides = Readonly<Record<string, Readonly<ArmOverride>>>;

export interface ArmShape {
  epochs: number | null; // null: train `steps`
  batchSize: number;
  warmup: number;
}

type ShapeOptions = Pick<StudyOptions, 'epochs' | 'batchSize' | 'warmup' | 'perArm'>;

export function armShape(o: ShapeOptions, arm: Pick<ArmSpec, 'name'>): ArmShape {
  const own = o.perArm?.[arm.name] ?? {};
  return { epochs: own.epochs ?? o.epochs, batchSize: own.batchSize ?? o.batchSize, warmup: own.warmup ?? o.warmup };
}

/** A unit's training steps: `steps`, or its epochs over its triples at its batch size. */
export function unitSteps(o: ShapeOptions & Pick<StudyOptions, 'steps'>, arm: Pick<ArmSpec, 'name'>, triples: number) {
  const s = armShape(o, arm);
  return s.epochs === null ? o.steps : Math.max(1, Math.ceil((s.epochs * triples) / s.batchSize));
}

/** The overrides without the fields a flag set for every arm (undefined when none is left). */
export function withoutOverrides(
  perArm: ArmOverrides | undefined,
  fields: readonly (keyof ArmOverride)[],
): ArmOverrides | undefined {
  const out: Record<string, ArmOverride> = {};
  for (const [arm, own] of Object.entries(perArm ?? {})) {
    const kept = Object.fromEntries(Object.entries(own).filter(([k]) => !fields.includes(k as keyof ArmOverride)));
    if (Object.keys(kept).length > 0) out[arm] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** How the plan shows an arm's shape: "5 epochs = 120 steps x 128, warm-up 1000 steps". */
export function describeShape(s: ArmShape, steps: number): string {
  const n = warmupSteps(s.warmup, steps);
  const warm = s.warmup >= 1 ? `${n} steps` : `${Math.round(s.warmup * 100)}% = ${n} steps`;
  const length = s.epochs === null ? `${steps} steps` : `${s.epochs} epochs = ${steps} steps`;
  return `${length} x ${s.batchSize}, warm-up ${warm}`;
}

/**
 * Work per training triplet in passage-equivalents (passages encoded by the base model),
 * calibrated on measured runs on the 2-core VM (oneDNN path, packed training): a full
 * fine-tuning triplet costs ~10 (forward and backward of its three texts, the optimizer, the
 * loss; standard's full-random measured 9.8, full-hard 9.8, the quick preset's arms ~9); a LoRA
 * triplet ~8 (no weight gradients for the frozen layers; standard's LoRA runs measured
 * 7.0-8.7); the embedding-anchored recipe's ~11 (MNRL over the batch, and the frozen model's
 * vectors of each text, computed once per run: measured 9.8-11.9, 12.8 before that).
 */
const TRIPLET_COST = 10;
const LORA_TRIPLET_COST = 8;
const RECIPE_TRIPLET_COST = 11;

export function tripletCost(a: Pick<ArmSpec, 'kind' | 'anchor' | 'method'>): number {
  if (a.kind === 'recipe' && a.anchor === 'embeddings') return RECIPE_TRIPLET_COST;
  return a.method === 'lora' ? LORA_TRIPLET_COST : TRIPLET_COST;
}
