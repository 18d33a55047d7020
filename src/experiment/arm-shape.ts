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
 * Work per training triplet in passage-equivalents (passages encoded by the base model, as the
 * plan measures them), fitted to the standard preset's units on the 2-core VM (2 one-thread
 * workers, fused AdamW, tcmalloc; 2026-12-06): full-hard's first and later seeds differ only
 * in test snapshots (3 against 1), which gives a snapshot ~0.8 of the plan's estimate; with it,
 * a full fine-tuning triplet costs ~6 (full-hard 5.96), the embedding-anchored recipe ~6 (5.6
 * and 6.5), a LoRA triplet ~7 (its sweep runs: 7.0; its steps are faster than full fine-tuning's,
 * but its runs spend more outside them). Before the fused AdamW and tcmalloc: 10, 11 and 8.
 */
const TRIPLET_COST = 6;
const LORA_TRIPLET_COST = 7;
const RECIPE_TRIPLET_COST = 6;

export function tripletCost(a: Pick<ArmSpec, 'kind' | 'anchor' | 'method'>): number {
  if (a.kind === 'recipe' && a.anchor === 'embeddings') return RECIPE_TRIPLET_COST;
  return a.method === 'lora' ? LORA_TRIPLET_COST : TRIPLET_COST;
}
