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
  preset: z.enum(['quick', 'paper']),
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
  metrics: z.record(z.string(), z.number()), // test means (re-ranking protocol)
});
export type DosePoint = z.infer<typeof DosePointSchema>;

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
