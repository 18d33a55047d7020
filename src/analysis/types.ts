// What the analysis layer produces (the paper's Tables II-III and Figures 1-2, plus the
// numbers beside them), as plain JSON-ready data: `ftlab timing|geometry|inspect|curves`
// write these, the study stores them in results.json, the report draws them.
// This file is the contract between src/analysis, src/experiment and src/report.

/** Table II: the time to answer N queries, per model and protocol. */
export interface TimingStage {
  name: 'tokenize' | 'encode' | 'similarity' | 'topk' | 'load-model' | 'read-embeddings' | 'write-run';
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
}

export interface TimingRow {
  model: string; // label shown in the table (e.g. "base", "lora-hard (unmerged)")
  modelPath: string; // the --model spec
  variant: 'base' | 'full' | 'lora-unmerged' | 'lora-merged' | 'other';
  protocol: 'ftlab' | 'paper'; // paper: model load + reading embeddings + writing the run inside the clock
  stages: TimingStage[];
  totalMedianSeconds: number; // end to end, measured as one clock (not the sum of stages)
  totalMinSeconds: number;
  totalMaxSeconds: number;
  qps: number; // queries / totalMedianSeconds
}

export interface TimingResult {
  queries: number; // N answered
  queriesFile: string;
  distinctQueries: number; // < queries when the file was cycled
  cycled: boolean;
  passages: number; // collection size searched (synthetic or real)
  synthetic: boolean;
  dim: number;
  k: number;
  repeats: number;
  warmup: boolean;
  rows: TimingRow[];
  environment: { threads: number; device: string; torch: string; blas?: string; parallel?: string };
  /** Optional (added by the analysis helper): how the queries were cycled, what the protocols read, ... */
  notes?: string[];
  /** The paper's own figures to set beside ours (Table II), when relevant. */
  paper?: { label: string; seconds: number; qps: number; hardware: string }[];
}

/** Table III: one trained model's summary. */
export interface TrainingSummary {
  model: string; // arm / label
  modelPath: string;
  method: 'full' | 'lora';
  loss: string; // e.g. "triplet(euclidean, margin 5)" or "mnrl(scale 20)+preserve(0.1)"
  steps: number;
  finalLoss: number; // mean of the last 1% of steps (at least 1 step)
  finalLossSteps: number; // how many steps that mean covers
  heldOutTriples: number; // triples of held-out queries (split by query)
  heldOutQueries: number;
  tripletAccuracy: number | null; // cosine triplet accuracy on the held-out triples at the last evaluation (= final.tripletAccuracy in a finished run)
  validation: { metric: string; value: number; step: number } | null; // retrieval metric on validation queries (best / chosen checkpoint)
  trainSeconds: number | null;
  /** The validation-chosen checkpoint (step 0 = the base): held-out accuracy and loss there. Absent in older results. */
  chosen?: HeldOutAt | null;
  /** The final step's held-out accuracy and loss. Absent in older results. */
  final?: HeldOutAt | null;
}

/** Table III at one evaluated step: the held-out triples' cosine accuracy and loss, the validation metrics. */
export interface HeldOutAt {
  step: number;
  tripletAccuracy: number | null; // null: not computed (no held-out triples)
  evalLoss: number | null;
  metrics: Record<string, number>; // retrieval metrics on the validation queries, e.g. {"nDCG@10": 0.61}
}

/** Figure 2: curves read from log.jsonl files. */
export interface CurveSeries {
  model: string;
  steps: number[];
  loss: number[]; // raw per step
  lossSmoothed: number[]; // exponential moving average, same length (alpha stated in `smoothing`)
  lr: number[];
  gradNorm: number[];
  evals: { step: number; tripletAccuracy: number | null; evalLoss: number | null; metrics: Record<string, number> }[];
}

export interface CurvesResult {
  smoothing: { method: 'ema'; alpha: number };
  series: CurveSeries[];
}

/** Figure 1 and the numbers beside it. */
export interface GeometryPoint {
  x: number;
  y: number;
  kind: 'query' | 'passage';
  pair: number; // index into the pairs (same pair id: a query and its relevant passage)
}

export interface GeometryModel {
  model: string;
  modelPath: string;
  alignment: number; // mean ||q - p||^2 over pairs (unit vectors)
  uniformity: number; // log mean exp(-2 ||x - y||^2) over pairs of different items
  anisotropy: number; // mean cosine of random pairs of different items
  effectiveRank: number; // exp(entropy of normalised singular values) of the [2n, d] matrix
  meanPairCosine: number; // query to its own passage
  meanOtherCosine: number; // query to other pairs' passages
  driftFromBase: number | null; // mean cosine between base and this model's vectors of the same texts
  neighbourOverlapWithBase: number | null; // mean Jaccard of each item's 10 nearest neighbours
  umap: GeometryPoint[];
  /** Optional (added by the analysis helper): wall seconds of each part for this model. */
  seconds?: { encode: number; numbers: number; umap: number };
}

export interface GeometryResult {
  pairs: number;
  requestedPairs: number;
  skippedNoText: number; // qrels pairs dropped because the passage has no text
  minGrade: number;
  seed: number;
  umapParams: {
    library: string;
    version: string;
    nNeighbors: number;
    minDist: number;
    metric: 'cosine';
    nEpochs: number | null;
    seed: number;
  };
  models: GeometryModel[];
  /** Optional (added by the analysis helper). */
  availablePairs?: number; // judged pairs with text on both sides (pairs < requestedPairs when fewer)
  skippedNoQuery?: number; // judged pairs whose query has no text
  notes?: string[]; // e.g. "asked for 1000 pairs, 431 available: all used"
  pairIds?: { qid: string; pid: string }[]; // pair i's ids (rows: queries 0..n-1, then passages)
}
