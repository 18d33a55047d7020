// The study runner: loads the folds, prints the plan with an estimated time, runs each fold
// (negatives, training with dose snapshots, evaluation, statistics), the analysis, and writes
// RUN/results.json (atomically) and the report.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { Interrupted, UserError } from '../errors.ts';
import { loadQueries } from '../data/queries.ts';
import { FTLAB_VERSION } from '../version.ts';
import { engineInfo, engineReport } from '../engine/index.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { modelFingerprint } from '../model/fingerprint.ts';
import { RESULTS_FORMAT, RESULTS_VERSION, type StudyResults } from '../report/schema.ts';
import { writeResults } from '../report/write-results.ts';
import { armRecord, armTrainConfig, LORA_HIGH_LR, RECIPE_L2SP_WEIGHT, RECIPE_PRESERVE_WEIGHT } from './arms.ts';
import { trecDlFold, type Fold } from './data.ts';
import { PAPER_METRICS, QUICK_METRICS } from './evaluation.ts';
import { runFold, type FoldOutcome } from './fold-study.ts';
import { negativesStage, plannedMiningPassages } from './negatives-stage.ts';
import type { StudyOptions } from './options.ts';
import type { CurvesResult } from '../analysis/types.ts';
import { paperFold, paperNegatives } from './paper-data.ts';
import { PAPER_NUMBERS } from './paper-numbers.ts';
import { formatPlan, measureThroughput, planStudy } from './plan.ts';
import { analysisStage } from './analysis-stage.ts';
import { StageCache } from './stage-cache.ts';
import { renderStudyReport } from './report-call.ts';

export async function runStudy(o: StudyOptions): Promise<StudyResults> {
  const startedAt = new Date();
  const t0 = performance.now();
  // validate, then create: data, timing queries, model and output path are checked before the run folder exists
  if (existsSync(o.output) && !statSync(o.output).isDirectory())
    throw new UserError(`--output ${o.output} is a file; give a folder for the run`);
  const tData = performance.now();
  const folds = await loadFolds(o);
  const timingQueries = timingQueriesFile(o);
  if (o.timingQueries > 0 && timingQueries !== null) await loadQueries(timingQueries);
  const dataSeconds = (performance.now() - tData) / 1000;
  const base = SentenceEncoder.load(o.model, { device: o.device });
  const created = !existsSync(o.output);
  try {
    return await studyIn(o, folds, base, { startedAt, t0, dataSeconds });
  } catch (e) {
    // a failure removes the run folder this run created (an interrupted one keeps it, to continue)
    if (created && !(e instanceof Interrupted)) rmSync(o.output, { recursive: true, force: true });
    throw e;
  }
}

