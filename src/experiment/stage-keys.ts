// One cache key per stage, built from exactly the inputs that stage reads (as a Make rule
// declares its prerequisites): the input files' hashes, the base model's identity and the
// options the stage uses — nothing else, so an unrelated flag never reruns a stage. The
// types name the inputs; test/experiment/stage-keys.test.ts checks each key against them.
import type { Precision } from '../engine/index.ts';
import { kernelLabel } from '../model/inference-linears.ts';
import type { Fold } from './data.ts';
import { HARD } from './negatives.ts';
import type { StudyOptions } from './options.ts';
import { hashKey } from './stage-cache.ts';
import type { ArmTrainingRecord } from './training.ts';

export type StageKey = Record<string, unknown>;

const hashes = (fold: Pick<Fold, 'files'>): string[] => fold.files.map((f) => f.sha256);

/**
 * The precision of an evaluation's encodes, for its key: bf16 and int8 vectors differ from fp32's,
 * and each kernel (or int8 recipe) gives its own; fp32 adds nothing, so the keys (and stored
 * results) of runs from before --precision stay valid.
 */
const encodedIn = (precision: Precision): { precision?: Precision; kernels?: string } =>
  precision === 'fp32' ? {} : { precision, kernels: kernelLabel(precision) };

/** A stage's file name in a precision: each precision keeps its own, so alternating runs do not evict each other. */
export function precisionStage(name: string, precision: Precision): string {
  return precision === 'fp32' ? name : `${name}.${precision}`;
}

/** What every negatives stage reads: the fold's files, the validation split, the base model, the guard. */
function minerKey(
  fold: Pick<Fold, 'files'>,
  o: Pick<StudyOptions, 'seed' | 'validationFraction' | 'guardMargin'>,
  baseId: string,
): StageKey {
  return {
    fold: hashes(fold),
    seed: o.seed,
    validation: o.validationFraction,
    base: baseId,
    guard: o.guardMargin,
    hard: HARD,
  };
}

export type CandidateNegativesInputs = Pick<
  StudyOptions,
  | 'seed'
  | 'seeds'
  | 'validationFraction'
  | 'guardMargin'
  | 'miningPool'
  | 'miningDepth'
  | 'steps'
  | 'batchSize'
  | 'epochs'
  | 'negativesPerPositive'
>;

/** Triples mined among the training queries' first-stage candidates (negatives-stage.ts). */
export function candidateNegativesKey(
  fold: Pick<Fold, 'files' | 'minGrade'>,
  o: CandidateNegativesInputs,
  baseId: string,
): StageKey {
  return {
    ...minerKey(fold, o, baseId),
    pool: o.miningPool,
    depth: o.miningDepth,
    // training reads at most this many positives (with epochs: all of them)
    need: o.epochs === null ? o.steps * o.batchSize : 'all',
    perPositive: o.negativesPerPositive,
    minGrade: fold.minGrade,
    seeds: o.seeds, // each seed draws its own negatives
    validationSearch: 'own-candidates', // validation hard negatives among the validation queries' candidates
    profiled: true,
  };
}

export type CollectionNegativesInputs = Pick<
  StudyOptions,
  'seed' | 'seeds' | 'validationFraction' | 'guardMargin' | 'paperTriples'
>;

/** Official triples sampled and hard negatives mined over the whole collection (paper-data.ts). */
export function collectionNegativesKey(
  fold: Pick<Fold, 'files'>,
  o: CollectionNegativesInputs,
  baseId: string,
): StageKey {
  return { ...minerKey(fold, o, baseId), n: o.paperTriples, seeds: o.seeds }; // each seed samples its own
}

export type EvaluationInputs = Pick<StudyOptions, 'rerankDepth' | 'validationDepth' | 'dose' | 'protocols'>;

/**
 * What an arm's validation choice and test snapshots read (recorded with its training: a
 * change retrains it): the fold, the validation queries, the metrics, depths and dose points.
 */
export function evaluationKey(
  fold: Pick<Fold, 'files' | 'validation' | 'testRun'>,
  o: EvaluationInputs,
  metrics: readonly string[],
  baseId: string,
): string {
  return hashKey({
    fold: hashes(fold),
    validation: [...fold.validation.queries.keys()],
    metrics,
    depth: o.rerankDepth,
    validationDepth: o.validationDepth,
    dose: o.dose,
    rerankable: fold.testRun !== null && o.protocols.includes('rerank'),
    baseId,
  });
}

/** The base model re-ranking the test fold's candidates, in the study's precision. */
export function baseRerankKey(
  fold: Pick<Fold, 'files'>,
  o: Pick<StudyOptions, 'rerankDepth' | 'precision'>,
  metrics: readonly string[],
  baseId: string,
): StageKey {
  return { fold: hashes(fold), depth: o.rerankDepth, metrics, baseId, ...encodedIn(o.precision) };
}

export type TrainedArm = { modelPath: string; record: ArmTrainingRecord };

/**
 * A trained arm's checkpoint re-ranking the test fold in a precision (fp32: when no dose snapshot
 * stands for it; another precision: always, as training's snapshots are fp32).
 */
export function finalRerankKey(a: TrainedArm, precision: Precision): StageKey {
  const r = a.record;
  const key = { model: a.modelPath, config: r.config, triples: r.triplesSha256, evalKey: r.evalKey, chosen: r.chosen };
  return { ...key, ...encodedIn(precision) };
}

/** A model's dense retrieval over the whole collection: a trained arm by its training, the base by its identity. */
export function denseKey(
  fold: Pick<Fold, 'files'>,
  record: ArmTrainingRecord | null,
  metrics: readonly string[],
  baseId: string,
  precision: Precision,
): StageKey {
  const key = record
    ? { config: record.config, triples: record.triplesSha256, chosen: record.chosen, fold: hashes(fold) }
    : { baseId, fold: hashes(fold) };
  return { key, metrics, ...encodedIn(precision) };
}
