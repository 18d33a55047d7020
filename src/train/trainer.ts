// The training loop: triplets -> three encoder passes -> loss -> backward -> clip -> AdamW,
// with a linear warm-up/decay schedule, held-out evaluation, atomic checkpoints and exact
// resume (same seed: the resumed loss curve equals the uninterrupted one).
//
// Reproducibility: the data order of epoch e is a shuffle seeded by (seed, e), so a
// position (step) fixes the batch; dropout draws from libtorch's generator, whose state is
// in every checkpoint along with the parameters, AdamW's moments and the step.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { getRngState, manualSeed, noGrad, setRngState, tidy, type Tensor } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { Random } from '../data/random.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { saveModelFolder } from '../model/save-model.ts';
import { AdamW, clipGradNorm } from './adamw.ts';
import { linearWarmupDecay, warmupSteps } from './lr-schedule.ts';
import { Lora, countParameters, type LoraConfig } from '../model/lora.ts';
import { tripletLoss } from './losses/triplet-loss.ts';
import { mnrlLoss } from './losses/mnrl.ts';
import type { Distance } from './losses/distance.ts';
import { tripletAccuracy } from './triplet-accuracy.ts';

export interface TrainConfig {
  model: string; // the model spec it started from
  loss: 'triplet' | 'mnrl';
  distance: Distance;
  margin: number;
  mnrlScale: number;
  normalize: boolean;
  batchSize: number; // triplets per micro-batch
  gradAccumulation: number;
  lr: number;
  warmup: number; // steps (>= 1) or ratio (< 1)
  epochs: number;
  maxSteps: number | null;
  weightDecay: number;
  maxGradNorm: number;
  lora: LoraConfig | null;
  seed: number;
  evalEvery: number; // optimizer steps; 0 = only at the end
  saveEvery: number; // optimizer steps; 0 = only at the end
  keepCheckpoints: number;
  /** Recorded description of an added regulariser (its function is TrainerOptions.regulariser). */
  regulariser?: { kind: string; weight: number; reference: string } | null;
}

export interface StepLog {
  type: 'step';
  step: number; // optimizer steps done
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  rssMiB: number;
}

export interface EvalLog {
  type: 'eval';
  step: number;
  tripletAccuracy: number;
  evalLoss: number;
  [metric: string]: number | string;
}

/** A retrieval metric computed on an eval set: returns {metricName: value}. */
export type RetrievalEvaluator = (encoder: SentenceEncoder) => Promise<Record<string, number>>;

export interface TrainerOptions {
  output: string;
  resume: boolean;
  retrievalEval?: RetrievalEvaluator;
  bestMetric?: string; // default: the retrieval evaluator's first metric, else tripletAccuracy
  onStep?: (log: StepLog, totalSteps: number) => void;
  onEval?: (log: EvalLog) => void;
  /** Stops after this many optimizer steps in this process (tests: simulate a kill). */
  stopAfter?: number;
  /** Added to each micro-batch's loss (e.g. losses/preservation.ts); needs cfg.regulariser. */
  regulariser?: Regulariser;
}

/** A penalty on a micro-batch: its triples and their embeddings ([B, C] each). */
export type Regulariser = (batch: readonly TextTriple[], q: Tensor, p: Tensor, n: Tensor) => Tensor;

export interface TrainResult {
  steps: number;
  trainable: number;
  total: number;
  best: { metric: string; value: number; step: number } | null;
  stepLogs: StepLog[];
  evalLogs: EvalLog[];
}

