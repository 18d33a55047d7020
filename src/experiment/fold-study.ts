// A fold's work (study-schedule.ts runs it): its setup with the base model's evaluations, a
// unit's training (an arm at a seed) with its dose-response snapshots and validation-chosen
// checkpoint, the final test evaluations (re-ranking; dense where asked), and the paired
// comparison tables.
import { join } from 'node:path';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { RetrievalEvaluator } from '../train/trainer.ts';
import type { RetrievalSection, SweepRecord } from '../report/schema.ts';
import { armTrainConfig, type ArmSpec } from './arms.ts';
import { armShape, unitSteps } from './arm-shape.ts';
import type { StudyContext } from './context.ts';
import type { Fold } from './data.ts';
import {
  averageEvaluations,
  candidates,
  denseEvaluation,
  loadEvaluation,
  means,
  rerankEvaluation,
  type RerankTask,
  type StoredEvaluation,
} from './evaluation.ts';
import { compareTable } from './external.ts';
import { foldTag, HARD, readTriples, seedTriples, type NegativesOutput } from './negatives-stage.ts';
import { Interrupted, UserError } from '../errors.ts';
import type { StudyOptions } from './options.ts';
import {
  baseRerankKey,
  denseKey,
  evaluationKey,
  finalRerankKey,
  precisionStage,
  type TrainedArm,
} from './stage-keys.ts';
import type { Precision } from '../engine/index.ts';
import { HOW_TO_CONTINUE, trainArm, type ArmTrainingRecord } from './training.ts';

export interface ArmOutcome {
  arm: ArmSpec;
  /** Seed index k (the training seed is --seed + k); 0 for the base. */
  k: number;
  record: ArmTrainingRecord | null;
  modelPath: string;
  dir: string | null;
  /** Re-ranking the test fold: the validation-chosen checkpoint (the base's when step 0 won) and the last step. */
  rerank: { chosen: StoredEvaluation; final: StoredEvaluation } | null;
  /** Dense retrieval over the collection at the chosen checkpoint. */
  dense: StoredEvaluation | null;
  /**
   * The test evaluations at the dose steps and the precision each ran in: training's snapshots (fp32);
   * under another --precision the last step is the final model evaluated in it.
   */
  dose: DoseEvaluation[];
}

export interface DoseEvaluation {
  step: number;
  evaluation: StoredEvaluation;
  precision: Precision;
}

export interface FoldOutcome {
  fold: Fold;
  /** Hyperparameters chosen on this fold's validation queries. */
  sweeps: SweepRecord[];
  negatives: NegativesOutput | null;
  /** The base first, then every unit (arm x seed). */
  arms: ArmOutcome[];
  retrieval: RetrievalSection[];
}

/** One unit of training work: an arm on a fold at a seed index k (training seed --seed + k). */
export interface StudyUnit {
  fold: Fold;
  arm: ArmSpec;
  k: number;
  seed: number;
  /** The unit's folder under models/FOLD/ARM (default seed-K; a swept arm's first seed: its sweep's run). */
  folder?: string;
}

/** What every unit of a fold shares: its candidate lists, the evaluation key, the base's test evaluation. */
export interface FoldSetup {
  fold: Fold;
  tag: string;
  test: RerankTask | null; // the test queries' candidates (null: no re-ranking protocol)
  validation: RerankTask | null; // the validation queries' candidates (null: none to choose by)
  evalKey: string;
  baseTest: StoredEvaluation | null;
  /** The base model's validation nDCG@10: every unit's step 0 (null: no validation queries or no unit). */
  baseValidation: BaseValidation | null;
}

export function doseSteps(fractions: readonly number[], steps: number): { fraction: number; step: number }[] {
  return fractions.map((f) => ({ fraction: f, step: Math.max(f > 0 ? 1 : 0, Math.round(f * steps)) }));
}

/** The fold's units of training work, in the order they run: every arm's first seed, then the next seeds. */
export function studyUnits(o: Pick<StudyOptions, 'arms' | 'seed' | 'seeds'>, fold: Fold): StudyUnit[] {
  const trained = o.arms.filter((a) => a.kind !== 'base');
  return Array.from({ length: o.seeds }, (_, k) => trained.map((arm) => ({ fold, arm, k, seed: o.seed + k }))).flat();
}

/** How a unit is named in logs: the arm, its seed when there are several, the fold. */
export function unitName(o: Pick<StudyOptions, 'seeds'>, u: Pick<StudyUnit, 'fold' | 'arm' | 'seed'>): string {
  return o.seeds > 1 ? `${u.arm.name} seed ${u.seed} (${u.fold.name})` : `${u.arm.name} (${u.fold.name})`;
}

