// The study runner: builds the study's context once, loads the dataset's folds, prints the
// plan with an estimated time, runs the folds' work phase by phase (study-schedule.ts: negatives,
// sweeps, training with dose snapshots, evaluation, statistics), the analysis, and writes
// RUN/results.json (atomically) and the report.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { loadQueries } from '../data/queries.ts';
import { Interrupted, UserError } from '../errors.ts';
import { cpus, platform, release } from 'node:os';
import { engineInfo, engineReport, pathLine, world } from '../engine/index.ts';
import { RESULTS_FORMAT, RESULTS_VERSION, type StudyResults } from '../report/schema.ts';
import { writeResults } from '../report/write-results.ts';
import { FTLAB_VERSION } from '../version.ts';
import { analysisStage, type AnalysisOutput } from './analysis-stage.ts';
import { armRecord, armTrainConfig, loraRecord, type ArmSpec } from './arms.ts';
import { armShape } from './arm-shape.ts';
import { closeContext, openContext, type StudyContext } from './context.ts';
import type { Fold } from './data.ts';
import type { StudyDataset } from './dataset.ts';
import type { FoldOutcome } from './fold-study.ts';
import { runFolds } from './study-schedule.ts';
import { studyNotes } from './notes.ts';
import type { StudyOptions } from './options.ts';
import { PAPER_NUMBERS } from './paper-numbers.ts';
import { formatPlan, measureThroughput, planStudy } from './plan.ts';
import { PRESETS } from './presets.ts';
import { dosePoints, PRIMARY_METRIC, verdictRows } from './verdicts.ts';
import { formatDesign, studyDesign } from './design.ts';
import { sweptLabel } from './sweeps.ts';
import { renderStudyReport } from './report-call.ts';
import type { StageTiming } from './stage-cache.ts';
import { ONE_PROCESS } from './work-units.ts';

/**
 * Validate, then create: the data, the timing queries, the model and the output path are
 * checked before the run folder exists; a failure removes the folder this run created (an
 * interrupted run keeps it, to continue; an earlier run's folder is never removed).
 */
export async function runStudy(
  o: StudyOptions,
  dataset: StudyDataset = PRESETS[o.preset],
): Promise<StudyResults | null> {
  const startedAt = new Date();
  const t0 = performance.now();
  if (existsSync(o.output) && !statSync(o.output).isDirectory())
    throw new UserError(`--output ${o.output} is a file; give a folder for the run`);
  const tData = performance.now();
  const folds = await dataset.loadFolds(o);
  const timingQueries = dataset.timingQueries(o.data);
  if (o.timingQueries > 0 && timingQueries !== null) await loadQueries(timingQueries);
  const dataSeconds = (performance.now() - tData) / 1000;
  checkDataParallel(o, world().size);
  const ctx = openContext(o, dataset.metrics, world()); // across workers when in a process group (work-units.ts)
  // across workers, a failure keeps the folder: the units finished there are reused by a rerun
  const created = ctx.work === ONE_PROCESS && !existsSync(o.output);
  try {
    mkdirSync(o.output, { recursive: true });
    ctx.cache.timings.push({ name: 'data', seconds: dataSeconds, cached: false });
    return await ctx.work.run(() => studyIn(ctx, dataset, folds, { startedAt, t0 }));
  } catch (e) {
    if (created && !(e instanceof Interrupted)) rmSync(o.output, { recursive: true, force: true });
    throw e;
  }
}

/** `--parallel data`: every trained arm's batch splits evenly over the workers (checked before any work). */
function checkDataParallel(o: StudyOptions, workers: number): void {
  if (o.parallel !== 'data' || workers === 1) return;
  for (const arm of o.arms.filter((a) => a.kind !== 'base')) {
    const { batchSize } = armShape(o, arm);
    if (batchSize % workers !== 0)
      throw new UserError(
        `--parallel data: ${arm.name}'s batch of ${batchSize} does not split evenly over ${workers} workers`,
      );
  }
}

async function studyIn(
  ctx: StudyContext,
  dataset: StudyDataset,
  folds: Fold[],
  t: { startedAt: Date; t0: number },
): Promise<StudyResults | null> {
  const o = ctx.options;
  const { startedAt, t0 } = t;
  let outcomes: FoldOutcome[] | null;
  try {
    if (ctx.work.lead) printPlan(ctx, dataset, folds, ctx.work.size);
    outcomes = await runFolds(ctx, folds, dataset.negatives);
  } finally {
    closeContext(ctx);
  }
  // a worker other than rank 0 writes nothing more: it waits for rank 0's results
  if (outcomes === null) return ctx.work.finish().then(() => null);
  const tAnalysis = performance.now();
  const analysis = await analysisStage(outcomes, o, dataset.timingQueries(o.data));
  ctx.cache.timings.push({ name: 'analysis', seconds: (performance.now() - tAnalysis) / 1000, cached: false });
  const results: StudyResults = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    config: studyConfig(ctx, { dataset, folds, outcomes, analysis }),
    retrieval: outcomes.flatMap((f) => f.retrieval),
    dose: dosePoints(outcomes, o),
    verdicts: verdictRows(outcomes, o),
    design: studyDesign(o, folds),
    negatives: outcomes.flatMap((f) => f.negatives?.profiles ?? []),
    sweeps: outcomes.flatMap((f) => f.sweeps),
    timing: analysis.timing,
    training: analysis.training,
    geometry: analysis.geometry,
    curves: analysis.curves,
    environment: environment(o, { startedAt, t0, stages: ctx.cache.timings, workers: ctx.work.size }),
  };
  const path = writeResults(o.output, results);
  o.log(`study: wrote ${path} (${results.environment.wallSeconds.toFixed(0)} s)`);
  const report = await renderStudyReport(o.output);
  o.log(`study: wrote ${report.html} and ${report.markdown}`);
  await ctx.work.finish();
  return results;
}