export async function train(encoder: SentenceEncoder, trainSet: TextTriple[], evalSet: TextTriple[], cfg: TrainConfig, opts: TrainerOptions): Promise<TrainResult> {
  if (Boolean(cfg.regulariser) !== Boolean(opts.regulariser)) throw new Error('cfg.regulariser and opts.regulariser go together');
  if (trainSet.length < cfg.batchSize) throw new UserError(`${trainSet.length} training triples are fewer than one batch of ${cfg.batchSize}`);
  encoder.info.normalize = cfg.normalize;
  const bert = encoder.bert;
  manualSeed(cfg.seed);
  const lora = cfg.lora ? Lora.create(bert, cfg.lora) : null;
  const params: Map<string, Tensor> = lora ? lora.parameters() : bert.params;
  for (const p of bert.params.values()) p.setRequiresGrad(!lora);
  const total = countParameters(bert.params.values()) + (lora ? countParameters(params.values()) : 0);
  const trainable = countParameters(params.values());
  const opt = new AdamW(params, { lr: cfg.lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: cfg.weightDecay });

  const microPerEpoch = Math.floor(trainSet.length / cfg.batchSize); // the last partial batch is dropped
  const stepsPerEpoch = Math.floor(microPerEpoch / cfg.gradAccumulation);
  if (stepsPerEpoch < 1) throw new UserError(`batch ${cfg.batchSize} x accumulation ${cfg.gradAccumulation} exceeds the ${trainSet.length} training triples`);
  const totalSteps = cfg.maxSteps ?? cfg.epochs * stepsPerEpoch;
  const warmup = warmupSteps(cfg.warmup, totalSteps);
  const order = epochOrder(trainSet.length, cfg.seed);

  mkdirSync(opts.output, { recursive: true });
  const ckptRoot = join(opts.output, 'checkpoints');
  const logPath = join(opts.output, 'log.jsonl');
  const state = { step: 0, best: null as TrainResult['best'] };
  const stepLogs: StepLog[] = [];
  const evalLogs: EvalLog[] = [];
  if (opts.resume) {
    const latest = latestCheckpoint(ckptRoot);
    if (!latest) throw new UserError(`--resume: no checkpoint in ${ckptRoot}`);
    const meta = JSON.parse(readFileSync(join(latest, 'trainer.json'), 'utf8')) as { step: number; best: TrainResult['best'] };
    const w = loadSafetensors(join(latest, 'params.safetensors'));
    noGrad(() => { for (const [k, p] of params) p.copyFrom(w.get(k)!); });
    const o = loadSafetensors(join(latest, 'optimizer.safetensors'));
    opt.loadState(o, meta.step);
    const rng = loadSafetensors(join(latest, 'rng.safetensors'));
    setRngState(rng.get('torch')!);
    for (const t of [...w.values(), ...o.values(), ...rng.values()]) t.dispose();
    state.step = meta.step;
    state.best = meta.best;
    // the log keeps what the checkpoint had seen, so it reads as one uninterrupted run
    if (existsSync(logPath)) {
      const kept = readFileSync(logPath, 'utf8').split('\n').filter((l) => l.length > 0 && (JSON.parse(l) as { step: number }).step <= meta.step);
      writeFileSync(logPath, kept.map((l) => `${l}\n`).join(''));
    }
  } else {
    writeFileSync(logPath, '');
    rmSync(ckptRoot, { recursive: true, force: true });
  }
  const log = (entry: StepLog | EvalLog): void => appendFileSync(logPath, `${JSON.stringify(entry)}\n`);

  const evaluate = async (step: number): Promise<void> => {
    if (evalSet.length === 0 && !opts.retrievalEval) return;
    const entry: EvalLog = { type: 'eval', step, tripletAccuracy: NaN, evalLoss: NaN };
    if (evalSet.length > 0) Object.assign(entry, tripletAccuracy(encoder, evalSet, cfg));
    if (opts.retrievalEval) Object.assign(entry, await opts.retrievalEval(encoder));
    const metric = opts.bestMetric ?? Object.keys(entry).find((k) => !['type', 'step', 'tripletAccuracy', 'evalLoss'].includes(k)) ?? 'tripletAccuracy';
    const value = entry[metric];
    if (typeof value !== 'number') throw new UserError(`--best-metric ${metric}: not computed (have ${Object.keys(entry).join(', ')})`);
    if (!state.best || value > state.best.value) {
      state.best = { metric, value, step };
      saveModel(join(opts.output, 'best'), step);
    }
    evalLogs.push(entry);
    log(entry);
    opts.onEval?.(entry);
  };

  const saveModel = (dir: string, step: number): void => {
    saveModelFolder(dir, encoder, { lora: lora ?? undefined, base: cfg.model, training: { ...cfg, step, trainable, total } });
  };

  const checkpoint = (step: number): void => {
    mkdirSync(ckptRoot, { recursive: true });
    const final = join(ckptRoot, `step-${String(step).padStart(7, '0')}`);
    const tmp = `${final}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    saveSafetensors(join(tmp, 'params.safetensors'), params);
    saveSafetensors(join(tmp, 'optimizer.safetensors'), opt.stateTensors());
    const rng = getRngState();
    saveSafetensors(join(tmp, 'rng.safetensors'), new Map([['torch', rng]]));
    rng.dispose();
    writeFileSync(join(tmp, 'trainer.json'), JSON.stringify({ step, best: state.best, config: cfg }, null, 2));
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    const all = listCheckpoints(ckptRoot);
    for (const old of all.slice(0, Math.max(0, all.length - cfg.keepCheckpoints))) rmSync(old, { recursive: true, force: true });
  };

  bert.training = true;
  const stopAt = opts.stopAfter !== undefined ? Math.min(totalSteps, state.step + opts.stopAfter) : totalSteps;
  try {
    while (state.step < stopAt) {
      const t0 = performance.now();
      let lossSum = 0;
      let tokens = 0;
      for (let a = 0; a < cfg.gradAccumulation; a++) {
        const micro = state.step * cfg.gradAccumulation + a;
        const epoch = Math.floor(micro / microPerEpoch);
        const idx = order(epoch).subarray((micro % microPerEpoch) * cfg.batchSize, (micro % microPerEpoch + 1) * cfg.batchSize);
        const batch = Array.from(idx, (i) => trainSet[i]!);
        const r = tidy(() => {
          const q = encoder.tokenize(batch.map((t) => t.query));
          const p = encoder.tokenize(batch.map((t) => t.positive));
          const n = encoder.tokenize(batch.map((t) => t.negative));
          const eq = encoder.embedLists(q); // [B, C]
          const ep = encoder.embedLists(p);
          const en = encoder.embedLists(n);
          const main = cfg.loss === 'triplet'
            ? tripletLoss(eq, ep, en, { distance: cfg.distance, margin: cfg.margin })
            : mnrlLoss(eq, ep, en, cfg.mnrlScale);
          const loss = opts.regulariser ? main.add(opts.regulariser(batch, eq, ep, en)) : main;
          const value = loss.item();
          if (!Number.isFinite(value)) return { value, tokens: 0 };
          loss.div(cfg.gradAccumulation).backward();
          return { value, tokens: [q, p, n].reduce((s, l) => s + l.reduce((x, y) => x + y.length, 0), 0) };
        });
        if (!Number.isFinite(r.value)) {
          const last = latestCheckpoint(ckptRoot);
          throw new UserError(`loss is ${r.value} at step ${state.step + 1}: training stopped; ${last ? `the last good checkpoint is ${last} (--resume continues from it)` : 'no checkpoint was written yet'}`);
        }
        lossSum += r.value;
        tokens += r.tokens;
      }
      const gradNorm = clipGradNorm(params.values(), cfg.maxGradNorm);
      const lr = cfg.lr * linearWarmupDecay(state.step, warmup, totalSteps);
      opt.update(lr);
      opt.zeroGrad();
      state.step++;
      const secs = (performance.now() - t0) / 1000;
      const entry: StepLog = {
        type: 'step', step: state.step, epoch: Math.floor((state.step * cfg.gradAccumulation - 1) / microPerEpoch),
        loss: lossSum / cfg.gradAccumulation, lr, gradNorm, tokensPerSec: tokens / secs, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
      stepLogs.push(entry);
      log(entry);
      opts.onStep?.(entry, totalSteps);
      const end = state.step === totalSteps;
      if ((cfg.evalEvery > 0 && state.step % cfg.evalEvery === 0) || end) {
        bert.training = false;
        await evaluate(state.step);
        bert.training = true;
      }
      if ((cfg.saveEvery > 0 && state.step % cfg.saveEvery === 0) || end) checkpoint(state.step);
    }
  } finally {
    bert.training = false;
  }
  if (state.step === totalSteps) saveModel(opts.output, state.step);
  return { steps: state.step, trainable, total, best: state.best, stepLogs, evalLogs };
}

/** Epoch e's permutation of [0, n), seeded by (seed, e); cached per epoch. */
function epochOrder(n: number, seed: number): (epoch: number) => Uint32Array {
  const cache = new Map<number, Uint32Array>();
  return (epoch) => {
    let o = cache.get(epoch);
    if (!o) {
      const rng = new Random([seed >>> 0, epoch >>> 0, 0x5eed, 0xfeed]);
      o = Uint32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)));
      cache.clear();
      cache.set(epoch, o);
    }
    return o;
  };
}

function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => /^step-\d+$/.test(d)).sort().map((d) => join(root, d));
}

export function latestCheckpoint(root: string): string | null {
  const all = listCheckpoints(root);
  return all.length > 0 ? all[all.length - 1]! : null;
}
