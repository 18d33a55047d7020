// results.json of a study: everything the report needs, and nothing it must recompute.
// Written by src/experiment (writeResults), read and validated by src/report (readResults).
// This zod schema is the one description: the TypeScript types, the validator and the
// published JSON Schema (results.schema.json, beside each results.json) all come from it.
// Bump RESULTS_VERSION on any incompatible change; the report refuses a newer version with
// a one-line error. Sections a run did not compute (or an older run did not write) may be
// absent: they read back as null / [].
import { z } from 'zod';
import { ComparisonTableSchema } from '../eval/comparison.ts';
import {
  CurvesResultSchema,
  GeometryResultSchema,
  TimingResultSchema,
  TrainingSummarySchema,
} from '../analysis/types.ts';

export const RESULTS_FORMAT = 'ftlab-study-results';
export const RESULTS_VERSION = 1;
/** results.json's "$schema": the JSON Schema written beside it. */
export const RESULTS_SCHEMA_FILE = 'results.schema.json';

/** The linear layers' arithmetic in inference (`--precision`; src/engine/prepared-linear.ts). */
export const PrecisionSchema = z.enum(['fp32', 'bf16', 'int8']);

export const ArmRecordSchema = z.object({
  name: z.string(), // e.g. "full-hard", "lora-hard-lr2e-4", "recipe"
  label: z.string(), // shown in tables: "Full FT, hard negatives (paper-run)"
  method: z.enum(['base', 'full', 'lora']),
  negatives: z.enum(['random', 'hard']).nullable(),
  loss: z.string(), // human-readable loss description
  lr: z.number().nullable(),
  steps: z.number().nullable(),
  batchSize: z.number().nullable(),
  trainConfig: z.record(z.string(), z.unknown()).nullable(), // the trainer's full configuration
  modelPath: z.string().nullable(), // folder under the run directory
});
export type ArmRecord = z.infer<typeof ArmRecordSchema>;

export const DataFileSchema = z.object({
  role: z.string(), // "collection", "train queries", "test qrels", ...
  path: z.string(),
  sha256: z.string(),
  lines: z.number(),
});
export type DataFile = z.infer<typeof DataFileSchema>;

export const StudyConfigRecordSchema = z.object({
  // manifest: a user's dataset (`--data ftlab-dataset.json`); paper: results written before paper-run / paper-text
  preset: z.enum(['quick', 'standard', 'paper-run', 'paper-text', 'paper', 'manifest']),
  config: z.enum(['paper-run', 'paper-text']),
  seed: z.number(),
  // e.g. { name: 'dl20->dl19', train: 'dl20', test: 'dl19' }
  folds: z.array(z.object({ name: z.string(), train: z.string(), test: z.string() })),
  validationFraction: z.number(), // share of training queries held out by query
  arms: z.array(ArmRecordSchema),
  protocols: z.array(z.enum(['rerank', 'dense'])),
  metrics: z.array(z.string()),
  data: z.array(DataFileSchema),
  notes: z.array(z.string()), // choices a reader must know (what was skipped for time, which LoRA lr, ...)
  paper: z.record(z.string(), z.unknown()).optional(), // the paper's own Table I-III numbers, for side-by-side display
  seeds: z.array(z.number()).optional(), // training seeds of every trained arm (absent in older results: one, `seed`)
  equivalenceMargin: z.number().optional(), // declared before the run, on `primaryMetric`
  alpha: z.number().optional(), // family-wise, shared by the verdict table (Bonferroni)
  primaryMetric: z.string().optional(), // the metric verdicts are given on, e.g. nDCG@10
  // what the LoRA arms train, counted from the base model's shapes (absent: no LoRA arm, or older results)
  lora: z
    .object({
      r: z.number(),
      alpha: z.number(),
      targets: z.array(z.string()),
      trainable: z.number(), // r x (in + out) per target module
      total: z.number(), // the base model's parameters
      share: z.number(), // trainable / total
    })
    .optional(),
  // every evaluation encode's precision (`--precision`); training, its validation and snapshots and
  // the mining of training negatives ran in fp32. Absent in older results: fp32
  precision: PrecisionSchema.optional(),
});
export type StudyConfigRecord = z.infer<typeof StudyConfigRecordSchema>;

export const RetrievalSectionSchema = z.object({
  fold: z.string(),
  protocol: z.enum(['rerank', 'dense']),
  description: z.string(), // "re-ranking BM25's top-100 over DL19 (43 queries)"
  table: ComparisonTableSchema,
});
export type RetrievalSection = z.infer<typeof RetrievalSectionSchema>;

export const DosePointSchema = z.object({
  fold: z.string(),
  arm: z.string(),
  fraction: z.number(), // 0, 0.25, 0.5, 1 of the arm's steps
  step: z.number(),
  metrics: z.record(z.string(), z.number()), // test means (re-ranking protocol), over seeds
  seeds: z.number().optional(), // how many seeds the means cover
  // what the point's encodes ran in: the base (step 0) and the final step in the study's --precision,
  // the snapshots between them in fp32 (taken during training, which every precision shares)
  precision: PrecisionSchema.optional(),
  // the primary metric's delta to the base at this point, its CI (level 1 - alpha / tests) and paired t p
  delta: z.number().optional(),
  ci: z.tuple([z.number(), z.number()]).optional(),
  p: z.number().optional(),
});
export type DosePoint = z.infer<typeof DosePointSchema>;

