// Losses and AdamW against numbers worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasFusedAdamW, liveTensors, manualSeed, randn, tensor, zeros } from '../../src/engine/index.ts';
import { tripletLoss } from '../../src/train/losses/triplet-loss.ts';
import { mnrlLoss } from '../../src/train/losses/mnrl.ts';
import { AdamW, clipGradNorm, decays } from '../../src/train/adamw.ts';
import { linearWarmupDecay, warmupSteps } from '../../src/train/lr-schedule.ts';

const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('triplet loss, cosine: 2-d example by hand, and its gradient', () => {
  // q = (1, 0), p = (0.6, 0.8), n = (0, 1): cos(q,p) = 0.6 -> d+ = 0.4; cos(q,n) = 0 -> d- = 1
  // margin 0.2: relu(0.4 - 1 + 0.2) = 0;  margin 0.8: relu(0.4 - 1 + 0.8) = 0.2
  const q = tensor([1, 0], [1, 2]).setRequiresGrad();
  const p = tensor([0.6, 0.8], [1, 2]);
  const n = tensor([0, 1], [1, 2]);
  close(tripletLoss(q, p, n, { distance: 'cosine', margin: 0.2 }).item(), 0);
  const loss = tripletLoss(q, p, n, { distance: 'cosine', margin: 0.8 });
  close(loss.item(), 0.2);
  // dL/dq = -d cos(q,p)/dq + d cos(q,n)/dq; at |q| = 1: d cos(q,x)/dq = x/|x| - cos(q,x) q
  //   = -[(0.6, 0.8) - 0.6 (1, 0)] + [(0, 1) - 0 (1, 0)] = (0, -0.8) + (0, 1) = (0, 0.2)
  loss.backward();
  const g = q.grad!.f32();
  close(g[0]!, 0);
  close(g[1]!, 0.2);
});

test('triplet loss, euclidean and manhattan: by hand, mean over the batch', () => {
  // row 1: q=(0,0) p=(3,4) n=(6,8): d+ = 5, d- = 10, margin 5 -> relu(0) = 0
  // row 2: q=(0,0) p=(0,1) n=(0,2): d+ = 1, d- = 2, margin 5 -> 4      mean = 2
  const q = tensor([0, 0, 0, 0], [2, 2]);
  const p = tensor([3, 4, 0, 1], [2, 2]);
  const n = tensor([6, 8, 0, 2], [2, 2]);
  close(tripletLoss(q, p, n, { distance: 'euclidean', margin: 5 }).item(), 2, 1e-5);
  // manhattan: row 1 d+ = 7, d- = 14 -> relu(-2) = 0; row 2: 1, 2 -> 4; mean 2
  close(tripletLoss(q, p, n, { distance: 'manhattan', margin: 5 }).item(), 2, 1e-5);
});

test('MNRL: cross-entropy over scaled cosine similarities, by hand', () => {
  // q1 = (1,0), q2 = (0,1); p1 = (1,0), p2 = (1,1)/sqrt2; no negatives; scale 1
  // s = [[1, 0.7071], [0, 0.7071]]; L1 = -1 + log(e^1 + e^0.7071); L2 = -0.7071 + log(e^0 + e^0.7071)
  const s = Math.SQRT1_2;
  const want = (-1 + Math.log(Math.E + Math.exp(s)) + (-s + Math.log(1 + Math.exp(s)))) / 2;
  close(mnrlLoss(tensor([1, 0, 0, 1], [2, 2]), tensor([1, 0, 1, 1], [2, 2]), null, 1).item(), want, 1e-6);
  // with a hard negative n = (0,1),(1,0) the candidate set grows to 4 columns
  const n = tensor([0, 1, 1, 0], [2, 2]);
  const want2 = (-1 + Math.log(Math.E + Math.exp(s) + 1 + Math.E) + (-s + Math.log(1 + Math.exp(s) + Math.E + 1))) / 2;
  close(mnrlLoss(tensor([1, 0, 0, 1], [2, 2]), tensor([1, 0, 1, 1], [2, 2]), n, 1).item(), want2, 1e-6);
});

