// results.json of a study: everything the report needs, and nothing it must recompute.
// Written by src/experiment, read (and validated) by src/report. Bump RESULTS_VERSION on
// any incompatible change; the report refuses a newer version with a one-line error.
import type { ComparisonTable } from '../eval/comparison.ts';
import type { CurvesResult, GeometryResult, TimingResult, TrainingSummary } from '../analysis/types.ts';

export const RESULTS_FORMAT = 'ftlab-study-results';
export const RESULTS_VERSION = 1;

export interface ArmRecord {
  name: string; // e.g. "full-hard", "lora-hard-lr2e-4", "recipe"
  label: string; // shown in tables: "Full FT, hard negatives (paper-run)"
  method: 'base' | 'full' | 'lora';
  negatives: 'random' | 'hard' | null;
  loss: string; // human-readable loss description
  lr: number | null;
  steps: number | null;
  batchSize: number | null;
  trainConfig: Record<string, unknown> | null; // the trainer's full configuration
  modelPath: string | null; // folder under the run directory
}

export interface DataFile {
  role: string; // "collection", "train queries", "test qrels", ...
  path: string;
  sha256: string;
  lines: number;
}

export interface StudyConfigRecord {
  preset: 'quick' | 'paper';
  config: 'paper-run' | 'paper-text';
  seed: number;
  folds: { name: string; train: string; test: string }[]; // e.g. { name: 'dl20->dl19', train: 'dl20', test: 'dl19' }
  validationFraction: number; // share of training queries held out by query
  arms: ArmRecord[];
  protocols: ('rerank' | 'dense')[];
  metrics: string[];
  data: DataFile[];
  notes: string[]; // choices a reader must know (what was skipped for time, which LoRA lr, ...)
  paper?: Record<string, unknown>; // the paper's own Table I-III numbers, for side-by-side display
}

export interface RetrievalSection {
  fold: string;
  protocol: 'rerank' | 'dense';
  description: string; // "re-ranking BM25's top-100 over DL19 (43 queries)"
  table: ComparisonTable;
}

export interface DosePoint {
  fold: string;
  arm: string;
  fraction: number; // 0, 0.25, 0.5, 1 of the arm's steps
  step: number;
  metrics: Record<string, number>; // test means (re-ranking protocol)
}

export interface EnvironmentRecord {
  ftlab: string;
  node: string;
  torch: string;
  blas: string | null;
  threads: number;
  device: string;
  cpus: number;
  os: string;
  startedAt: string; // ISO time
  wallSeconds: number;
  stages: { name: string; seconds: number; cached: boolean }[];
}

export interface StudyResults {
  format: typeof RESULTS_FORMAT;
  version: number;
  config: StudyConfigRecord;
  retrieval: RetrievalSection[];
  dose: DosePoint[];
  timing: TimingResult | null;
  training: TrainingSummary[];
  geometry: GeometryResult | null;
  curves: CurvesResult | null;
  environment: EnvironmentRecord;
}
