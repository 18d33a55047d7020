// One optimizer step: gradAccumulation micro-batches of triplets -> three encoder passes ->
// loss -> backward; then clip, AdamW update, zero the gradients. Non-finite losses and
// gradient norms stop training before the update, so the weights stay the last good ones.
//
// Data-parallel (world.size ranks): rank r takes rows [r*B/R, (r+1)*B/R) of every micro-batch
// and its loss is the mean over them; the loss values and then the gradients are averaged
// across ranks, which is the gradient of the mean over the whole batch: the same step as one
// process (up to floating-point summation order). Dropout draws from each rank's generator.
import { tensor, tidy, type Tensor, type World } from '../engine/index.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { clipGradNorm, type AdamW } from './adamw.ts';
import { linearWarmupDecay } from './lr-schedule.ts';
import { tripletLoss } from './losses/triplet-loss.ts';
import { mnrlLoss } from './losses/mnrl.ts';
import { assertFinite, weightSum } from './divergence.ts';
import type { BatchPlan } from './batch-order.ts';
import { PACKED_BY_DEFAULT, type Regulariser, type StepLog, type TrainConfig } from './train-config.ts';

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
  world: World;
}

/** Forward and backward of one micro-batch; returns its loss and token count. */
function microStep(c: StepContext, all: TextTriple[]): { value: number; tokens: number } {
  const { encoder, cfg, world } = c;
  const rows = all.length / world.size;
  const batch = all.slice(world.rank * rows, (world.rank + 1) * rows);
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
    const packed = cfg.packed ?? PACKED_BY_DEFAULT;
    const eq = encoder.embedLists(q, { packed }); // [B, C]
    const ep = encoder.embedLists(p, { packed });
    const en = encoder.embedLists(n, { packed });
    const main =
      cfg.loss === 'triplet'
        ? tripletLoss(eq, ep, en, { distance: cfg.distance, margin: cfg.margin })
        : world.size === 1
          ? mnrlLoss(eq, ep, en, cfg.mnrlScale)
          : mnrlLoss(eq, world.allGather(ep), world.allGather(en), cfg.mnrlScale, world.rank * rows);
    const loss = c.regulariser ? main.add(c.regulariser(batch, eq, ep, en)) : main;
    const tokens = [q, p, n].reduce((s, l) => s + l.reduce((x, y) => x + y.length, 0), 0);
    const [value, allTokens] = acrossRanks(world, loss.item(), tokens);
    // every rank skips or takes the backward together (the gathered MNRL's backward is a collective)
    if (!Number.isFinite(value)) return { value, tokens: 0 };
    loss.div(cfg.gradAccumulation).backward();
    return { value, tokens: allTokens };
  });
}

/** The mean loss and the total tokens over the ranks (this rank's own when alone). */
function acrossRanks(world: World, value: number, tokens: number): [number, number] {
  if (world.size === 1) return [value, tokens];
  const t = tensor([value, tokens], [2], 'float64');
  world.allReduce(t, 'sum');
  const [v, n] = t.f64();
  return [Number(v) / world.size, Number(n)];
}

/** Averages the gradients over the ranks, as one buffer. */
function averageGradients(c: StepContext): void {
  if (c.world.size === 1) return;
  const grads = [...c.params.values()].map((p) => p.grad).filter((g): g is Tensor => g !== null);
  c.world.allReduceMany(grads, 'avg');
  for (const g of grads) g.dispose();
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
  averageGradients(c);
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