export function baseOutcome(ctx: StudyContext, setup: FoldSetup): ArmOutcome {
  return {
    arm: ctx.options.arms.find((a) => a.kind === 'base')!,
    k: 0,
    record: null,
    modelPath: ctx.options.model,
    dir: null,
    rerank: setup.baseTest ? { chosen: setup.baseTest, final: setup.baseTest } : null,
    dense: null,
    dose: [],
  };
}

/** The fold's candidate lists and the base's evaluations (its validation only where units train: their step 0). */
export async function foldSetup(ctx: StudyContext, fold: Fold, trains: boolean): Promise<FoldSetup> {
  const o = ctx.options;
  const rerankable = fold.testRun !== null && o.protocols.includes('rerank');
  const c = fold.collection;
  const test = rerankable
    ? { set: fold.test, collection: c, candidates: candidates(fold.testRun!, fold.test, o.rerankDepth) }
    : null;
  const valCands = fold.trainRun ? candidates(fold.trainRun, fold.validation, o.validationDepth) : null;
  const validation = valCands?.queries.size ? { set: fold.validation, collection: c, candidates: valCands } : null;
  const tag = foldTag(fold);
  const baseTest = test
    ? await ctx.cache.run(
        precisionStage(`eval.${tag}.rerank.base`, ctx.precision),
        baseRerankKey(fold, o, ctx.metrics, ctx.baseId),
        () => rerankEvaluation(ctx.evalBase, test, ctx.metrics, 'base'),
      )
    : null;
  const evalKey = evaluationKey(fold, o, ctx.metrics, ctx.baseId);
  // training's validation runs in fp32, as does this (ctx.base, not evalBase)
  const baseValidation =
    validation && trains
      ? await ctx.cache.run(`validation.${tag}.base`, { evalKey, both: true }, () =>
          baseValidations(ctx.base, validation),
        )
      : null;
  return { fold, tag, test, validation, evalKey, baseTest, baseValidation };
}

/**
 * Trains the units in one graceful scope: a Ctrl-C that lands after a unit's last step (its
 * final snapshot) stops the study before the next unit instead of being lost.
 */
export async function trainUnits(
  ctx: StudyContext,
  setup: FoldSetup,
  units: readonly StudyUnit[],
  negatives: NegativesOutput | null,
): Promise<ArmOutcome[]> {
  const graceful = ctx.options.gracefully ?? (<T>(fn: (signal?: AbortSignal) => Promise<T>): Promise<T> => fn());
  const name = setup.fold.name;
  return graceful(async (signal) => {
    const out: ArmOutcome[] = [];
    for (const unit of units) {
      if (signal?.aborted) throw new Interrupted(`interrupted before ${unit.arm.name} (${name}); ${HOW_TO_CONTINUE}`);
      out.push(await trainUnit(ctx, setup, unit, { negatives: negatives!, signal }));
    }
    if (signal?.aborted) throw new Interrupted(`interrupted after the last arm of ${name}; ${HOW_TO_CONTINUE}`);
    return out;
  });
}

export async function trainUnit(
  ctx: StudyContext,
  setup: FoldSetup,
  unit: StudyUnit,
  run: { negatives: NegativesOutput; signal: AbortSignal | undefined; folder?: string },
): Promise<ArmOutcome> {
  const o = ctx.options;
  const { arm } = unit;
  const triplesFile = checkedTriples(o, unit, run.negatives);
  const steps = unitSteps(o, arm, triplesFile.count);
  const folder = run.folder ?? unit.folder ?? `seed-${unit.k}`;
  const dir = join(o.output, 'models', setup.tag, arm.name, folder);
  const name = unitName(o, unit);
  const bar = ctx.progress(`train ${name}`, steps, 'steps');
  const tArm = performance.now();
  // the last step is always snapshot: the final model's test evaluation, with no second pass;
  // the dose curve's earlier points are the first seed's (later seeds add only their final model)
  const curve = unit.k === 0 ? doseSteps(o.dose, steps).map((d) => d.step) : [];
  const points = setup.test ? [...curve, steps].filter((s) => s > 0) : [];
  const ranks = ctx.work.trainingRanks;
  const cfg = armTrainConfig(arm, o.config, {
    ...o,
    ...armShape(o, arm),
    steps,
    seed: unit.seed,
    evalEvery: Math.max(1, Math.round(steps / 4)),
  })!;
  const record = await trainArm({
    name,
    dir,
    // data-parallel: the world size is part of the run's identity (as the trainer records it)
    cfg: ranks > 1 ? { ...cfg, worldSize: ranks } : cfg,
    signal: run.signal,
    triples: await readTriples(triplesFile),
    triplesSha256: triplesFile.sha256,
    validationTriples: await readTriples(run.negatives.files[`validation-${arm.negatives!}`]),
    validationEval: validationEvaluator(setup),
    evalKey: setup.evalKey,
    doseSteps: [...new Set(points)],
    snapshot: (enc) => rerankEvaluation(enc, setup.test!, ctx.metrics, arm.name),
    onMismatch: o.onMismatch,
    device: ctx.device,
    log: ctx.log,
    onStep: (step, _total, loss) => bar.update(step, `loss ${loss.toFixed(4)}`),
  });
  const seconds = (performance.now() - tArm) / 1000;
  ctx.cache.timings.push({
    name: `train.${setup.tag}.${arm.name}.${folder}`,
    seconds,
    cached: record.reused,
  });
  const dose = record.dose.map((d) => ({ ...d, precision: 'fp32' as const }));
  return { arm, k: unit.k, record, modelPath: record.modelPath, dir, rerank: null, dense: null, dose };
}