/** `ftlab study --plan`: loads the folds and the base model, prints the plan with its projected time, runs nothing. */
export async function studyPlan(o: StudyOptions, dataset: StudyDataset = PRESETS[o.preset]): Promise<void> {
  if (world().rank !== 0) return; // across workers, rank 0 prints it
  const folds = await dataset.loadFolds(o);
  const ctx = openContext(o, dataset.metrics);
  try {
    printPlan(ctx, dataset, folds, world().size); // under a launcher: projected across its workers
  } finally {
    closeContext(ctx);
  }
}

/** The plan with its time estimated from throughput measured now (and across `workers`), and each fold's sizes. */
function printPlan(ctx: StudyContext, dataset: StudyDataset, folds: Fold[], workers: number): void {
  const o = ctx.options;
  const fp32 = measureThroughput(ctx.base, folds[0]!.collection);
  const t =
    ctx.evalBase === ctx.base
      ? fp32
      : { ...fp32, evaluation: measureThroughput(ctx.evalBase, folds[0]!.collection).passagesPerSecond };
  ctx.log(precisionLine(o.precision));
  ctx.log(`engine: ${pathLine()}`);
  const mining = dataset.miningPassages(folds[0]!, o);
  const work = { miningPassages: mining, triples: (f: Fold) => dataset.plannedTriples(f, o) };
  for (const line of formatPlan(planStudy(folds, o, t, work), t, o, workers)) ctx.log(line);
  for (const line of formatDesign(studyDesign(o, folds))) ctx.log(line);
  for (const f of folds)
    ctx.log(
      `fold ${f.name}: ${f.training.queries.size} training queries, ${f.validation.queries.size} validation queries ` +
        `(held out by query), ${f.test.queries.size} test queries; ${f.excluded.size} passages never used in training`,
    );
}

/** What --precision covers, as the plan and the report say it. */
export function precisionLine(precision: StudyOptions['precision']): string {
  return (
    `precision: ${precision} for every evaluation encode (test re-ranking and dense retrieval of the base and ` +
    'the arms, the last dose point, timing, geometry); training, its validation, its dose snapshots and the ' +
    'mining of training negatives run in fp32 (shared between precisions)'
  );
}

interface StudyRun {
  dataset: StudyDataset;
  folds: Fold[];
  outcomes: FoldOutcome[];
  analysis: AnalysisOutput;
}

function studyConfig(ctx: StudyContext, r: StudyRun): StudyResults['config'] {
  const o = ctx.options;
  const shape = { ...o, evalEvery: Math.max(1, Math.round(o.steps / 4)) };
  const trained = (name: string) => r.outcomes[0]!.arms.find((x) => x.arm.name === name && x.record);
  // an arm's configuration as its first unit trained it (with epochs, its steps follow its triples)
  const config = (a: ArmSpec) =>
    trained(a.name)?.record?.config ?? armTrainConfig(a, o.config, { ...shape, ...armShape(o, a) });
  return {
    // results.json's preset names the data protocol: standard is the quick preset's data (a note says so)
    preset: r.dataset.name,
    config: o.config,
    seed: o.seed,
    seeds: Array.from({ length: o.seeds }, (_, k) => o.seed + k),
    equivalenceMargin: o.equivalenceMargin,
    alpha: o.alpha,
    primaryMetric: PRIMARY_METRIC,
    precision: o.precision,
    folds: r.folds.map((f) => ({ name: f.name, train: f.trainName, test: f.testName })),
    validationFraction: o.validationFraction,
    // a swept arm's lr is the sweep's choice (its trained configuration)
    arms: o.arms.map((a) => {
      const cfg = config(a);
      const swept = trained(a.name)?.arm ?? a; // with the sweep's choice
      const record = armRecord(swept, o.config, cfg, trained(a.name)?.modelPath ?? null);
      return { ...record, lr: cfg?.lr ?? a.lr, label: sweptLabel(r.outcomes, a, o.config) };
    }),
    protocols: o.protocols,
    metrics: [...ctx.metrics],
    data: r.folds.flatMap((f) => f.files),
    notes: studyNotes(o, { dataset: r.dataset, folds: r.outcomes, curves: r.analysis.curves }),
    paper: { ...PAPER_NUMBERS },
    lora: loraRecord(ctx.base.bert.config, o.arms),
  };
}

function environment(
  o: Pick<StudyOptions, 'device' | 'parallel'>,
  run: { startedAt: Date; t0: number; stages: StageTiming[]; workers: number },
): StudyResults['environment'] {
  const count = run.workers;
  return {
    ftlab: FTLAB_VERSION,
    node: process.version,
    torch: engineInfo().torch,
    blas: engineReport().blas.split(' (')[0]!,
    threads: engineInfo().threads,
    device: o.device ?? 'cpu',
    cpus: cpus().length,
    os: `${platform()} ${release()}`,
    startedAt: run.startedAt.toISOString(),
    wallSeconds: (performance.now() - run.t0) / 1000,
    paths: pathLine(),
    ...(count > 1 ? { workers: { count, parallel: o.parallel ?? 'units' } } : {}),
    stages: run.stages,
  };
}
