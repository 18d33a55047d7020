// The study's schedule over its folds, phase by phase: each fold's shared stages (negatives,
// the base's evaluations), every fold's sweep values, then every fold's units in one queue,
// longest first; rank 0 then reads each fold back and builds its outcome. Across workers
// (work-units.ts) a phase ends when its last piece does, so a worker idles once a phase, not
// once a fold; one process runs the same phases in order.
import type { SweepRecord } from '../report/schema.ts';
import { SWEEPS, sweepRecord, type Sweep } from './sweeps.ts';
import type { ArmSpec } from './arms.ts';
import { armShape, tripletCost, unitSteps } from './arm-shape.ts';
import type { StudyContext } from './context.ts';
import type { Fold } from './data.ts';
import {
  baseOutcome,
  foldSetup,
  sections,
  studyUnits,
  testEvaluations,
  trainUnit,
  trainUnits,
  unitName,
  type ArmOutcome,
  type FoldOutcome,
  type FoldSetup,
  type StudyUnit,
} from './fold-study.ts';
import { foldTag, seedTriples, type NegativesOutput } from './negatives-stage.ts';
import type { StudyOptions } from './options.ts';
import { keepComputed } from './stage-cache.ts';
import { ONE_PROCESS } from './work-units.ts';

/** A fold made ready for its units: its negatives (null: no trained arm) and its setup. */
interface ReadyFold {
  setup: FoldSetup;
  negatives: NegativesOutput | null;
}

/**
 * Every fold's outcome; null on a worker that is not rank 0. The work runs phase by phase over
 * all folds at once, so that across workers a phase waits for the others once, not once per
 * fold: the folds' negatives and setups (one worker each), every fold's sweep values, then
 * every fold's units, longest first, and the base's evaluations. Rank 0 then reads each fold back
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
    (x) => `${x.r.setup.tag}/${x.sweep.arm}/${x.folder}`,
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
