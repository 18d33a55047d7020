// One fold of the study: negatives, the base model's evaluations, every unit's training (an
// arm at a seed) with its dose-response snapshots and validation-chosen checkpoint, the final
// test evaluations (re-ranking; dense where asked), and the paired comparison tables.
import { join } from 'node:path';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { RetrievalEvaluator } from '../train/trainer.ts';
import type { DosePoint, RetrievalSection } from '../report/schema.ts';
import { armTrainConfig, type ArmSpec } from './arms.ts';
import type { StudyContext } from './context.ts';
import type { Fold } from './data.ts';
import {
  candidates,
  denseEvaluation,
  loadEvaluation,
  means,
  rerankEvaluation,
  type RerankTask,
  type StoredEvaluation,
} from './evaluation.ts';
import { compareTable } from './external.ts';
import { foldTag, HARD, readTriples, type NegativesOutput } from './negatives-stage.ts';
import { Interrupted, UserError } from '../errors.ts';
import type { StudyOptions } from './options.ts';
import { baseRerankKey, denseKey, evaluationKey, finalRerankKey, type TrainedArm } from './stage-keys.ts';
import { HOW_TO_CONTINUE, trainArm, type ArmTrainingRecord } from './training.ts';

export interface ArmOutcome {
  arm: ArmSpec;
  record: ArmTrainingRecord | null;
  modelPath: string;
  dir: string | null;
}

export interface FoldOutcome {
  fold: Fold;
  negatives: NegativesOutput | null;
  arms: ArmOutcome[];
  retrieval: RetrievalSection[];
  dose: DosePoint[];
}

/** One unit of training work: an arm on a fold at a seed (more seeds per arm can be more units). */
export interface StudyUnit {
  fold: Fold;
  arm: ArmSpec;
  seed: number;
}

/** What every unit of a fold shares: its candidate lists, the evaluation key, the base's test evaluation. */
interface FoldSetup {
  fold: Fold;
  tag: string;
  test: RerankTask | null; // the test queries' candidates (null: no re-ranking protocol)
  validation: RerankTask | null; // the validation queries' candidates (null: none to choose by)
  evalKey: string;
  baseTest: StoredEvaluation | null;
}

export function doseSteps(fractions: readonly number[], steps: number): { fraction: number; step: number }[] {
  return fractions.map((f) => ({ fraction: f, step: Math.max(f > 0 ? 1 : 0, Math.round(f * steps)) }));
}

/** The fold's units of training work, in the order they run. */
export function studyUnits(o: Pick<StudyOptions, 'arms' | 'seed'>, fold: Fold): StudyUnit[] {
  return o.arms.filter((a) => a.kind !== 'base').map((arm) => ({ fold, arm, seed: o.seed }));
}

export async function runFold(
  ctx: StudyContext,
  fold: Fold,
  mine: (ctx: StudyContext, fold: Fold) => Promise<NegativesOutput>,
): Promise<FoldOutcome> {
  const units = studyUnits(ctx.options, fold);
  const negatives = units.length > 0 ? await mine(ctx, fold) : null;
  const setup = await foldSetup(ctx, fold);
  const base: ArmOutcome = {
    arm: ctx.options.arms.find((a) => a.kind === 'base')!,
    record: null,
    modelPath: ctx.options.model,
    dir: null,
  };
  const trained = await trainUnits(ctx, setup, units, negatives);
  const arms = [base, ...trained];
  const dose = setup.baseTest ? trained.flatMap((a) => dosePoints(ctx.options, setup, a)) : [];
  return { fold, negatives, arms, retrieval: await finalSections(ctx, setup, arms), dose };
}

async function foldSetup(ctx: StudyContext, fold: Fold): Promise<FoldSetup> {
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
    ? await ctx.cache.run(`eval.${tag}.rerank.base`, baseRerankKey(fold, o, ctx.metrics, ctx.baseId), () =>
        rerankEvaluation(ctx.base, test, ctx.metrics, 'base'),
      )
    : null;
  const evalKey = evaluationKey(fold, o, ctx.metrics, ctx.baseId);
  return { fold, tag, test, validation, evalKey, baseTest };
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
  run: { negatives: NegativesOutput; signal: AbortSignal | undefined },
): Promise<ArmOutcome> {
  const o = ctx.options;
  const { arm, fold } = unit;
  const triplesFile = checkedTriples(o, unit, run.negatives);
  const dir = join(o.output, 'models', setup.tag, arm.name);
  const bar = ctx.progress(`train ${arm.name} (${fold.name})`, o.steps, 'steps');
  const tArm = performance.now();
  const points = setup.test ? doseSteps(o.dose, o.steps).filter((d) => d.step > 0) : [];
  const record = await trainArm({
    name: `${arm.name} (${fold.name})`,
    dir,
    cfg: armTrainConfig(arm, o.config, { ...o, seed: unit.seed, evalEvery: Math.max(1, Math.round(o.steps / 4)) })!,
    signal: run.signal,
    triples: await readTriples(triplesFile),
    triplesSha256: triplesFile.sha256,
    validationTriples: await readTriples(run.negatives.files[`validation-${arm.negatives!}`]),
    validationEval: validationEvaluator(setup),
    evalKey: setup.evalKey,
    doseSteps: points.map((d) => d.step),
    snapshot: (enc) => rerankEvaluation(enc, setup.test!, ctx.metrics, arm.name),
    onMismatch: o.onMismatch,
    device: ctx.device,
    log: ctx.log,
    onStep: (step, _total, loss) => bar.update(step, `loss ${loss.toFixed(4)}`),
  });
  const seconds = (performance.now() - tArm) / 1000;
  ctx.cache.timings.push({ name: `train.${setup.tag}.${arm.name}`, seconds, cached: record.reused });
  return { arm, record, modelPath: record.modelPath, dir };
}