async function studyIn(
  o: StudyOptions,
  folds: Fold[],
  base: SentenceEncoder,
  t: { startedAt: Date; t0: number; dataSeconds: number },
): Promise<StudyResults> {
  const { startedAt, t0 } = t;
  mkdirSync(o.output, { recursive: true });
  const cache = new StageCache(o.output, o.log);
  cache.timings.push({ name: 'data', seconds: t.dataSeconds, cached: false });
  const baseId = modelFingerprint(base);
  const metrics = o.preset === 'paper' ? PAPER_METRICS : QUICK_METRICS;
  const rate = measureThroughput(base, folds[0]!.collection);
  const mining = o.preset === 'paper' ? folds[0]!.collection.size : plannedMiningPassages(folds[0]!, o);
  for (const line of formatPlan(planStudy(folds, o, rate, mining), rate, o)) o.log(line);
  for (const f of folds)
    o.log(
      `fold ${f.name}: ${f.training.queries.size} training queries, ${f.validation.queries.size} validation queries (held out by query), ${f.test.queries.size} test queries; ${f.excluded.size} passages never used in training`,
    );

  const outcomes: FoldOutcome[] = [];
  try {
    for (const fold of folds) {
      const mine =
        o.preset === 'paper'
          ? () => paperNegatives(fold, o.data, base, baseId, o, cache)
          : () => negativesStage(fold, base, baseId, o, cache);
      outcomes.push(await runFold(fold, base, mine, o, cache, metrics, baseId));
    }
  } finally {
    base.dispose();
  }
  const tAnalysis = performance.now();
  const analysis = await analysisStage(outcomes, o, timingQueriesFile(o));
  cache.timings.push({ name: 'analysis', seconds: (performance.now() - tAnalysis) / 1000, cached: false });

  const results: StudyResults = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    config: {
      preset: o.preset,
      config: o.config,
      seed: o.seed,
      folds: folds.map((f) => ({ name: f.name, train: f.trainName, test: f.testName })),
      validationFraction: o.validationFraction,
      arms: o.arms.map((a) =>
        armRecord(
          a,
          o.config,
          armTrainConfig(a, o.config, {
            steps: o.steps,
            batchSize: o.batchSize,
            seed: o.seed,
            model: o.model,
            warmup: o.warmup,
            evalEvery: Math.max(1, Math.round(o.steps / 4)),
          }),
          outcomes[0]!.arms.find((x) => x.arm.name === a.name)?.record
            ? outcomes[0]!.arms.find((x) => x.arm.name === a.name)!.modelPath
            : null,
        ),
      ),
      protocols: o.protocols,
      metrics,
      data: folds.flatMap((f) => f.files),
      notes: [...notes(o, outcomes), ...lossTrends(analysis.curves)],
      paper: { ...PAPER_NUMBERS },
    },
    retrieval: outcomes.flatMap((f) => f.retrieval),
    dose: outcomes.flatMap((f) => f.dose),
    verdicts: [],
    design: null,
    negatives: [],
    sweeps: [],
    timing: analysis.timing,
    training: analysis.training,
    geometry: analysis.geometry,
    curves: analysis.curves,
    environment: {
      ftlab: FTLAB_VERSION,
      node: process.version,
      torch: engineInfo().torch,
      blas: engineReport().blas.split(' (')[0]!,
      threads: engineInfo().threads,
      device: o.device ?? 'cpu',
      cpus: cpus().length,
      os: `${platform()} ${release()}`,
      startedAt: startedAt.toISOString(),
      wallSeconds: (performance.now() - t0) / 1000,
      stages: cache.timings,
    },
  };
  const path = writeResults(o.output, results);
  o.log(`study: wrote ${path} (${results.environment.wallSeconds.toFixed(0)} s)`);
  const report = await renderStudyReport(o.output);
  o.log(`study: wrote ${report.html} and ${report.markdown}`);
  return results;
}

/** Does each arm's training loss fall? Mean of the first vs the last quarter of its steps. */
function lossTrends(curves: CurvesResult | null): string[] {
  return (curves?.series ?? []).map((c) => {
    const q = Math.max(1, Math.floor(c.loss.length / 4));
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = avg(c.loss.slice(0, q));
    const last = avg(c.loss.slice(-q));
    return `${c.model}: training loss ${first.toFixed(4)} (first quarter of steps) -> ${last.toFixed(4)} (last quarter), ${last < first ? 'falls' : 'does not fall'} by ${((100 * (first - last)) / first).toFixed(1)}%.`;
  });
}

async function loadFolds(o: StudyOptions): Promise<Fold[]> {
  if (o.preset === 'paper') return [await paperFold(o.data, o)];
  const first = await trecDlFold({
    dataDir: o.data,
    train: 'dl20',
    test: 'dl19',
    validationFraction: o.validationFraction,
    seed: o.seed,
  });
  if (o.folds === 'one') return [first];
  return [
    first,
    await trecDlFold({
      dataDir: o.data,
      train: 'dl19',
      test: 'dl20',
      validationFraction: o.validationFraction,
      seed: o.seed,
      collection: first.collection,
    }),
  ];
}

