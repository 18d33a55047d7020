// What the analysis layer produces (the paper's Tables II-III and Figures 1-2, plus the
// numbers beside them), as plain JSON-ready data: `ftlab timing|geometry|inspect|curves`
// write these, the study stores them in results.json, the report draws them.
// This file is the contract between src/analysis, src/experiment and src/report: each
// shape is one zod schema, from which come its type and the check on results.json.
import { z } from 'zod';

const nullableNumber = z.number().nullable();

/** Table II: the time to answer N queries, per model and protocol. */
export const TimingStageSchema = z.object({
  name: z.enum(['tokenize', 'encode', 'similarity', 'topk', 'load-model', 'read-embeddings', 'write-run']),
  medianSeconds: z.number(),
  minSeconds: z.number(),
  maxSeconds: z.number(),
});
export type TimingStage = z.infer<typeof TimingStageSchema>;

export const TimingRowSchema = z.object({
  model: z.string(), // label shown in the table (e.g. "base", "lora-hard (unmerged)")
  modelPath: z.string(), // the --model spec
  variant: z.enum(['base', 'full', 'lora-unmerged', 'lora-merged', 'other']),
  protocol: z.enum(['ftlab', 'paper']), // paper: model load + reading embeddings + writing the run inside the clock
  stages: z.array(TimingStageSchema),
  totalMedianSeconds: z.number(), // end to end, measured as one clock (not the sum of stages)
  totalMinSeconds: z.number(),
  totalMaxSeconds: z.number(),
  qps: z.number(), // queries / totalMedianSeconds
});
export type TimingRow = z.infer<typeof TimingRowSchema>;

/** A published Table II figure: the paper's own, on its hardware. */
export const PaperTimingSchema = z.object({
  label: z.string(),
  seconds: z.number(),
  qps: z.number(),
  hardware: z.string(),
});
export type PaperTiming = z.infer<typeof PaperTimingSchema>;

export const TimingResultSchema = z.object({
  queries: z.number(), // N answered
  queriesFile: z.string(),
  distinctQueries: z.number(), // < queries when the file was cycled
  cycled: z.boolean(),
  passages: z.number(), // collection size searched (synthetic or real)
  synthetic: z.boolean(),
  dim: z.number(),
  k: z.number(),
  repeats: z.number(),
  warmup: z.boolean(),
  rows: z.array(TimingRowSchema),
  environment: z.object({
    threads: z.number(),
    device: z.string(),
    torch: z.string(),
    blas: z.string().optional(),
    parallel: z.string().optional(),
  }),
  /** How the queries were cycled, what the protocols read, ... */
  notes: z.array(z.string()).optional(),
  /** The paper's own figures to set beside ours (Table II), when relevant. */
  paper: z.array(PaperTimingSchema).optional(),
});
export type TimingResult = z.infer<typeof TimingResultSchema>;

/** Table III: one trained model's summary. */
/** Table III at one evaluated step: the held-out triples' cosine accuracy and loss, the validation metrics. */
export const HeldOutAtSchema = z.object({
  step: z.number(),
  tripletAccuracy: nullableNumber, // null: not computed (no held-out triples)
  evalLoss: nullableNumber,
  metrics: z.record(z.string(), z.number()), // retrieval metrics on the validation queries, e.g. {"nDCG@10": 0.61}
});
export type HeldOutAt = z.infer<typeof HeldOutAtSchema>;

