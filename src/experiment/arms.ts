// The study's arms: the paper's five (base; full / LoRA fine-tuning x random / hard
// negatives, at the paper's lr 2e-5), LoRA at a rate where it visibly trains, and `recipe`
// (MNRL with in-batch plus mined hard negatives, and a preservation regulariser).
import type { ArmRecord, StudyConfigRecord } from '../report/schema.ts';
import type { TrainConfig } from '../train/trainer.ts';
import { TRAIN_DEFAULTS } from '../train/train-config.ts';
import { TRIPLET_PRESETS } from '../train/losses/triplet-loss.ts';
import { loraShare, PAPER_LORA } from '../model/lora.ts';
import { bertParameterShapes } from '../model/bert.ts';
import type { BertConfig } from '../model/config.ts';
import { UserError } from '../errors.ts';

export type TripletConfigName = 'paper-run' | 'paper-text';

export interface ArmSpec {
  name: string;
  /** What the arm is; armLabel adds the values a sweep may choose (LoRA's lr, the preservation weight). */
  label: string;
  method: 'base' | 'full' | 'lora';
  negatives: 'random' | 'hard' | null;
  kind: 'base' | 'triplet' | 'recipe';
  lr: number | null;
  /** The recipe's anchor to the base: its embeddings of the batch's texts, or its weights (L2-SP). */
  anchor?: 'embeddings' | 'weights';
  /** Runs only when `--arms` names it (a variant, not part of the default study). */
  optional?: true;
  /** The embedding-anchored recipe's preservation weight (default RECIPE_PRESERVE_WEIGHT; a sweep may set it). */
  preserveWeight?: number;
}

export const PAPER_LR = TRAIN_DEFAULTS.lr;
/** LoRA's rate where it visibly trains: 50x the paper's (PEFT's usual LoRA range is 1e-4..1e-3). */
export const LORA_HIGH_LR = 1e-3;
/** The recipe's preservation weight: the MNRL loss is O(1); a mean cosine drift of 0.02 then costs 0.1. */
export const RECIPE_PRESERVE_WEIGHT = 5;
/** recipe-l2sp's anchor weight: its pull matches the task gradient after a few steps (losses/weight-anchor.ts). */
export const RECIPE_L2SP_WEIGHT = 1;
export const MNRL_SCALE = TRAIN_DEFAULTS.mnrlScale;

export const ARMS: readonly ArmSpec[] = [
  { name: 'base', label: 'Base model (all-MiniLM-L6-v2)', method: 'base', negatives: null, kind: 'base', lr: null },
  {
    name: 'full-random',
    label: 'Full FT, random negatives',
    method: 'full',
    negatives: 'random',
    kind: 'triplet',
    lr: PAPER_LR,
  },
  {
    name: 'full-hard',
    label: 'Full FT, hard negatives',
    method: 'full',
    negatives: 'hard',
    kind: 'triplet',
    lr: PAPER_LR,
  },
  {
    name: 'lora-random',
    label: 'LoRA, random negatives',
    method: 'lora',
    negatives: 'random',
    kind: 'triplet',
    lr: PAPER_LR,
  },
  {
    name: 'lora-hard',
    label: 'LoRA, hard negatives',
    method: 'lora',
    negatives: 'hard',
    kind: 'triplet',
    lr: PAPER_LR,
  },
  {
    name: 'lora-hard-lr1e-3',
    label: 'LoRA, hard negatives',
    method: 'lora',
    negatives: 'hard',
    kind: 'triplet',
    lr: LORA_HIGH_LR,
  },
  {
    name: 'recipe',
    label: 'Recipe: full FT, MNRL + hard negatives + preservation',
    method: 'full',
    negatives: 'hard',
    kind: 'recipe',
    lr: PAPER_LR,
    anchor: 'embeddings',
  },
  {
    name: 'recipe-l2sp',
    label: `Recipe variant: full FT, MNRL + hard negatives + L2-SP weight anchor (${RECIPE_L2SP_WEIGHT})`,
    method: 'full',
    negatives: 'hard',
    kind: 'recipe',
    lr: PAPER_LR,
    anchor: 'weights',
    optional: true,
  },
];

