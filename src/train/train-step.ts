// One optimizer step: gradAccumulation micro-batches of triplets -> three encoder passes ->
// loss -> backward; then clip, AdamW update, zero the gradients. Non-finite losses and
// gradient norms stop training before the update, so the weights stay the last good ones.
import { tidy, type Tensor } from '../engine/index.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { clipGradNorm, type AdamW } from './adamw.ts';
import { linearWarmupDecay } from './lr-schedule.ts';
import { tripletLoss } from './losses/triplet-loss.ts';
import { mnrlLoss } from './losses/mnrl.ts';
import { assertFinite, weightSum } from './divergence.ts';
import type { BatchPlan } from './batch-order.ts';
import type { Regulariser, StepLog, TrainConfig } from './train-config.ts';

export interface StepContext {
  encoder: SentenceEncoder;
  trainSet: TextTriple[];
  cfg: TrainConfig;
  plan: BatchPlan;
  params: Map<string, Tensor>;
  opt: AdamW;
  warmup: number;
  totalSteps: number;
  ckptRoot: string;
  regulariser?: Regulariser;
}

/** Forward and backward of one micro-batch; returns its loss and token count. */
function microStep(c: StepContext, batch: TextTriple[]): { value: number; tokens: number } {
  const { encoder, cfg } = c;
  return tidy(() => {
    const q = encoder.tokenize(
      batch.map((t) => t.query),
      'query',
    );
    const p = encoder.tokenize(
      batch.map((t) => t.positive),
      'passage',
    );
    const n = encoder.tokenize(
      batch.map((t) => t.negative),
      'passage',
    );
    const eq = encoder.embedLists(q); // [B, C]
    const ep = encoder.embedLists(p);
    const en = encoder.embedLists(n);
    const main =
      cfg.loss === 'triplet'
        ? tripletLoss(eq, ep, en, { distance: cfg.distance, margin: cfg.margin })
        : mnrlLoss(eq, ep, en, cfg.mnrlScale);
    const loss = c.regulariser ? main.add(c.regulariser(batch, eq, ep, en)) : main;
    const value = loss.item();
    if (!Number.isFinite(value)) return { value, tokens: 0 };
    loss.div(cfg.gradAccumulation).backward();
    return { value, tokens: [q, p, n].reduce((s, l) => s + l.reduce((x, y) => x + y.length, 0), 0) };
  });
}

/** Runs optimizer step `done + 1` (done = steps finished before it). */
export function trainStep(c: StepContext, done: number): StepLog {
  const { cfg } = c;
  const t0 = performance.now();
  const step = done + 1;
  let lossSum = 0;
  let tokens = 0;
  for (let a = 0; a < cfg.gradAccumulation; a++) {
    const idx = c.plan.batch(done * cfg.gradAccumulation + a);
    const r = microStep(
      c,
      Array.from(idx, (i) => c.trainSet[i]!),
    );
    if (!Number.isFinite(r.value)) c.opt.zeroGrad();
    assertFinite(r.value, 'loss', step, c.ckptRoot);
    lossSum += r.value;
    tokens += r.tokens;
  }
  const gradNorm = clipGradNorm(c.params.values(), cfg.maxGradNorm);
  if (!Number.isFinite(gradNorm)) c.opt.zeroGrad();
  assertFinite(gradNorm, 'gradient norm', step, c.ckptRoot);
  const lr = cfg.lr * linearWarmupDecay(done, c.warmup, c.totalSteps);
  c.opt.update(lr);
  c.opt.zeroGrad();
  assertFinite(weightSum(c.params.values()), 'the sum of the weights', step, c.ckptRoot);
  const secs = (performance.now() - t0) / 1000;
  return {
    type: 'step',
    step,
    epoch: Math.floor((step * cfg.gradAccumulation - 1) / c.plan.microPerEpoch),
    loss: lossSum / cfg.gradAccumulation,
    lr,
    gradNorm,
    tokensPerSec: tokens / secs,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}