test('AdamW: one step equals the hand computation, with no decay for biases and LayerNorm', () => {
  // w = 1, g = 0.5; lr 0.1, wd 0.01, betas (0.9, 0.999), eps 1e-8, step 1:
  //   decay: w = 1 - 0.1*0.01*1 = 0.999
  //   m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25; update = 0.1 * 0.5 / (0.5 + 1e-8)
  //   w = 0.999 - 0.1 = 0.899;  bias (no decay): 1 - 0.1 = 0.9
  const w = tensor([1], [1]).setRequiresGrad();
  const b = tensor([1], [1]).setRequiresGrad();
  const ln = tensor([1], [1]).setRequiresGrad();
  const params = new Map([
    ['layer.dense.weight', w],
    ['layer.dense.bias', b],
    ['layer.LayerNorm.weight', ln],
  ]);
  for (const p of params.values()) p.mul(0.5).sum().backward();
  const opt = new AdamW(params, { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
  opt.update(0.1);
  close(w.item(), 0.899, 1e-7);
  close(b.item(), 0.9, 1e-7);
  close(ln.item(), 0.9, 1e-7);
  assert.equal(decays('encoder.layer.0.attention.self.query.weight'), true);
  assert.equal(decays('embeddings.LayerNorm.weight'), false);
  // second step, same gradient: m = 0.095, v = 0.00049975; m_hat = 0.5, v_hat = 0.25 again
  opt.zeroGrad();
  w.mul(0.5).sum().backward();
  const live = liveTensors();
  opt.update(0.1);
  assert.equal(liveTensors(), live, 'an update leaves no tensor behind (a leak here grew training by ~180 MB a step)');
  close(w.item(), 0.899 * (1 - 0.001) - 0.1, 1e-6);
});

test('AdamW: the fused kernel takes the steps the single ops take, to float rounding', {
  skip: hasFusedAdamW() ? false : 'this libtorch has no fused AdamW kernel (before 2.4)',
}, () => {
  manualSeed(3);
  const names = ['layer.dense.weight', 'layer.dense.bias', 'embeddings.LayerNorm.weight', 'word_embeddings.weight'];
  const start = names.map(() => randn([64, 8]));
  const grads = Array.from({ length: 5 }, () => names.map(() => randn([64, 8])));
  const run = (fused: boolean): Float32Array[] => {
    const params = new Map(names.map((n, i) => [n, start[i]!.clone().setRequiresGrad()]));
    const opt = new AdamW(params, { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }, fused);
    for (const g of grads) {
      opt.zeroGrad();
      // no gradient for the last parameter in the first step: it is left alone, as in torch
      [...params.values()].forEach((p, i) => (g === grads[0] && i === 3 ? 0 : p.mul(g[i]!).sum().backward()));
      const before = [...params.values()].map((p) => p.version);
      opt.update(1e-2);
      // prepacked inference copies of the weights see a step by the version counter
      [...params.values()].forEach((p, i) =>
        assert.ok(
          p.version > before[i]! || (g === grads[0] && i === 3),
          `${fused ? 'fused' : 'single-op'}: version of ${names[i]}`,
        ),
      );
    }
    return [...params.values()].map((p) => p.f32());
  };
  const [fused, single] = [run(true), run(false)];
  let worst = 0;
  fused.forEach((f, i) => f.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - single[i]![j]!)))));
  // five steps of up to lr = 1e-2 each: the kernels differ in rounding only (~1e-9 here)
  assert.ok(worst < 1e-6, `fused and single-op AdamW differ by ${worst}`);
  assert.notDeepEqual(fused[3], start[3]!.f32(), 'the parameter without a first gradient moved later');
});

test('global-norm clipping and the warm-up/decay schedule', () => {
  const a = zeros([2]).setRequiresGrad();
  const c = zeros([1]).setRequiresGrad();
  a.mul(tensor([3, 0], [2]))
    .sum()
    .add(c.mul(4).sum())
    .backward(); // grads (3, 0) and (4): norm 5
  close(clipGradNorm([a, c], 1), 5);
  close(a.grad!.f32()[0]!, 3 / (5 + 1e-6));
  close(c.grad!.f32()[0]!, 4 / (5 + 1e-6));
  assert.equal(linearWarmupDecay(0, 10, 110), 0, 'the first step has factor 0, as Hugging Face');
  close(linearWarmupDecay(5, 10, 110), 0.5);
  close(linearWarmupDecay(10, 10, 110), 1);
  close(linearWarmupDecay(60, 10, 110), 0.5);
  assert.equal(linearWarmupDecay(110, 10, 110), 0);
  assert.equal(warmupSteps(0.1, 95), 10);
  assert.equal(warmupSteps(1000, 95), 1000);
});
