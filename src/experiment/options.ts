// The study's options and its two presets.
import type { ArmSpec, TripletConfigName } from './arms.ts';

export interface StudyOptions {
  preset: 'quick' | 'paper';
  data: string; // quick: the folder holding trec-dl/; paper: the folder with the official MS MARCO files
  output: string;
  config: TripletConfigName;
  folds: 'one' | 'both'; // quick: dl20->dl19, and with both also dl19->dl20
  arms: ArmSpec[];
  steps: number;
  batchSize: number;
  warmup: number; // steps (>= 1) or a ratio of the steps (< 1)
  seed: number;
  validationFraction: number;
  dose: number[]; // fractions of each arm's steps evaluated on the test fold (0 = the base model)
  rerankDepth: number;
  validationDepth: number; // validation queries' BM25 candidates re-ranked to choose checkpoints
  miningDepth: number; // candidates mode: BM25 candidates per training query searched for hard negatives
  protocols: ('rerank' | 'dense')[];
  miningPool: 'candidates' | 'pool'; // hard negatives searched among the training queries' candidates, or the whole training part of the pool
  guardMargin: number | null; // false-negative guard; null turns it off
  timingQueries: number;
  timingRepeats: number;
  geometryPairs: number;
  umap: boolean;
  paperTriples: number; // paper preset: random triples sampled from triples.train.small
  model: string;
  device?: string;
  cacheDir?: string | null;
  onMismatch: 'retrain' | 'error';
  /** Runs an arm's training with a graceful Ctrl-C (checkpoint, then stop); without it Ctrl-C ends the process. */
  gracefully?: <T>(fn: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  log: (line: string) => void;
  /** A progress display (bar with rate and ETA) for a long loop. */
  progress: (label: string, total: number, unit: string) => { update(done: number, extra?: string): void };
}

/** Defaults of `--preset quick` (see the README's study section for why these fit 45 minutes). */
export const QUICK_DEFAULTS = {
  steps: 24,
  batchSize: 16,
  warmup: 0.1,
  dose: [0, 0.25, 0.5, 1],
  rerankDepth: 100,
  validationDepth: 30,
  miningDepth: 100,
  protocols: ['rerank'] as ('rerank' | 'dense')[],
  timingQueries: 10_000,
  timingRepeats: 1,
  geometryPairs: 1000,
  validationFraction: 0.2,
};

/** Defaults of `--preset paper`: the paper's hyperparameters. */
export const PAPER_DEFAULTS = {
  steps: 7812,
  batchSize: 128,
  warmup: 1000,
  dose: [0, 0.25, 0.5, 1],
  rerankDepth: 100,
  validationDepth: 100,
  miningDepth: 100,
  protocols: ['dense'] as ('rerank' | 'dense')[],
  timingQueries: 10_000,
  timingRepeats: 3,
  geometryPairs: 1000,
  validationFraction: 0.2,
  paperTriples: 1_000_000,
};
