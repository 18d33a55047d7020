// The types a training run is described by: its configuration, the trainer's options, the
// log lines it writes and what it returns.
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { Tensor } from '../engine/index.ts';
import type { TextTriple } from '../data/triples.ts';
import type { LoraConfig } from '../model/lora.ts';
import type { Distance } from './losses/distance.ts';
import type { Prompts } from '../model/config.ts';

export interface TrainConfig {
  model: string; // the model spec it started from
  loss: 'triplet' | 'mnrl';
  distance: Distance;
  margin: number;
  mnrlScale: number;
  normalize: boolean;
  batchSize: number; // triplets per micro-batch
  gradAccumulation: number;
  lr: number;
  warmup: number; // steps (>= 1) or ratio (< 1)
  epochs: number;
  maxSteps: number | null;
  weightDecay: number;
  maxGradNorm: number;
  lora: LoraConfig | null;
  seed: number;
  evalEvery: number; // optimizer steps; 0 = only at the end
  saveEvery: number; // optimizer steps; 0 = by time only (saveEveryMinutes) and at the end
  keepCheckpoints: number;
  /** Also checkpoint when this much wall time passed since the last one (default 10; 0 = off). */
  saveEveryMinutes?: number;
  /** Keep DIR/checkpoints (optimizer state) after a finished run (default false: removed). */
  keepOptimizerState?: boolean;
  /** Tokens per text; part of the run's identity when given. */
  maxLength?: number;
  /** --query-prompt / --passage-prompt overrides of the model's prompts; part of the run's identity. */
  prompts?: Partial<Prompts>;
  /** Recorded description of an added regulariser (its function is TrainerOptions.regulariser). */
  regulariser?: { kind: string; weight: number; reference: string } | null;
  /** Ranks that share each batch (data-parallel); unset = 1. Part of the run's identity. */
  worldSize?: number;
  /** Batch order: the plain seeded shuffle (default), or batches with no query or text twice (for MNRL). */
  batchSampler?: 'shuffle' | 'no-duplicates';
  /**
   * Encode each micro-batch packed, without padding (Bert.forwardPacked), instead of padded in
   * length-sorted chunks; unset = PACKED_BY_DEFAULT. The same gradients up to summation order
   * (within 1e-5, test/train/packed-gradients.test.ts), so not part of the run's identity.
   */
  packed?: boolean;
}

/**
 * Whether training packs its batches when the config does not say. On: npm run bench:train measured
 * packed at 1.92x the padded path at batch 16 (MiniLM, full fine-tuning, 2 threads, contended run).
 */
export const PACKED_BY_DEFAULT = true;

/** Defaults every training run starts from (ftlab train's flags, the study's arms): sentence-transformers' fit. */
export const TRAIN_DEFAULTS = {
  mnrlScale: 20,
  gradAccumulation: 1,
  lr: 2e-5,
  warmup: 1000,
  epochs: 1,
  weightDecay: 0.01,
  maxGradNorm: 1,
  seed: 42,
  evalEvery: 0,
  saveEvery: 0,
  keepCheckpoints: 1,
} as const satisfies Partial<TrainConfig>;

/** What makes two runs the same run (compared by training-identity.ts): the configuration and the triples. */
export interface TrainingRecord {
  config: TrainConfig;
  triplesSha256: string;
  triples: number;
}

export interface StepLog {
  type: 'step';
  step: number; // optimizer steps done
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  rssMiB: number;
}

export interface EvalLog {
  type: 'eval';
  step: number;
  tripletAccuracy: number;
  evalLoss: number;
  evalTriples: number;
  evalQueries: number; // distinct query texts of the eval set
  [metric: string]: number | string;
}

/** A resumed run whose settings differ from its checkpoint's (allowed with allowConfigChange). */
export interface ConfigChangeLog {
  type: 'config-change';
  step: number;
  differences: string[];
}

/** A retrieval metric computed on an eval set: returns {metricName: value}. */
/** Scores the encoder at `step`, the optimizer steps it has taken (0: the model as loaded, before any update). */
export type RetrievalEvaluator = (encoder: SentenceEncoder, step: number) => Promise<Record<string, number>>;

export interface Best {
  metric: string;
  value: number;
  step: number;
}

/** The validation-chosen checkpoint (checkpoint-choice.ts: step 0 a candidate, ties to the earlier step). */
export interface ChosenCheckpoint extends Best {
  base: boolean; // step 0 was chosen: best/ holds the model as loaded
  entry: EvalLog; // its evaluation line
}

export interface TrainerOptions {
  output: string;
  resume: boolean;
  /** Replace a finished model or a checkpointed run in `output` (else that is an error). */
  overwrite?: boolean;
  /** With resume: continue a checkpoint whose settings differ (recorded in the log). */
  allowConfigChange?: boolean;
  retrievalEval?: RetrievalEvaluator;
  bestMetric?: string; // default: the retrieval evaluator's first metric, else tripletAccuracy
  onStep?: (log: StepLog, totalSteps: number) => void;
  onEval?: (log: EvalLog) => void;
  /** One-line notices for the user (resume decisions, config changes). */
  notice?: (line: string) => void;
  /** Stops after this many optimizer steps in this process (tests: simulate a kill). */
  stopAfter?: number;
  /**
   * Called at each listed optimizer step (0 = before the first), model in eval mode; no
   * effect on training (no RNG draws, no checkpoint choice); skipped for steps done before
   * a resume.
   */
  snapshots?: { steps: number[]; take: (encoder: SentenceEncoder, step: number) => Promise<void> };
  /** Aborted (Ctrl-C): checkpoint at the next step boundary, then throw `Interrupted`. */
  signal?: AbortSignal;
  /** Milliseconds, for the time-based checkpoint schedule (tests pass a fake clock). */
  clock?: () => number;
  /** Added to each micro-batch's loss (e.g. losses/preservation.ts); goes with cfg.regulariser. */
  regulariser?: Regulariser;
}

/** A penalty on a micro-batch: its triples and their embeddings ([B, C] each). */
export type Regulariser = (batch: readonly TextTriple[], q: Tensor, p: Tensor, n: Tensor) => Tensor;

export interface TrainResult {
  steps: number;
  trainable: number;
  total: number;
  /** The chosen checkpoint's step, metric and value (as `chosen`, without its entry); null: nothing evaluated. */
  best: Best | null;
  /** The checkpoint validation chose (saved in DIR/best); null when the run evaluated nothing. */
  chosen: ChosenCheckpoint | null;
  /** The final model's evaluation (step === totalSteps); null when nothing was evaluated or the run stopped early. */
  final: EvalLog | null;
  /** Optimizer steps done in this process. */
  stepLogs: StepLog[];
  /** Every evaluation of the run in step order, those logged before a resume included (step 0 first). */
  evalLogs: EvalLog[];
}