/** The unit's training triples, at least one batch of them. */
function checkedTriples(o: StudyOptions, unit: StudyUnit, negatives: NegativesOutput) {
  const { arm, fold } = unit;
  const f = negatives.files[`train-${arm.negatives!}`];
  if (f.count >= o.batchSize) return f;
  const hint =
    arm.negatives === 'hard'
      ? ` (hard negatives come from ranks ${HARD.lo}-${HARD.hi} of ${negatives.miningPassages} searched passages; ` +
        'raise --mining-depth or use --mining-pool pool)'
      : '';
  throw new UserError(
    `${arm.name} (${fold.name}): ${f.count} ${arm.negatives} training triples, ` +
      `fewer than one batch of ${o.batchSize}${hint}`,
  );
}

/** Validation nDCG@10 re-ranking the validation queries' candidates (chooses checkpoints; never the test fold). */
function validationEvaluator(setup: FoldSetup): RetrievalEvaluator | undefined {
  const task = setup.validation;
  if (!task || task.set.queries.size === 0) return undefined;
  return async (enc) => means(rerankEvaluation(enc, task, ['nDCG@10'], 'validation'));
}

function dosePoints(o: Pick<StudyOptions, 'dose' | 'steps'>, setup: FoldSetup, a: ArmOutcome): DosePoint[] {
  return doseSteps(o.dose, o.steps).flatMap(({ fraction, step }) => {
    const e = step === 0 ? setup.baseTest : a.record!.dose.find((d) => d.step === step)?.evaluation;
    return e ? [{ fold: setup.fold.name, arm: a.arm.name, fraction, step, metrics: means(e) }] : [];
  });
}

async function finalSections(ctx: StudyContext, setup: FoldSetup, arms: ArmOutcome[]): Promise<RetrievalSection[]> {
  const out: RetrievalSection[] = [];
  if (setup.baseTest) {
    const evals = await Promise.all(
      arms.map(async (a) => (a.record ? finalRerank(ctx, setup, a as TrainedArm & ArmOutcome) : setup.baseTest!)),
    );
    out.push(section(ctx, setup.fold, { protocol: 'rerank', arms, evals }));
  }
  if (ctx.options.protocols.includes('dense')) {
    const evals: StoredEvaluation[] = [];
    for (const a of arms) evals.push(await finalDense(ctx, setup, a));
    out.push(section(ctx, setup.fold, { protocol: 'dense', arms, evals }));
  }
  return out;
}

/** The chosen checkpoint's test evaluation: its dose snapshot when one was taken there, else evaluated now. */
async function finalRerank(ctx: StudyContext, setup: FoldSetup, a: TrainedArm & ArmOutcome): Promise<StoredEvaluation> {
  const r = a.record;
  const at = r.chosen ? r.chosen.step : ctx.options.steps;
  const snap = r.dose.find((d) => d.step === at);
  if (snap) return snap.evaluation;
  return ctx.cache.run(`eval.${setup.tag}.rerank.${a.arm.name}`, finalRerankKey(a), () =>
    withModel(ctx, a.modelPath, (enc) => rerankEvaluation(enc, setup.test!, ctx.metrics, a.arm.name)),
  );
}

async function finalDense(ctx: StudyContext, setup: FoldSetup, a: ArmOutcome): Promise<StoredEvaluation> {
  const { fold } = setup;
  const key = denseKey(fold, a.record, ctx.metrics, ctx.baseId);
  return ctx.cache.run(`eval.${setup.tag}.dense.${a.arm.name}`, key, () =>
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
  const enc = SentenceEncoder.load(spec, { device: ctx.device });
  try {
    return await fn(enc);
  } finally {
    enc.dispose();
  }
}

interface SectionInput {
  protocol: 'rerank' | 'dense';
  arms: ArmOutcome[];
  evals: StoredEvaluation[];
}

function section(ctx: StudyContext, fold: Fold, s: SectionInput): RetrievalSection {
  const o = ctx.options;
  // re-ranking a fixed candidate list cannot change recall at its depth
  const identical =
    s.protocol === 'rerank'
      ? ctx.metrics.filter((m) => /^R(\(.*\))?@(\d+)$/.test(m) && Number(m.split('@')[1]) >= o.rerankDepth)
      : [];
  const names = s.arms.map((a) => a.arm.name);
  const table = compareTable(names, s.evals.map(loadEvaluation), { seed: o.seed, identical });
  const n = fold.test.queries.size;
  const test = fold.testName.toUpperCase();
  const description =
    s.protocol === 'rerank'
      ? `re-ranking BM25's top-${o.rerankDepth} for ${test} (${table.queries} of ${n} queries judged), ` +
        `trained on ${fold.trainName.toUpperCase()}`
      : `dense retrieval over the ${fold.collection.size.toLocaleString('en-US')}-passage collection for ${test} ` +
        `(${table.queries} queries)`;
  return { fold: fold.name, protocol: s.protocol, description, table };
}
