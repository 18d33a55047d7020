// Hyperparameters chosen by a small sweep scored on validation only (results.json `sweeps`):
// LoRA's high learning rate and the recipe's preservation weight. Each value trains the arm at
// the first seed; its score is the validation nDCG@10 of its chosen checkpoint (the trainer's
// best, step 0 included); the highest wins, ties to the value listed first (the smaller
// change). The chosen value then trains every seed; the test fold is never read.
import type { SweepRecord } from '../report/schema.ts';
import { armRecord, type ArmSpec, type TripletConfigName } from './arms.ts';
import type { FoldOutcome } from './fold-study.ts';

export interface Sweep {
  arm: string;
  parameter: string;
  values: readonly number[];
  apply(arm: ArmSpec, value: number): ArmSpec;
}

export const SWEEPS: readonly Sweep[] = [
  { arm: 'lora-hard-lr1e-3', parameter: 'lr', values: [2e-4, 1e-3], apply: (a, lr) => ({ ...a, lr }) },
  {
    arm: 'recipe',
    parameter: 'preserve weight',
    values: [1, 5],
    apply: (a, w) => ({ ...a, preserveWeight: w }),
  },
];

/** The value with the highest validation score (ties: the first listed). */
export function sweepChoice(values: readonly number[], scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (scores[i]! > scores[best]!) best = i;
  return values[best]!;
}

export function sweepRecord(fold: string, sweep: Sweep, scores: number[]): SweepRecord {
  return {
    fold,
    arm: sweep.arm,
    parameter: sweep.parameter,
    metric: 'nDCG@10',
    values: [...sweep.values],
    scores,
    chosen: sweepChoice(sweep.values, scores),
  };
}

/**
 * An arm's label as it trained: a swept arm shows the value its sweep chose, not the default;
 * where the folds chose differently, each fold's label is given with the fold's name.
 */
export function sweptLabel(folds: readonly FoldOutcome[], arm: ArmSpec, config: TripletConfigName): string {
  const labels = folds.map((f) => {
    const trained = f.arms.find((a) => a.arm.name === arm.name)?.arm ?? arm;
    return { fold: f.fold.name, label: armRecord(trained, config, null, null).label };
  });
  const distinct = [...new Set(labels.map((l) => l.label))];
  if (distinct.length <= 1) return distinct[0] ?? armRecord(arm, config, null, null).label;
  return labels.map((l) => `${l.label} on ${l.fold}`).join('; ');
}
