// One fold of the study: negatives, the base model's evaluations, every unit's training (an
// arm at a seed) with its dose-response snapshots and validation-chosen checkpoint, the final
// test evaluations (re-ranking; dense where asked), and the paired comparison tables.
import { join } from 'node:path';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { RetrievalEvaluator } from '../train/trainer.ts';
import type { RetrievalSection, SweepRecord } from '../report/schema.ts';
import { SWEEPS, sweepRecord, type Sweep } from './sweeps.ts';
import { armTrainConfig, type ArmSpec } from './arms.ts';
import { armShape, tripletCost, unitSteps } from './arm-shape.ts';
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
import type { StageTiming } from './stage-cache.ts';
import { ONE_PROCESS } from './work-units.ts';

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
interface FoldSetup {
  fold: Fold;
  tag: string;
  test: RerankTask | null; // the test queries' candidates (null: no re-ranking protocol)
  validation: RerankTask | null; // the validation queries' candidates (null: none to choose by)
  evalKey: string;
  baseTest: StoredEvaluation | null;
  /** The base model's validation nDCG@10: every unit's step 0 (null: no validation queries). */
  baseValidation: Record<string, number> | null;
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

/** A fold made ready for its units: its negatives (null: no trained arm) and its setup. */
interface ReadyFold {
  setup: FoldSetup;
  negatives: NegativesOutput | null;
}

/**
 * Every fold's outcome; null on a worker that is not rank 0. The work runs phase by phase over
 * all folds at once, so that across workers a phase waits for the others once, not once per
 * fold: the folds' negatives and setups (one worker each), every fold's sweep values, then
 * every fold's units and base evaluations, longest first. Rank 0 then reads each fold back
 * from the stage cache (one process: computes it there) and builds its tables.
 */
export async function runFolds(
  ctx: StudyContext,
  folds: readonly Fold[],
  mine: (ctx: StudyContext, fold: Fold) => Promise<NegativesOutput>,
): Promise<FoldOutcome[] | null> {
  const ready = await ctx.work.sharedEach('prepare', folds, foldTag, (fold) => readyFold(ctx, fold, mine));
  const swept = await runSweeps(ctx, ready);
  // the first seed of a swept arm is its sweep's run of the chosen value
  const units = ready.map((r, i) => foldUnits(ctx, r, swept[i]!));
  await spreadUnits(ctx, ready, units);
  if (!ctx.work.lead) return null;
  const out: FoldOutcome[] = [];
  for (const [i, r] of ready.entries()) out.push(await foldOutcome(ctx, r, { units: units[i]!, swept: swept[i]! }));
  return out;
}

async function readyFold(
  ctx: StudyContext,
  fold: Fold,
  mine: (ctx: StudyContext, fold: Fold) => Promise<NegativesOutput>,
): Promise<ReadyFold> {
  const trains = studyUnits(ctx.options, fold).length > 0;
  const negatives = trains ? await mine(ctx, fold) : null;
  return { setup: await foldSetup(ctx, fold, trains), negatives };
}

/** The fold's units with its sweeps' choices; a swept arm's first seed trains in its chosen run's folder. */
function foldUnits(ctx: StudyContext, r: ReadyFold, swept: Swept): StudyUnit[] {
  const fold = r.setup.fold;
  const units = swept.arms ? studyUnits({ ...ctx.options, arms: swept.arms }, fold) : studyUnits(ctx.options, fold);
  return units.map((u) => (u.k === 0 && swept.folders[u.arm.name] ? { ...u, folder: swept.folders[u.arm.name] } : u));
}

/** Rank 0: the fold's units (trained here in one process, else read back), their test evaluations, its tables. */
async function foldOutcome(
  ctx: StudyContext,
  r: ReadyFold,
  run: { units: readonly StudyUnit[]; swept: Swept },
): Promise<FoldOutcome> {
  const { setup, negatives } = r;
  const reads = ctx.cache.timings.length;
  const trained = await trainUnits(ctx, setup, run.units, negatives);
  const arms = [baseOutcome(ctx, setup), ...trained];
  for (const a of arms) await testEvaluations(ctx, setup, a);
  // across workers these were reads of what the units wrote (their timings are already in)
  if (ctx.work !== ONE_PROCESS) keepComputed(ctx.cache.timings, reads);
  const fold = setup.fold;
  return { fold, negatives, sweeps: run.swept.records, arms, retrieval: sections(ctx, fold, arms) };
}

function baseOutcome(ctx: StudyContext, setup: FoldSetup): ArmOutcome {
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

/** Drops the cached reads among the timings from `from` on. */
function keepComputed(timings: StageTiming[], from: number): void {
  const computed = timings.slice(from).filter((t) => !t.cached);
  timings.splice(from, timings.length - from, ...computed);
}

/**
 * Across workers: every fold's units (its training, then its test evaluations) and base
 * evaluations, each run by the worker that claims it, the longest first over all folds (so the
 * last to start are short, and no worker waits for the others at a fold's end). One process:
 * nothing (foldOutcome runs them).
 */
async function spreadUnits(
  ctx: StudyContext,
  ready: readonly ReadyFold[],
  units: readonly (readonly StudyUnit[])[],
): Promise<void> {
  const graceful = ctx.options.gracefully ?? (<T>(fn: (signal?: AbortSignal) => Promise<T>): Promise<T> => fn());
  type Item = { r: ReadyFold; u: StudyUnit | null };
  const trained = ready.flatMap((r, i) => (r.negatives ? units[i]!.map((u) => ({ r, u, arm: u.arm, k: u.k })) : []));
  const work: Item[] = [
    ...longestFirst(ctx.options, trained, (x) => x.r.negatives!),
    ...ready.map((r) => ({ r, u: null })),
  ];
  const id = ({ r, u }: Item): string => `${r.setup.tag}/${u ? `${u.arm.name}.seed-${u.k}` : 'base'}`;
  await ctx.work.spread('units', work, id, async ({ r, u }) => {
    const { setup, negatives } = r;
    workerLog(ctx, u ? unitName(ctx.options, u) : `base evaluations (${setup.fold.name})`);
    const a = u ? await graceful((signal) => trainUnit(ctx, setup, u, { negatives: negatives!, signal })) : null;
    await testEvaluations(ctx, setup, a ?? baseOutcome(ctx, setup));
  });
}

/**
 * The units in the order workers claim them: the longest first (its steps x batch x the arm's
 * cost per triplet, with its own fold's and seed's triples), so the last to start are short and
 * the workers finish close together (seed-major order left one worker idle for up to a long unit).
 */
export function longestFirst<U extends Pick<StudyUnit, 'arm' | 'k'>>(
  o: StudyOptions,
  units: readonly U[],
  negativesOf: (u: U) => NegativesOutput,
): U[] {
  const cost = (u: U): number => {
    const triples = seedTriples(negativesOf(u), u.k)[`train-${u.arm.negatives!}`].count;
    return unitSteps(o, u.arm, triples) * armShape(o, u.arm).batchSize * tripletCost(u.arm);
  };
  return units
    .map((u) => ({ u, c: cost(u) }))
    .sort((a, b) => b.c - a.c)
    .map((x) => x.u);
}

/** Who runs a unit: the worker that claimed it, or (data-parallel) all of them together, said once. */
function workerLog(ctx: StudyContext, what: string): void {
  const { rank, size, trainingRanks } = ctx.work;
  if (trainingRanks === 1) ctx.log(`study: worker ${rank} of ${size} runs ${what}`);
  else if (rank === 0) ctx.log(`study: ${trainingRanks} workers run ${what} together (data-parallel)`);
}

/** The sweeps' outcome: the arms with their choices (null: no sweeps), the records, each swept arm's chosen run's folder. */
interface Swept {
  arms: ArmSpec[] | null;
  records: SweepRecord[];
  folders: Record<string, string>;
}

/** One value of a sweep, trained at the first seed. */
interface SweepRun {
  sweep: Sweep;
  value: number;
  unit: StudyUnit;
  folder: string;
}

/** The sweeps' runs: every value of each sweep whose arm runs, at the first seed, in its own folder. */
function sweepRuns(ctx: StudyContext, setup: FoldSetup): SweepRun[] {
  const o = ctx.options;
  if (!setup.validation) return [];
  return SWEEPS.flatMap((sweep) => {
    const arm = o.arms.find((a) => a.name === sweep.arm);
    if (!arm) return [];
    return sweep.values.map((value) => ({
      sweep,
      value,
      unit: { fold: setup.fold, arm: sweep.apply(arm, value), k: 0, seed: o.seed },
      folder: `sweep-${sweep.parameter.replace(/\W+/g, '-')}-${value}`,
    }));
  });
}

function sweepRunName(r: SweepRun): string {
  return `sweep ${r.sweep.arm} ${r.sweep.parameter} ${r.value} (${r.unit.fold.name})`;
}

/**
 * Each fold's sweeps (none without --sweeps or negatives): every value trained at the first seed
 * (across workers, all folds' values in one spread, each where it was claimed), scored on
 * validation; the arms with the choices. A value's run is the unit its arm would train at the
 * first seed, test snapshots included, so the chosen value's run is that unit (`folders`) and is
 * not trained twice; the choice reads validation only.
 */
async function runSweeps(ctx: StudyContext, ready: readonly ReadyFold[]): Promise<Swept[]> {
  const runs = ready.map((r) => (ctx.options.sweeps && r.negatives ? sweepRuns(ctx, r.setup) : []));
  const all = ready.flatMap((r, i) => runs[i]!.map((run) => ({ ...run, r, arm: run.unit.arm, k: 0 })));
  const reads = ctx.cache.timings.length;
  await ctx.work.spread(
    'sweeps',
    longestFirst(ctx.options, all, (x) => x.r.negatives!),
    (x) => `${x.r.setup.tag}/${x.folder}`,
    async (x) => {
      workerLog(ctx, sweepRunName(x));
      await trainSweepRun(ctx, x.r, x);
    },
  );
  const out: Swept[] = [];
  for (const [i, r] of ready.entries())
    out.push(ctx.options.sweeps && r.negatives ? await sweepChoices(ctx, r, runs[i]!) : NOT_SWEPT);
  if (ctx.work !== ONE_PROCESS) keepComputed(ctx.cache.timings, reads);
  return out;
}

const NOT_SWEPT: Swept = { arms: null, records: [], folders: {} };

function trainSweepRun(ctx: StudyContext, r: ReadyFold, run: SweepRun): Promise<ArmOutcome> {
  return trainUnit(ctx, r.setup, run.unit, { negatives: r.negatives!, signal: undefined, folder: run.folder });
}

/** One fold's sweeps, chosen (one process: the runs train here; across workers: reads of what the workers trained). */
async function sweepChoices(ctx: StudyContext, r: ReadyFold, runs: readonly SweepRun[]): Promise<Swept> {
  const arms = [...ctx.options.arms];
  const records: SweepRecord[] = [];
  const folders: Record<string, string> = {};
  const fold = r.setup.fold.name;
  for (const sweep of SWEEPS) {
    const own = runs.filter((x) => x.sweep === sweep);
    if (own.length === 0) continue;
    const scores = [];
    for (const x of own)
      scores.push((await trainSweepRun(ctx, r, x)).record!.chosen?.value ?? Number.NEGATIVE_INFINITY);
    const rec = sweepRecord(fold, sweep, scores);
    ctx.log(
      `sweep ${sweep.arm} ${sweep.parameter} (${fold}): validation nDCG@10 ${scores.map((s) => s.toFixed(4)).join(', ')} for ${sweep.values.join(', ')}: chose ${rec.chosen}`,
    );
    records.push(rec);
    const i = arms.findIndex((a) => a.name === sweep.arm);
    arms[i] = sweep.apply(arms[i]!, rec.chosen);
    folders[sweep.arm] = own.find((x) => x.value === rec.chosen)!.folder;
  }
  return { arms, records, folders };
}

/** The fold's candidate lists and the base's evaluations (its validation only where units train: their step 0). */
async function foldSetup(ctx: StudyContext, fold: Fold, trains: boolean): Promise<FoldSetup> {
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
      ? await ctx.cache.run(`validation.${tag}.base`, { evalKey }, () => validationScores(ctx.base, validation))
      : null;
  return { fold, tag, test, validation, evalKey, baseTest, baseValidation };
}

/**
 * Trains the units in one graceful scope: a Ctrl-C that lands after a unit's last step (its
 * final snapshot) stops the study before the next unit instead of being lost.
 */
async function trainUnits(
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

async function trainUnit(
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

/**
 * The trainer's validation. Step 0 is the model as loaded, the same for every unit of the fold
 * (full fine-tuning starts from the base's weights, LoRA's B from zeros, the recipe from the
 * base): its score is the fold's, computed once (a test checks the equality for each method).
 */
function validationEvaluator(setup: FoldSetup): RetrievalEvaluator | undefined {
  const task = setup.validation;
  if (!task || task.set.queries.size === 0) return undefined;
  const base = setup.baseValidation;
  return async (enc, step) => (step === 0 && base ? base : validationScores(enc, task));
}

/** A unit's test evaluations: re-ranking at the chosen checkpoint and the last step; dense where asked. */
async function testEvaluations(ctx: StudyContext, setup: FoldSetup, a: ArmOutcome): Promise<void> {
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
function sections(ctx: StudyContext, fold: Fold, arms: ArmOutcome[]): RetrievalSection[] {
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