/** One arm against the base on the primary metric: the verdict table's row (analysis/arm-verdict.ts). */
export const VerdictRowSchema = z.object({
  fold: z.string(), // a fold's name, or "pooled" (every fold's test queries together)
  protocol: z.enum(['rerank', 'dense']),
  arm: z.string(),
  checkpoint: z.enum(['chosen', 'final']), // validation-chosen (step 0 = the base may win) or the last step
  metric: z.string(),
  seeds: z.number(),
  queries: z.number(),
  baseMean: z.number(),
  armMean: z.number(),
  delta: z.number(),
  perSeed: z.array(z.number()),
  seedSd: z.number().nullable(),
  alpha: z.number(), // per-verdict alpha (family-wise alpha / tests)
  ciDifference: z.tuple([z.number(), z.number()]), // level 1 - alpha
  ciEquivalence: z.tuple([z.number(), z.number()]), // level 1 - 2 alpha
  ciMethod: z.string(),
  tost: z.object({ p: z.number(), pLower: z.number(), pUpper: z.number() }),
  pDifference: z.number(),
  verdict: z.enum(['worse', 'equivalent', 'better', 'inconclusive']),
  equivalent: z.boolean(),
  different: z.boolean(),
  dz: z.number().nullable(),
  wins: z.number(),
  ties: z.number(),
  losses: z.number(),
  perQuery: z.array(z.object({ qid: z.string(), base: z.number(), arm: z.number() })),
  chosenSteps: z.array(z.number()).optional(), // per seed, for the chosen checkpoint (0 = the base won)
});
export type VerdictRow = z.infer<typeof VerdictRowSchema>;

/** What the design can detect, computed before the run from a pilot's (or the base's) per-query spread. */
export const DesignRecordSchema = z.object({
  metric: z.string(),
  queries: z.number(), // test queries per verdict
  tests: z.number(), // verdicts sharing alpha
  alpha: z.number(),
  power: z.number(),
  sd: z.number(), // sd of per-query differences assumed
  sdSource: z.string(), // where that sd comes from
  mde: z.number(), // smallest |delta| the paired t-test detects with `power`
  equivalenceMargin: z.number(), // declared
  minimumMargin: z.number(), // smallest margin TOST shows equivalence at with `power` when delta = 0
  note: z.string(),
});
export type DesignRecord = z.infer<typeof DesignRecordSchema>;

const DistributionSchema = z.object({
  count: z.number(),
  min: z.number(),
  p10: z.number(),
  p25: z.number(),
  median: z.number(),
  p75: z.number(),
  p90: z.number(),
  max: z.number(),
  mean: z.number(),
});

/** How hard a fold's training negatives are (analysis/negatives-profile.ts). */
export const NegativesRecordSchema = z.object({
  fold: z.string(),
  kind: z.enum(['random', 'hard']),
  triples: z.number(),
  score: DistributionSchema, // the base model's cosine of (query, negative)
  bm25Rank: DistributionSchema.nullable(),
  notInRun: z.number(),
  margin: DistributionSchema.nullable(), // score(positive) - score(negative)
});
export type NegativesRecord = z.infer<typeof NegativesRecordSchema>;

/** A hyperparameter chosen on validation only: the values tried, their scores, the choice. */
export const SweepRecordSchema = z.object({
  fold: z.string(),
  arm: z.string(),
  parameter: z.string(), // "lr", "preserve weight", ...
  metric: z.string(), // validation metric
  values: z.array(z.number()),
  scores: z.array(z.number()),
  chosen: z.number(),
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

export const EnvironmentRecordSchema = z.object({
  ftlab: z.string(),
  node: z.string(),
  torch: z.string(),
  blas: z.string().nullable(),
  threads: z.number(),
  device: z.string(),
  cpus: z.number(),
  os: z.string(),
  startedAt: z.string(), // ISO time
  wallSeconds: z.number(),
  // the engine's GEMM paths as its probe chose them: CPU, ISA, fp32/bf16/int8 kernels, GFLOP/s (`ftlab doctor`)
  paths: z.string().optional(),
  // across workers (ftlab launch, torchrun): how many, and whether each unit ran on one (units) or all (data)
  workers: z.object({ count: z.int().min(1), parallel: z.enum(['units', 'data']) }).optional(),
  stages: z.array(z.object({ name: z.string(), seconds: z.number(), cached: z.boolean() })),
});
export type EnvironmentRecord = z.infer<typeof EnvironmentRecordSchema>;

export const StudyResultsSchema = z
  .object({
    $schema: z.string().optional(), // "./results.schema.json", for editors
    format: z.literal(RESULTS_FORMAT),
    version: z.int().min(1).max(RESULTS_VERSION),
    config: StudyConfigRecordSchema,
    retrieval: z.array(RetrievalSectionSchema).default([]),
    dose: z.array(DosePointSchema).default([]),
    verdicts: z.array(VerdictRowSchema).default([]),
    design: DesignRecordSchema.nullable().default(null),
    negatives: z.array(NegativesRecordSchema).default([]),
    sweeps: z.array(SweepRecordSchema).default([]),
    timing: TimingResultSchema.nullable().default(null),
    training: z.array(TrainingSummarySchema).default([]),
    geometry: GeometryResultSchema.nullable().default(null),
    curves: CurvesResultSchema.nullable().default(null),
    environment: EnvironmentRecordSchema,
  })
  .meta({ title: 'ftlab study results', description: `results.json written by \`ftlab study\` (${RESULTS_FORMAT})` });
/** What a study writes and what readResults returns (absent sections filled in). */
export type StudyResults = z.infer<typeof StudyResultsSchema>;

/** The published JSON Schema of results.json: what the reader accepts (absent sections allowed). */
export function resultsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(StudyResultsSchema, { io: 'input' }) as Record<string, unknown>;
}