/** The unit's training triples, at least one batch of them. */
function checkedTriples(o: StudyOptions, unit: StudyUnit, negatives: NegativesOutput) {
  const { arm, fold } = unit;
  const f = seedTriples(negatives, unit.k)[`train-${arm.negatives!}`];
  const { batchSize } = armShape(o, arm);
  if (f.count >= batchSize) return f;
  const hint =
    arm.negatives === 'hard'
      ? ` (hard negatives come from ranks ${HARD.lo}-${HARD.hi} of ${negatives.miningPassages} searched passages; ` +
        'raise --mining-depth or use --mining-pool pool)'
      : '';
  throw new UserError(
    `${arm.name} (${fold.name}): ${f.count} ${arm.negatives} training triples, ` +
      `fewer than one batch of ${batchSize}${hint}`,
  );
}

/** Validation nDCG@10 re-ranking the validation queries' candidates (chooses checkpoints; never the test fold). */
function validationScores(enc: SentenceEncoder, task: RerankTask): Record<string, number> {
  return means(rerankEvaluation(enc, task, ['nDCG@10'], 'validation'));
}

/** The base's validation scores with its vectors normalised by the model, and not (re-ranking normalises them). */
interface BaseValidation {
  normalized: Record<string, number>;
  raw: Record<string, number>;
}

/**
 * Both ways a unit's step 0 scores: a config that normalises (MNRL, cosine triplets) or not (the
 * paper code's euclidean triplets; re-ranking then normalises in float64, a last-bit difference
 * that can break a near-tie).
 */
function baseValidations(enc: SentenceEncoder, task: RerankTask): BaseValidation {
  const was = enc.info.normalize;
  try {
    enc.info.normalize = true;
    const normalized = validationScores(enc, task);
    enc.info.normalize = false;
    return { normalized, raw: validationScores(enc, task) };
  } finally {
    enc.info.normalize = was;
  }
}

/**
 * The trainer's validation. Step 0 is the model as loaded, the same for every unit of the fold
 * (full fine-tuning starts from the base's weights, LoRA's B from zeros, the recipe from the
 * base): its score is the fold's, computed once for each normalisation (a test checks the
 * equality for each method).
 */
function validationEvaluator(setup: FoldSetup): RetrievalEvaluator | undefined {
  const task = setup.validation;
  if (!task || task.set.queries.size === 0) return undefined;
  const base = setup.baseValidation;
  return async (enc, step) =>
    step === 0 && base ? base[enc.info.normalize ? 'normalized' : 'raw'] : validationScores(enc, task);
}

/** A unit's test evaluations: re-ranking at the chosen checkpoint and the last step; dense where asked. */
export async function testEvaluations(ctx: StudyContext, setup: FoldSetup, a: ArmOutcome): Promise<void> {
  if (setup.baseTest && a.record) {
    const t = a as TrainedArm & ArmOutcome;
    a.rerank = { chosen: await chosenRerank(ctx, setup, t), final: await finalRerank(ctx, setup, t) };
    // the last dose point is the final model in the study's precision (training's snapshot is fp32)
    const final = a.rerank.final;
    a.dose = a.dose.map((d) =>
      d.step === a.record!.config.maxSteps ? { ...d, evaluation: final, precision: ctx.precision } : d,
    );
  }
  if (ctx.options.protocols.includes('dense')) a.dense = await finalDense(ctx, setup, a);
}

/**
 * The chosen checkpoint's test evaluation: the base's when step 0 won (the model as loaded),
 * its dose snapshot when one was taken there, else evaluated now.
 */
async function chosenRerank(
  ctx: StudyContext,
  setup: FoldSetup,
  a: TrainedArm & ArmOutcome,
): Promise<StoredEvaluation> {
  const r = a.record;
  const at = r.chosen ? r.chosen.step : r.config.maxSteps;
  if (at === 0) return setup.baseTest!;
  // training's snapshots are fp32: another precision evaluates the saved checkpoint
  const snap = ctx.precision === 'fp32' ? r.dose.find((d) => d.step === at) : undefined;
  if (snap) return snap.evaluation;
  const name = precisionStage(`eval.${setup.tag}.rerank.${a.arm.name}.seed-${a.k}`, ctx.precision);
  return ctx.cache.run(name, finalRerankKey(a, ctx.precision), () =>
    withModel(ctx, a.modelPath, (enc) => rerankEvaluation(enc, setup.test!, ctx.metrics, a.arm.name)),
  );
}

