// A study dataset is a value, not a branch: its folds, where its training triples come from,
// its metrics, timing queries, defaults and notes. The runner reads only these fields, so
// `--preset quick` (the TREC DL pool), `--preset paper` (the MS MARCO layout) and a user's
// dataset described by a manifest (`--data DIR/ftlab-dataset.json`, manifest-dataset.ts) are
// three values of this type.
import type { StudyContext } from './context.ts';
import type { Fold } from './data.ts';
import type { NegativesOutput } from './negatives-stage.ts';
import type { PresetName, StudyOptions } from './options.ts';
import type { ArmOverrides } from './arm-shape.ts';
import type { TripletConfigName } from './arms.ts';

export type { PresetName } from './options.ts';

/** What results.json's config.preset records: a built-in dataset, or one described by a manifest. */
export type DatasetName = Exclude<PresetName, 'paper'> | 'manifest';

/** What loading the folds reads. */
export type StudyOptionsForFolds = Pick<StudyOptions, 'data' | 'folds' | 'validationFraction' | 'seed'>;

/** The flags' defaults under this dataset (see the README's study section for the quick preset's budget). */
export interface StudyDefaults {
  data: string | null; // null: --data is required
  folds: 'one' | 'both';
  arms: string | null; // --arms's default (null: every non-optional arm)
  seeds: number;
  sweeps: boolean;
  steps: number;
  epochs: number | null; // null: train `steps`
  perArm?: ArmOverrides; // an arm's own epochs / batch size / warm-up
  config?: TripletConfigName; // --config's default (absent: paper-run)
  negativesPerPositive: number;
  batchSize: number;
  warmup: number;
  dose: number[];
  rerankDepth: number;
  validationDepth: number;
  miningDepth: number;
  protocols: ('rerank' | 'dense')[];
  miningPool?: 'candidates' | 'pool'; // absent: candidates
  timingQueries: number;
  timingRepeats: number;
  geometryPairs: number;
  validationFraction: number;
  paperTriples: number;
}

export interface StudyDataset {
  name: DatasetName;
  defaults: StudyDefaults;
  /** Every evaluation's metrics, in the report's order. */
  metrics: readonly string[];
  /** The folds (train/validation/test query sets over one collection), loaded and hashed. */
  loadFolds(o: StudyOptionsForFolds): Promise<Fold[]>;
  /** A fold's training and validation triples, random and hard (a cached stage). */
  negatives(ctx: StudyContext, fold: Fold): Promise<NegativesOutput>;
  /** Passages the hard-negative search encodes with the base model (for the plan; no encoding). */
  miningPassages(fold: Fold, o: StudyOptions): number;
  /** Training triples a fold will have (for the plan's steps under --epochs; no mining). */
  plannedTriples(fold: Fold, o: StudyOptions): number;
  /** The queries file the timing section runs (null: none). */
  timingQueries(data: string): string | null;
  /** What a reader must know about this dataset's protocol (results.config.notes). */
  notes: readonly string[];
}
