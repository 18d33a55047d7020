// The training loop: optimizer steps (train-step.ts) with a linear warm-up/decay schedule,
// held-out evaluation, checkpoints by steps and by wall time, and exact resume (same seed:
// the resumed loss curve equals the uninterrupted one).
//
// Checkpoint choice: a run that evaluates at all evaluates the model as loaded (step 0) too,
// and DIR/best holds the evaluated step chosen by checkpoint-choice.ts (ties to the earlier
// step, so the base wins a tie); the final model's evaluation is reported beside it.
//
// Reproducibility: the data order of epoch e is a shuffle seeded by (seed, e), so a
// position (step) fixes the batch; dropout draws from libtorch's generator, whose state is
// in every checkpoint along with the parameters, AdamW's moments and the step.
//
// Data-parallel (the process group of engine/distributed.ts): every rank runs this loop on
// its slice of each batch (train-step.ts); rank 0 alone decides the output folder's plan
// (shared through the store), writes the log, checkpoints and models. The world size is part
// of the run's identity: a resume on another refuses unless allowConfigChange.
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, world, type Tensor, type World } from '../engine/index.ts';
import { TrainingInterrupted, UserError } from '../errors.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { saveModelFolder } from '../model/save-model.ts';
import { Lora, countParameters } from '../model/lora.ts';
import { AdamW } from './adamw.ts';
import { warmupSteps } from './lr-schedule.ts';
import { tripletAccuracy } from './triplet-accuracy.ts';
import { batchPlan } from './batch-order.ts';
import { noDuplicateBatchPlan, tripleItems } from './no-duplicate-batches.ts';
import { checkpointRoot, restoreCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { chooseCheckpoint, type StepScore } from './checkpoint-choice.ts';
import { loggedEvals } from './logged-evals.ts';
import { checkTrainConfig } from './config-guards.ts';
import { assertFinite, weightSum } from './divergence.ts';
import { planOutput, truncateLog, type OutputPlan } from './output-folder.ts';
import { trainStep, type StepContext } from './train-step.ts';
import { trainingRecord, type TrainingRecord } from './training-identity.ts';
import type {
  Best,
  ChosenCheckpoint,
  ConfigChangeLog,
  EvalLog,
  StepLog,
  TrainConfig,
  TrainerOptions,
  TrainResult,
} from './train-config.ts';

export type {
  TrainConfig,
  StepLog,
  EvalLog,
  RetrievalEvaluator,
  TrainerOptions,
  TrainResult,
  Regulariser,
} from './train-config.ts';
export { latestCheckpoint } from './checkpoint.ts';

export const DEFAULT_SAVE_EVERY_MINUTES = 10;

/** Everything one run shares between its steps, evaluations and checkpoints. */
interface Run extends StepContext {
  evalSet: TextTriple[];
  opts: TrainerOptions;
  lora: Lora | null;
  record: TrainingRecord;
  trainable: number;
  total: number;
  state: { step: number; best: Best | null; savedAt: number };
  stepLogs: StepLog[];
  evalLogs: EvalLog[]; // every evaluation of the run, those before a resume included
  log(entry: StepLog | EvalLog | ConfigChangeLog): void;
}

export async function train(
  encoder: SentenceEncoder,
  trainSet: TextTriple[],
  evalSet: TextTriple[],
  cfg: TrainConfig,
  opts: TrainerOptions,
): Promise<TrainResult> {
  checkTrainConfig(cfg, { maxPositions: encoder.bert.config.maxPositions });
  if (trainSet.length === 0) throw new UserError('no training triples');
  if (trainSet.length < cfg.batchSize)
    throw new UserError(`${trainSet.length} training triples are fewer than one batch of ${cfg.batchSize}`);
  const w = world();
  if (cfg.batchSize % w.size !== 0)
    throw new UserError(`batch ${cfg.batchSize} does not split evenly over ${w.size} ranks`);
  // recorded only past one process, so a single-process run's record and model folder stay as they were
  const run = setUp(encoder, trainSet, evalSet, w.size > 1 ? { ...cfg, worldSize: w.size } : cfg, opts, w);
  const plan = sharedPlan(run);
  if (plan.kind === 'finished') return finishedResult(run, plan.step);
  if (plan.kind === 'resume') resumeFrom(run, plan.checkpoint, plan.differences);
  await loop(run);
  if (run.state.step === run.totalSteps) finish(run);
  return result(run, run.state.step);
}

/** How many runs this process has planned across ranks: every rank trains the same runs in the same order. */
let sharedPlans = 0;

/**
 * Rank 0 plans the output folder (and prepares it); the other ranks take its plan. The n-th run
 * of each rank shares its key with the others' n-th (a study trains several in one process).
 */
function sharedPlan(run: Run): OutputPlan {
  const w = run.world;
  if (w.size === 1) return planOutput(run.record, run.opts);
  const key = `ftlab/train/plan#${sharedPlans++}`;
  if (w.rank !== 0) {
    const got = JSON.parse(w.store.get(key)) as OutputPlan | { kind: 'error'; message: string };
    if (got.kind === 'error') throw new UserError(got.message);
    return got;
  }
  try {
    const plan = planOutput(run.record, run.opts);
    w.store.set(key, JSON.stringify(plan));
    return plan;
  } catch (e) {
    w.store.set(key, JSON.stringify({ kind: 'error', message: (e as Error).message }));
    throw e;
  }
}

function setUp(
  encoder: SentenceEncoder,
  trainSet: TextTriple[],
  evalSet: TextTriple[],
  cfg: TrainConfig,
  opts: TrainerOptions,
  w: World,
): Run {
  if (Boolean(cfg.regulariser) !== Boolean(opts.regulariser))
    throw new Error('cfg.regulariser and opts.regulariser go together');
  encoder.info.normalize = cfg.normalize;
  manualSeed(cfg.seed);
  const bert = encoder.bert;
  const lora = cfg.lora ? Lora.create(bert, cfg.lora) : null;
  const params: Map<string, Tensor> = lora ? lora.parameters() : bert.params;
  for (const p of bert.params.values()) p.setRequiresGrad(!lora);
  const plan =
    cfg.batchSampler === 'no-duplicates'
      ? noDuplicateBatchPlan(
          tripleItems(trainSet),
          cfg.batchSize,
          cfg.gradAccumulation,
          cfg.seed,
          cfg.epochs,
          cfg.maxSteps ? cfg.maxSteps * cfg.gradAccumulation : undefined,
        )
      : batchPlan(trainSet.length, cfg.batchSize, cfg.gradAccumulation, cfg.seed);
  if (plan.stepsPerEpoch < 1)
    throw new UserError(
      `batch ${cfg.batchSize} x accumulation ${cfg.gradAccumulation} exceeds the ${trainSet.length} training triples`,
    );
  const totalSteps = cfg.maxSteps ?? cfg.epochs * plan.stepsPerEpoch;
  const logPath = join(opts.output, 'log.jsonl');
  return {
    encoder,
    trainSet,
    evalSet,
    cfg,
    opts,
    plan,
    params,
    lora,
    totalSteps,
    regulariser: opts.regulariser,
    world: w,
    opt: new AdamW(params, { lr: cfg.lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: cfg.weightDecay }),
    warmup: warmupSteps(cfg.warmup, totalSteps),
    ckptRoot: checkpointRoot(opts.output),
    record: trainingRecord(cfg, trainSet),
    trainable: countParameters(params.values()),
    total: countParameters(bert.params.values()) + (lora ? countParameters(params.values()) : 0),
    state: { step: 0, best: null, savedAt: now(opts) },
    stepLogs: [],
    evalLogs: [],
    log: (entry) => {
      if (w.rank === 0) appendFileSync(logPath, `${JSON.stringify(entry)}\n`);
    },
  };
}

function now(opts: TrainerOptions): number {
  return opts.clock ? opts.clock() : performance.now();
}

/** The step the model in a best/ folder was saved at (its ftlab.json), or null. */
function readBestStep(dir: string): number | null {
  try {
    const info = JSON.parse(readFileSync(join(dir, 'ftlab.json'), 'utf8')) as { training?: { step?: number } };
    return info.training?.step ?? null;
  } catch {
    return null;
  }
}

function resumeFrom(run: Run, checkpoint: string, differences: string[]): void {
  const meta = restoreCheckpoint(checkpoint, run.params, run.opt);
  run.state.step = meta.step;
  run.state.best = meta.best;
  if (run.world.rank !== 0) return; // the folder is rank 0's
  // a best/ saved after this checkpoint (the killed run got further) describes no step of the
  // resumed run: drop it; the replay saves it again when it beats the checkpoint's best
  if (meta.best === null || readBestStep(join(run.opts.output, 'best')) !== meta.best.step)
    rmSync(join(run.opts.output, 'best'), { recursive: true, force: true });
  truncateLog(join(run.opts.output, 'log.jsonl'), meta.step);
  run.evalLogs = loggedEvals(join(run.opts.output, 'log.jsonl')); // step 0's among them: not evaluated again
  if (differences.length > 0) run.log({ type: 'config-change', step: meta.step, differences });
}

async function loop(run: Run): Promise<void> {
  const { opts, state, encoder } = run;
  const stopAt = opts.stopAfter !== undefined ? Math.min(run.totalSteps, state.step + opts.stopAfter) : run.totalSteps;
  if (state.step === 0) {
    // after a resume, the resumed step's evaluation and snapshot were taken
    await inEvalMode(run, () => evaluate(run)); // the model as loaded: a candidate for best/
    await snapshot(run);
  }
  encoder.bert.training = true;
  let saved: string | null = null;
  try {
    while (state.step < stopAt) {
      const entry = trainStep(run, state.step);
      state.step = entry.step;
      run.stepLogs.push(entry);
      run.log(entry);
      opts.onStep?.(entry, run.totalSteps);
      const end = state.step === run.totalSteps;
      if ((run.cfg.evalEvery > 0 && state.step % run.cfg.evalEvery === 0) || end)
        await inEvalMode(run, () => evaluate(run));
      await snapshot(run);
      await yieldToEventLoop(); // signal handlers (Ctrl-C) run only between macrotasks
      if (dueForCheckpoint(run, end)) saved = checkpoint(run);
      if (opts.signal?.aborted && !end) interrupt(run, saved!);
    }
  } finally {
    encoder.bert.training = false;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function inEvalMode(run: Run, fn: () => Promise<void>): Promise<void> {
  const was = run.encoder.bert.training;
  run.encoder.bert.training = false;
  try {
    await fn();
  } finally {
    run.encoder.bert.training = was;
  }
}

async function snapshot(run: Run): Promise<void> {
  const s = run.opts.snapshots;
  if (s?.steps.includes(run.state.step)) await inEvalMode(run, () => s.take(run.encoder, run.state.step));
}

function dueForCheckpoint(run: Run, end: boolean): boolean {
  const { cfg, state } = run;
  const minutes = cfg.saveEveryMinutes ?? DEFAULT_SAVE_EVERY_MINUTES;
  const byTime = minutes > 0 && now(run.opts) - state.savedAt >= minutes * 60_000;
  if (end) return cfg.keepOptimizerState === true; // else the model folder follows at once
  return byTime || (cfg.saveEvery > 0 && state.step % cfg.saveEvery === 0) || run.opts.signal?.aborted === true;
}

function checkpoint(run: Run): string {
  const { state } = run;
  if (run.world.rank !== 0) {
    state.savedAt = now(run.opts);
    return join(run.ckptRoot, '(rank 0)');
  }
  const dir = writeCheckpoint(
    run.ckptRoot,
    run.params,
    run.opt,
    { step: state.step, best: state.best, record: run.record },
    run.cfg.keepCheckpoints,
  );
  state.savedAt = now(run.opts);
  return dir;
}

function interrupt(run: Run, dir: string): never {
  throw new TrainingInterrupted(run.state.step, run.totalSteps, dir);
}

async function evaluate(run: Run): Promise<void> {
  const { evalSet, opts, state, encoder, cfg } = run;
  if (evalSet.length === 0 && !opts.retrievalEval) return;
  const entry: EvalLog = {
    type: 'eval',
    step: state.step,
    tripletAccuracy: NaN,
    evalLoss: NaN,
    evalTriples: evalSet.length,
    evalQueries: new Set(evalSet.map((t) => t.query)).size,
  };
  if (evalSet.length > 0) {
    Object.assign(entry, tripletAccuracy(encoder, evalSet, cfg));
    assertFinite(entry.evalLoss, 'evaluation loss', state.step, run.ckptRoot);
  }
  if (opts.retrievalEval) Object.assign(entry, await opts.retrievalEval(encoder, state.step));
  run.evalLogs.push(entry);
  state.best = choose(run.evalLogs, opts.bestMetric);
  if (state.best.step === state.step) saveModel(run, join(opts.output, 'best'));
  run.log(entry);
  opts.onEval?.(entry);
}

/** The metric `best` is chosen by: the option, else the retrieval evaluator's first, else triplet accuracy. */
function bestMetricOf(entry: EvalLog, bestMetric: string | undefined): string {
  return (
    bestMetric ??
    Object.keys(entry).find(
      (k) => !['type', 'step', 'tripletAccuracy', 'evalLoss', 'evalTriples', 'evalQueries'].includes(k),
    ) ??
    'tripletAccuracy'
  );
}

/** checkpoint-choice.ts's rule over every evaluated step (ties to the earlier step). */
function choose(evals: readonly EvalLog[], bestMetric: string | undefined): Best {
  const metric = bestMetricOf(evals[0]!, bestMetric);
  const scores: StepScore[] = evals.map((e) => {
    const value = e[metric];
    if (typeof value !== 'number')
      throw new UserError(`--best-metric ${metric}: not computed (have ${Object.keys(e).join(', ')})`);
    return { step: e.step, score: value };
  });
  // a run resumed from a checkpoint written before step 0 was evaluated has no base score:
  // the same rule among the steps it has (the first highest)
  const c = scores.some((s) => s.step === 0)
    ? chooseCheckpoint(scores)
    : scores.reduce((b, e) => (e.score > b.score ? e : b));
  return { metric, value: c.score, step: c.step };
}

function saveModel(run: Run, dir: string, outcome: { chosen?: Best | null; final?: EvalLog | null } = {}): void {
  const { cfg, state, record } = run;
  assertFinite(weightSum(run.params.values()), 'the sum of the weights', state.step, run.ckptRoot);
  if (run.world.rank !== 0) return;
  const training = {
    ...cfg,
    step: state.step,
    trainable: run.trainable,
    total: run.total,
    triplesSha256: record.triplesSha256,
    triples: record.triples,
    ...outcome, // the final folder records the chosen checkpoint and the final evaluation
  };
  saveModelFolder(dir, run.encoder, { lora: run.lora ?? undefined, base: cfg.model, training });
}

/** The final model folder; the optimizer state goes unless asked to stay. */
function finish(run: Run): void {
  saveModel(run, run.opts.output, { chosen: run.state.best, final: finalEval(run, run.state.step) });
  if (!run.cfg.keepOptimizerState && run.world.rank === 0) rmSync(run.ckptRoot, { recursive: true, force: true });
}

/** A folder that already holds this run's finished model: its choice, from its log. */
function finishedResult(run: Run, steps: number): TrainResult {
  run.evalLogs = loggedEvals(join(run.opts.output, 'log.jsonl'));
  run.state.best = run.evalLogs.length > 0 ? choose(run.evalLogs, run.opts.bestMetric) : null;
  return result(run, steps);
}

function finalEval(run: Run, steps: number): EvalLog | null {
  return steps === run.totalSteps ? (run.evalLogs.find((e) => e.step === steps) ?? null) : null;
}

function result(run: Run, steps: number): TrainResult {
  const best = run.state.best;
  const entry = best ? run.evalLogs.find((e) => e.step === best.step) : undefined;
  const chosen: ChosenCheckpoint | null = best && entry ? { ...best, base: best.step === 0, entry } : null;
  return {
    steps,
    trainable: run.trainable,
    total: run.total,
    best,
    chosen,
    final: finalEval(run, steps),
    stepLogs: run.stepLogs,
    evalLogs: run.evalLogs,
  };
}