/** The last step's test evaluation: its snapshot (taken during training); a record without one is evaluated now. */
async function finalRerank(ctx: StudyContext, setup: FoldSetup, a: TrainedArm & ArmOutcome): Promise<StoredEvaluation> {
  const snap = ctx.precision === 'fp32' ? a.record.dose.find((d) => d.step === a.record.config.maxSteps) : undefined;
  if (snap) return snap.evaluation;
  const key = { ...finalRerankKey(a, ctx.precision), checkpoint: 'final' };
  const name = precisionStage(`eval.${setup.tag}.rerank.${a.arm.name}.seed-${a.k}.final`, ctx.precision);
  return ctx.cache.run(name, key, () =>
    withModel(ctx, a.dir!, (enc) => rerankEvaluation(enc, setup.test!, ctx.metrics, a.arm.name)),
  );
}

async function finalDense(ctx: StudyContext, setup: FoldSetup, a: ArmOutcome): Promise<StoredEvaluation> {
  const { fold } = setup;
  const key = denseKey(fold, a.record, ctx.metrics, ctx.baseId, ctx.precision);
  const name = precisionStage(`eval.${setup.tag}.dense.${a.arm.name}.seed-${a.k}`, ctx.precision);
  return ctx.cache.run(name, key, () =>
    withModel(ctx, a.modelPath, (enc) => {
      const bar = ctx.progress(`encode collection (${a.arm.name})`, fold.collection.size, 'passages');
      // trained models are not cached across runs: the stage cache keeps their results instead
      const task = { set: fold.test, collection: fold.collection, collectionPath: fold.collectionPath };
      return denseEvaluation(enc, task, ctx.metrics, {
        cacheDir: a.record ? null : ctx.options.cacheDir,
        onProgress: (d) => bar.update(d),
        name: a.arm.name,
      });
    }),
  );
}

async function withModel<T>(ctx: StudyContext, spec: string, fn: (enc: SentenceEncoder) => T | Promise<T>): Promise<T> {
  const enc = SentenceEncoder.load(spec, { device: ctx.device, precision: ctx.precision });
  try {
    return await fn(enc);
  } finally {
    enc.dispose();
  }
}

/** The comparison tables: each arm's chosen checkpoint, per-query scores averaged over its seeds. */
export function sections(ctx: StudyContext, fold: Fold, arms: ArmOutcome[]): RetrievalSection[] {
  const out: RetrievalSection[] = [];
  for (const protocol of ['rerank', 'dense'] as const) {
    const of = (a: ArmOutcome): StoredEvaluation | null =>
      protocol === 'rerank' ? (a.rerank?.chosen ?? null) : a.dense;
    if (!arms.every((a) => of(a) !== null)) continue;
    const names = [...new Set(arms.map((a) => a.arm.name))];
    const evals = names.map((n) => averageEvaluations(arms.filter((a) => a.arm.name === n).map((a) => of(a)!)));
    out.push(section(ctx, fold, { protocol, names, evals }));
  }
  return out;
}

interface SectionInput {
  protocol: 'rerank' | 'dense';
  names: string[];
  evals: StoredEvaluation[];
}

function section(ctx: StudyContext, fold: Fold, s: SectionInput): RetrievalSection {
  const o = ctx.options;
  // re-ranking a fixed candidate list cannot change recall at its depth
  const identical =
    s.protocol === 'rerank'
      ? ctx.metrics.filter((m) => /^R(\(.*\))?@(\d+)$/.test(m) && Number(m.split('@')[1]) >= o.rerankDepth)
      : [];
  const table = compareTable(s.names, s.evals.map(loadEvaluation), { seed: o.seed, identical });
  const n = fold.test.queries.size;
  const test = fold.testName.toUpperCase();
  const seeds = o.seeds > 1 ? `; each arm's chosen checkpoints, per-query scores averaged over ${o.seeds} seeds` : '';
  const description =
    s.protocol === 'rerank'
      ? `re-ranking BM25's top-${o.rerankDepth} for ${test} (${table.queries} of ${n} queries judged), ` +
        `trained on ${fold.trainName.toUpperCase()}${seeds}`
      : `dense retrieval over the ${fold.collection.size.toLocaleString('en-US')}-passage collection for ${test} ` +
        `(${table.queries} queries)${seeds}`;
  return { fold: fold.name, protocol: s.protocol, description, table };
}
