// ftlab as a library: the public API, one entry file with explicit named exports
// (package.json "exports"). The CLI (bin/ftlab.js) is built on the same functions.

// data: readers and writers
export { Collection, loadCollection } from './data/collection.ts';
export { loadQueries, type Queries } from './data/queries.ts';
export { loadQrels, relevantDocs, type Qrels } from './data/qrels.ts';
export {
  loadRun,
  rankedList,
  rankingToRun,
  trecOrder,
  writeTrecRun,
  type Ranked,
  type Ranking,
  type Run,
  type RunFormat,
  type Scored,
} from './data/run.ts';
export { loadIdTriples, loadTextTriples, type IdTriple, type TextTriple } from './data/triples.ts';
export { Random } from './data/random.ts';
export {
  loadDataset,
  readManifest,
  type Dataset,
  type Manifest,
  type SplitData,
  type SplitFiles,
  type SplitName,
} from './data/manifest.ts';

// model
export { SentenceEncoder, type EncodeOptions, type LoadOptions } from './model/sentence-encoder.ts';
export {
  POOLINGS,
  readFtlabInfo,
  SIMILARITIES,
  type FtlabModelInfo,
  type Pooling,
  type Prompts,
  type Similarity,
  type TextRole,
} from './model/config.ts';
export { DEFAULT_MODEL, DEFAULT_MODEL_NAME, resolveModelFiles, type ModelFiles } from './model/model-files.ts';
export { Lora, PAPER_LORA, parseLoraSpec, type LoraConfig } from './model/lora.ts';
export { saveModelFolder } from './model/save-model.ts';
export { modelFingerprint, modelIdentity } from './model/fingerprint.ts';

// retrieval
export { denseRetrieve, rerank, type RetrievalTiming } from './retrieval/dense-retrieval.ts';
export { exactSearch, type SearchOptions, type TopK } from './retrieval/exact-search.ts';
export {
  cachedEmbeddings,
  CollectionEmbeddings,
  defaultCacheDir,
  embedCollection,
  SHARD,
  type CacheOptions,
} from './retrieval/embedding-cache.ts';
export { mineTriples, type MinedTriple, type MiningOptions, type MiningResult } from './retrieval/mining.ts';
export { normalisesAtScoring } from './retrieval/similarity.ts';

// evaluation and statistics
export { evaluate, type Evaluation } from './eval/evaluate.ts';
export { metricString, parseMetric, parseMetrics, type Metric } from './eval/metric.ts';
export { compareTable, type CompareOptions } from './eval/compare.ts';
export type { ComparisonRow, ComparisonTable, MetricStats } from './eval/comparison.ts';
export { pairedRandomisation, pairedTTest } from './eval/significance.ts';
export { bootstrapCI } from './eval/bootstrap.ts';
export { holmAdjust } from './eval/holm.ts';
export {
  equivalenceTest,
  pairedTInterval,
  pairedTost,
  verdict,
  type EquivalenceTest,
  type Tost,
  type Verdict,
  type VerdictResult,
} from './eval/equivalence.ts';
export {
  minimumDetectableEffect,
  minimumEquivalenceMargin,
  tostPower,
  tTestPower,
  type Design,
} from './eval/power.ts';
export { seedBootstrapCI, seedSummary, type SeedBootstrapOptions, type SeedSummary } from './eval/seed-bootstrap.ts';
export { cohensDz, winTieLoss, type WinTieLoss } from './eval/effect-size.ts';

// training
export { latestCheckpoint, train, type TrainConfig, type TrainerOptions, type TrainResult } from './train/trainer.ts';
export { TRIPLET_PRESETS, type TripletPreset } from './train/losses/triplet-loss.ts';
export { chooseCheckpoint, type CheckpointChoice, type StepScore } from './train/checkpoint-choice.ts';
export {
  noDuplicateBatches,
  noDuplicateBatchPlan,
  tripleItems,
  type BatchItem,
  type EpochBatches,
} from './train/no-duplicate-batches.ts';

// analysis
export {
  distribution,
  firstStageRanks,
  negativesProfile,
  type Distribution,
  type NegativeObservation,
  type NegativesProfile,
} from './analysis/negatives-profile.ts';

// a study's results.json: its schema (types, validator, JSON Schema), reader and writer
export {
  RESULTS_VERSION,
  resultsJsonSchema,
  StudyResultsSchema,
  type StudyResults,
} from './report/schema.ts';
export { readResults } from './report/read-results.ts';
export { writeResults } from './report/write-results.ts';

// engine settings and errors
export { cudaAvailable, engineInfo, resolveDevice, setThreads } from './engine/index.ts';
export { InputError, UserError } from './errors.ts';