function timingQueriesFile(o: StudyOptions): string | null {
  return o.preset === 'paper'
    ? join(o.data, 'queries.dev.small.tsv')
    : join(o.data, 'dev-small', 'queries.dev.small.tsv');
}

/** Choices a reader must know, with the numbers that back them. */
function notes(o: StudyOptions, folds: FoldOutcome[]): string[] {
  const out: string[] = [];
  out.push(
    `Triplet arms use the ${o.config} configuration${o.config === 'paper-run' ? " (euclidean distance, margin 5, unnormalised output: what the paper's code ran)" : " (cosine distance, margin 0.2, normalised: what the paper's text states)"}; every model is scored by cosine similarity (the paper's eq. 2).`,
  );
  out.push(
    `Checkpoints are chosen by validation nDCG@10 (re-ranking the validation queries' BM25 top-${o.validationDepth}), evaluated at every quarter of training; the test fold is never used for a choice.`,
  );
  out.push(
    `Dose-response: each arm is re-ranking-evaluated on the test fold at ${o.dose.map((d) => `${d * 100}%`).join(', ')} of its ${o.steps} steps; at 0% every arm is the base model (LoRA's B starts at zero), so the base's evaluation stands for it.`,
  );
  out.push(
    `LoRA is trained at the paper's lr 2e-5 and at ${LORA_HIGH_LR} (arm lora-hard-lr1e-3), where it visibly trains.`,
  );
  if (o.arms.some((a) => a.name === 'recipe'))
    out.push(
      `recipe: full fine-tuning with MNRL (scale 20, in-batch negatives plus the mined hard negative) and a preservation penalty ${RECIPE_PRESERVE_WEIGHT} x mean(1 - cos) between the model's and the frozen base's embeddings of the batch's texts.`,
    );
  if (o.arms.some((a) => a.name === 'recipe-l2sp'))
    out.push(
      `recipe-l2sp: the recipe with an L2-SP anchor instead, ${RECIPE_L2SP_WEIGHT} x sum of squared differences between the model's weights and the base's.`,
    );
  out.push(
    `Hard negatives: the base model's top-200 over ${o.miningPool === 'pool' ? 'the training part of the pool' : `the training queries' own candidates (BM25 top-${o.miningDepth}) and the positives`}, ranks 51-200, judged-relevant excluded, false-negative guard ${o.guardMargin === null ? 'off' : `on (a candidate scoring above the positive minus ${o.guardMargin} is dropped)`}.`,
  );
  for (const f of folds) {
    const s = f.negatives?.stats;
    if (s)
      out.push(
        `${f.fold.name}: ${s.random.triples} random and ${s.hard.triples} hard training triples; the guard dropped ${s.hard.guardDropped} hard candidates; ${s.hard.positivesExcluded} positives and ${s.random.excludedDropped + s.hard.excludedDropped} candidates dropped because a test or validation query touches them.`,
      );
    for (const a of f.arms) {
      const r = a.record;
      if (!r) continue;
      out.push(
        `${f.fold.name} ${a.arm.name}: ${r.chosen ? `chose step ${r.chosen.step} (${r.chosen.metric} ${r.chosen.value.toFixed(4)} on validation)` : 'final step'}; trained in ${r.trainSeconds.toFixed(0)} s.`,
      );
    }
  }
  if (o.preset === 'paper')
    out.push(
      'Paper preset: dense retrieval over the whole collection on dev small; no dose-response (each point would re-encode the corpus) and checkpoints chosen by validation triplet accuracy (no candidate lists to re-rank).',
    );
  if (!o.protocols.includes('dense'))
    out.push(
      "Dense retrieval over the pool was not run (--protocol rerank): it re-encodes the whole pool per model, beyond the quick preset's time budget.",
    );
  if (o.timingQueries > 0)
    out.push(
      `Timing searches ${o.timingQueries} dev-small queries against random vectors of the test pool's size (search cost does not depend on the values).`,
    );
  return out;
}