/** The arm's label with the values it trains at: "LoRA, hard negatives (lr 2e-4)", "Recipe: ... (5)". */
export function armLabel(arm: ArmSpec): string {
  if (arm.method === 'lora') return `${arm.label} (lr ${arm.lr!.toExponential()})`;
  if (arm.kind === 'recipe' && arm.anchor === 'embeddings')
    return `${arm.label} (${arm.preserveWeight ?? RECIPE_PRESERVE_WEIGHT})`;
  return arm.label;
}

/** `--arms a,b,c` -> the specs, base always first (every table compares against it). */
export function selectArms(list: string | undefined): ArmSpec[] {
  if (!list) return ARMS.filter((a) => !a.optional);
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const n of names)
    if (!ARMS.some((a) => a.name === n))
      throw new UserError(`unknown arm '${n}' (have ${ARMS.map((a) => a.name).join(', ')})`);
  return ARMS.filter((a) => a.name === 'base' || names.includes(a.name));
}

export interface TrainingShape {
  steps: number;
  batchSize: number;
  seed: number;
  model: string;
  warmup: number;
  evalEvery: number;
}

/** The trainer configuration of one arm (null for the base). */
export function armTrainConfig(arm: ArmSpec, config: TripletConfigName, s: TrainingShape): TrainConfig | null {
  if (arm.kind === 'base') return null;
  const preset = TRIPLET_PRESETS[config];
  const recipe = arm.kind === 'recipe';
  return {
    ...TRAIN_DEFAULTS,
    model: s.model,
    loss: recipe ? 'mnrl' : 'triplet',
    distance: preset.distance,
    margin: preset.margin,
    mnrlScale: MNRL_SCALE,
    normalize: recipe ? true : preset.normalize,
    batchSize: s.batchSize,
    lr: arm.lr!,
    warmup: s.warmup,
    maxSteps: s.steps,
    lora: arm.method === 'lora' ? PAPER_LORA : null,
    seed: s.seed,
    evalEvery: s.evalEvery,
    // MNRL's in-batch negatives: a query twice in one batch would train its other positive as a negative
    ...(recipe ? { batchSampler: 'no-duplicates' as const } : {}),
    regulariser: !recipe
      ? null
      : arm.anchor === 'weights'
        ? { kind: 'weights-l2sp', weight: RECIPE_L2SP_WEIGHT, reference: s.model }
        : { kind: 'embedding-cosine', weight: arm.preserveWeight ?? RECIPE_PRESERVE_WEIGHT, reference: s.model },
  };
}

export function lossDescription(arm: ArmSpec, config: TripletConfigName): string {
  if (arm.kind === 'base') return 'none';
  if (arm.kind === 'recipe') {
    const anchor =
      arm.anchor === 'weights'
        ? `l2sp(${RECIPE_L2SP_WEIGHT})`
        : `preserve(cosine, ${arm.preserveWeight ?? RECIPE_PRESERVE_WEIGHT})`;
    return `mnrl(scale ${MNRL_SCALE}, in-batch + hard)+${anchor}`;
  }
  const p = TRIPLET_PRESETS[config];
  return `triplet(${p.distance}, margin ${p.margin}${p.normalize ? ', normalised' : ', unnormalised'})`;
}

export function armRecord(
  arm: ArmSpec,
  config: TripletConfigName,
  cfg: TrainConfig | null,
  modelPath: string | null,
): ArmRecord {
  return {
    name: arm.name,
    label: arm.kind === 'triplet' ? `${armLabel(arm)} (${config})` : armLabel(arm),
    method: arm.method,
    negatives: arm.negatives,
    loss: lossDescription(arm, config),
    lr: arm.lr,
    steps: cfg?.maxSteps ?? null,
    batchSize: cfg?.batchSize ?? null,
    trainConfig: cfg ? { ...cfg } : null,
    modelPath,
  };
}

/** What the LoRA arms train on the base model (results.config.lora), counted from its shapes; none without a LoRA arm. */
export function loraRecord(base: BertConfig, arms: readonly ArmSpec[]): StudyConfigRecord['lora'] {
  if (!arms.some((a) => a.method === 'lora')) return undefined;
  const { r, alpha, targets } = PAPER_LORA;
  return { r, alpha, targets: [...targets], ...loraShare(bertParameterShapes(base), PAPER_LORA) };
}