export const TrainingSummarySchema = z.object({
  model: z.string(), // arm / label
  modelPath: z.string(),
  method: z.enum(['full', 'lora']),
  loss: z.string(), // e.g. "triplet(euclidean, margin 5)" or "mnrl(scale 20)+preserve(0.1)"
  steps: z.number(),
  finalLoss: z.number(), // mean of the last 1% of steps (at least 1 step)
  finalLossSteps: z.number(), // how many steps that mean covers
  heldOutTriples: z.number(), // triples of held-out queries (split by query)
  heldOutQueries: z.number(),
  // cosine triplet accuracy on the held-out triples at the last evaluation (= final.tripletAccuracy when finished)
  tripletAccuracy: nullableNumber,
  // retrieval metric on validation queries (best / chosen checkpoint)
  validation: z.object({ metric: z.string(), value: z.number(), step: z.number() }).nullable(),
  trainSeconds: nullableNumber,
  /** The validation-chosen checkpoint (step 0 = the base): held-out accuracy and loss there. Absent in older results. */
  chosen: HeldOutAtSchema.nullable().optional(),
  /** The final step's held-out accuracy and loss. Absent in older results. */
  final: HeldOutAtSchema.nullable().optional(),
});
export type TrainingSummary = z.infer<typeof TrainingSummarySchema>;

/** Figure 2: curves read from log.jsonl files. */
export const CurveSeriesSchema = z.object({
  model: z.string(),
  steps: z.array(z.number()),
  loss: z.array(z.number()), // raw per step
  lossSmoothed: z.array(z.number()), // exponential moving average, same length (alpha stated in `smoothing`)
  lr: z.array(z.number()),
  gradNorm: z.array(z.number()),
  evals: z.array(
    z.object({
      step: z.number(),
      tripletAccuracy: nullableNumber,
      evalLoss: nullableNumber,
      metrics: z.record(z.string(), z.number()),
    }),
  ),
});
export type CurveSeries = z.infer<typeof CurveSeriesSchema>;

export const CurvesResultSchema = z.object({
  smoothing: z.object({ method: z.literal('ema'), alpha: z.number() }),
  series: z.array(CurveSeriesSchema),
});
export type CurvesResult = z.infer<typeof CurvesResultSchema>;

/** Figure 1 and the numbers beside it. */
export const GeometryPointSchema = z.object({
  x: z.number(),
  y: z.number(),
  kind: z.enum(['query', 'passage']),
  pair: z.number(), // index into the pairs (same pair id: a query and its relevant passage)
});
export type GeometryPoint = z.infer<typeof GeometryPointSchema>;

export const GeometryModelSchema = z.object({
  model: z.string(),
  modelPath: z.string(),
  alignment: z.number(), // mean ||q - p||^2 over pairs (unit vectors)
  uniformity: z.number(), // log mean exp(-2 ||x - y||^2) over pairs of different items
  anisotropy: z.number(), // mean cosine of random pairs of different items
  effectiveRank: z.number(), // exp(entropy of normalised singular values) of the [2n, d] matrix
  meanPairCosine: z.number(), // query to its own passage
  meanOtherCosine: z.number(), // query to other pairs' passages
  driftFromBase: nullableNumber, // mean cosine between base and this model's vectors of the same texts
  neighbourOverlapWithBase: nullableNumber, // mean Jaccard of each item's 10 nearest neighbours
  umap: z.array(GeometryPointSchema),
  /** Wall seconds of each part for this model. */
  seconds: z.object({ encode: z.number(), numbers: z.number(), umap: z.number() }).optional(),
});
export type GeometryModel = z.infer<typeof GeometryModelSchema>;

export const GeometryResultSchema = z.object({
  pairs: z.number(),
  requestedPairs: z.number(),
  skippedNoText: z.number(), // qrels pairs dropped because the passage has no text
  minGrade: z.number(),
  seed: z.number(),
  umapParams: z.object({
    library: z.string(),
    version: z.string(),
    nNeighbors: z.number(),
    minDist: z.number(),
    metric: z.literal('cosine'),
    nEpochs: nullableNumber,
    seed: z.number(),
  }),
  models: z.array(GeometryModelSchema),
  availablePairs: z.number().optional(), // judged pairs with text on both sides (pairs < requestedPairs when fewer)
  skippedNoQuery: z.number().optional(), // judged pairs whose query has no text
  notes: z.array(z.string()).optional(), // e.g. "asked for 1000 pairs, 431 available: all used"
  pairIds: z.array(z.object({ qid: z.string(), pid: z.string() })).optional(), // pair i's ids (rows: queries, then passages)
});
export type GeometryResult = z.infer<typeof GeometryResultSchema>;
