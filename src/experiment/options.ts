// The study's options (the CLI's flags resolved against a dataset's defaults, presets.ts).
import type { ArmOverrides } from './arm-shape.ts';
import type { Precision } from '../engine/index.ts';
import type { StudyParallel } from './work-units.ts';
import type { ArmSpec, TripletConfigName } from './arms.ts';

/** The built-in datasets (presets.ts). */
export type PresetName = 'quick' | 'standard' | 'paper-run' | 'paper-text' | 'paper';

export interface StudyOptions {
  preset: PresetName;
  data: string; // quick: the folder holding trec-dl/; paper: the folder with the official MS MARCO files
  output: string;
  config: TripletConfigName;
  folds: 'one' | 'both'; // quick: dl20->dl19, and with both also dl19->dl20
  arms: ArmSpec[];
  steps: number;
  /** Training length as epochs over all training triples (steps = ceil(E x triples / batch)); null: `steps`. */
  epochs: number | null;
  /** Per-arm epochs, batch size and warm-up over the study-wide ones (arm-shape.ts; the paper: full-hard 5 epochs). */
  perArm?: ArmOverrides;
  /** Training triples per positive where the pool allows (hard: distinct candidates; random: distinct draws). */
  negativesPerPositive: number;
  batchSize: number; // an arm's own (perArm) comes first
  warmup: number; // steps (>= 1) or a ratio of the steps (< 1); an arm's own (perArm) comes first
  seed: number;
  /** Training seeds per trained arm: seed k = seed + k (training order, negatives sampling, LoRA init). */
  seeds: number;
  /** Sweeps (sweeps.ts): LoRA's high lr and the recipe's preservation weight chosen on validation, before the seeds. */
  sweeps: boolean;
  /** Declared before the run, on the primary metric (nDCG@10): the verdicts' equivalence margin. */
  equivalenceMargin: number;
  /** Family-wise alpha of the verdict table (Bonferroni over its rows). */
  alpha: number;
  /** Assumed sd of per-query differences of the primary metric: the design's MDE (plan, results.design). */
  assumedSd: number;
  validationFraction: number;
  dose: number[]; // fractions of each arm's steps evaluated on the test fold (0 = the base model)
  rerankDepth: number;
  validationDepth: number; // validation queries' BM25 candidates re-ranked to choose checkpoints
  miningDepth: number; // candidates mode: BM25 candidates per training query searched for hard negatives
  protocols: ('rerank' | 'dense')[];
  /** Hard negatives searched among the training queries' candidates, or the whole training part of the pool. */
  miningPool: 'candidates' | 'pool';
  guardMargin: number | null; // false-negative guard; null turns it off
  timingQueries: number;
  timingRepeats: number;
  geometryPairs: number;
  umap: boolean;
  paperTriples: number; // paper preset: random triples sampled from triples.train.small
  model: string;
  /**
   * The linear layers' arithmetic in every evaluation encode (test re-ranking and dense retrieval of
   * the base and the arms, timing, geometry); training, its validation and its dose snapshots, and
   * the mining of training negatives stay fp32, so the trained arms are shared between precisions.
   */
  precision: Precision;
  device?: string;
  cacheDir?: string | null;
  onMismatch: 'retrain' | 'error';
  /** Across workers: each unit claimed by one (units, the default) or trained by all together (data). */
  parallel?: StudyParallel;
  /** Runs an arm's training with a graceful Ctrl-C (checkpoint, then stop); without it Ctrl-C ends the process. */
  gracefully?: <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  log: (line: string) => void;
  /** A progress display (bar with rate and ETA) for a long loop. */
  progress: (label: string, total: number, unit: string) => { update(done: number, extra?: string): void };
}
