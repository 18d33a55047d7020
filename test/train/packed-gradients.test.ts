// Packed (unpadded) training against the padded path it replaces: the same sentence vectors,
// losses within 1e-6 and every parameter's whole gradient tensor within 1e-5 (max abs), on a
// tiny random model (each pooling, full and LoRA) and on all-MiniLM-L6-v2 with real MS MARCO
// triples (a loss above 1 within 1e-6 relative: see comparePaths). Dropout is off in both (config dropout 0), as the trainer's deterministic tests run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { full, manualSeed, noGrad, tidy, type Tensor } from '../../src/engine/index.ts';
import { Bert } from '../../src/model/bert.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { Lora } from '../../src/model/lora.ts';
import type { Pooling } from '../../src/model/config.ts';
import { loadTextTriples, type TextTriple } from '../../src/data/triples.ts';
import { tripletLoss } from '../../src/train/losses/triplet-loss.ts';
import { mnrlLoss } from '../../src/train/losses/mnrl.ts';
import { synthTriples } from '../helpers/triples.ts';
import { hasShared, SHARED_MSMARCO, tinyConfig, writeTinyModel } from '../helpers/tiny-model.ts';

/** The encoder's weights under a copy of its config with dropout off, autograd on. */
function withoutDropout(enc: SentenceEncoder): SentenceEncoder {
  const cfg = { ...enc.bert.config, hiddenDropout: 0, attentionDropout: 0 };
  const bert = Bert.fromWeights(cfg, enc.bert.params);
  bert.training = true;
  return new SentenceEncoder(bert, enc.tokenizer, enc.info, enc.files);
}

interface Pass {
  loss: number;
  vectors: Float32Array;
  grads: Map<string, Float32Array>;
}

/** One forward/backward over the triples (padded in length-sorted chunks, as the trainer, or packed). */
function pass(
  enc: SentenceEncoder,
  params: Map<string, Tensor>,
  batch: TextTriple[],
  loss: string,
  packed: boolean,
): Pass {
  for (const p of params.values()) p.clearGrad();
  const r = tidy(() => {
    const e = [
      enc.tokenize(
        batch.map((t) => t.query),
        'query',
      ),
      enc.tokenize(
        batch.map((t) => t.positive),
        'passage',
      ),
      enc.tokenize(
        batch.map((t) => t.negative),
        'passage',
      ),
    ].map((l) => enc.embedLists(l, { packed }));
    const [q, p, n] = e as [Tensor, Tensor, Tensor];
    const l = loss === 'mnrl' ? mnrlLoss(q, p, n, 20) : tripletLoss(q, p, n, { distance: 'cosine', margin: 0.2 });
    l.backward();
    return { loss: l.item(), vectors: Float32Array.from([...q.f32(), ...p.f32(), ...n.f32()]) };
  });
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of params) {
    const g = p.grad;
    assert.ok(g, `${name} has no gradient`);
    grads.set(name, g.f32());
    g.dispose();
  }
  return { ...r, grads };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Compares packed with padded; returns a line with the loss and the largest gradient difference. */
function comparePaths(enc: SentenceEncoder, params: Map<string, Tensor>, batch: TextTriple[], loss: string): string {
  const padded = pass(enc, params, batch, loss, false);
  const packed = pass(enc, params, batch, loss, true);
  // 1e-6 absolute; relative above 1: float32's spacing at an MNRL loss of 4.7 is 4.8e-7, and a
  // different summation order moves it by a few of those
  const dLoss = Math.abs(padded.loss - packed.loss);
  assert.ok(dLoss <= 1e-6 * Math.max(1, Math.abs(padded.loss)), `loss ${packed.loss} vs padded ${padded.loss}`);
  assert.ok(maxAbsDiff(padded.vectors, packed.vectors) <= 1e-5, 'sentence vectors differ');
  let worst = 0;
  let worstName = '';
  for (const [name, g] of padded.grads) {
    const d = maxAbsDiff(g, packed.grads.get(name)!);
    if (d > worst) [worst, worstName] = [d, name];
  }
  assert.ok(worst <= 1e-5, `gradient of ${worstName} differs by ${worst} (max abs)`);
  // a gradient that is all zeros in both would pass trivially: the loss must reach the weights
  const w = padded.grads.get([...params.keys()].find((k) => k.includes('query'))!)!;
  assert.ok(
    w.some((x) => x !== 0),
    'the query weights got no gradient',
  );
  return `${loss} loss ${padded.loss.toFixed(4)} (diff ${dLoss.toExponential(2)}), largest gradient diff ${worst.toExponential(2)}`;
}

const mixedLengths = synthTriples(12).map((t, i) => ({ ...t, positive: `${t.positive} ${'more words '.repeat(i)}` }));

for (const pooling of ['mean', 'cls', 'max', 'mean-sqrt-len'] as Pooling[]) {
  test(`packed = padded on a tiny model (${pooling} pooling, full fine-tuning, MNRL and triplet)`, () => {
    const base = SentenceEncoder.load(writeTinyModel(undefined, tinyConfig({ numHeads: 4 })));
    base.info.pooling = pooling;
    const enc = withoutDropout(base);
    for (const p of enc.bert.params.values()) p.setRequiresGrad(true);
    for (const loss of ['mnrl', 'triplet']) {
      console.log(`tiny ${pooling}: ${comparePaths(enc, enc.bert.params, mixedLengths, loss)}`);
    }
    base.dispose();
  });
}

test('packed = padded on a tiny model with LoRA adapters on query and value', () => {
  const enc = withoutDropout(SentenceEncoder.load(writeTinyModel()));
  manualSeed(3);
  const lora = Lora.create(enc.bert, { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] });
  // B starts at zero: move it so the adapters change the forward too
  noGrad(() => {
    for (const [name, p] of lora.parameters())
      if (name.includes('lora_B')) tidy(() => p.addInPlace(full(p.shape, 0.05)));
  });
  for (const loss of ['mnrl', 'triplet'])
    console.log(`tiny LoRA: ${comparePaths(enc, lora.parameters(), mixedLengths, loss)}`);
  enc.dispose();
});

const triplesPath = join(SHARED_MSMARCO, 'train-sample', 'triples.train.small.head100.tsv');
test('packed = padded on all-MiniLM-L6-v2, three real batches of 8 MS MARCO triples', {
  skip: hasShared ? false : `${SHARED_MSMARCO} is absent`,
}, async () => {
  const { triples } = await loadTextTriples(triplesPath);
  const enc = withoutDropout(SentenceEncoder.load('default'));
  for (const p of enc.bert.params.values()) p.setRequiresGrad(true);
  for (const [start, loss] of [
    [0, 'mnrl'],
    [8, 'triplet'],
    [16, 'mnrl'],
  ] as const)
    console.log(
      `MiniLM batch at ${start}: ${comparePaths(enc, enc.bert.params, triples.slice(start, start + 8), loss)}`,
    );
  enc.dispose();
});

test('packed training with dropout: the same seed gives the same gradients, and dropout acts', () => {
  const enc = SentenceEncoder.load(writeTinyModel()); // dropout 0.1 on hidden states and attention
  enc.bert.training = true;
  for (const p of enc.bert.params.values()) p.setRequiresGrad(true);
  const run = (seed: number) => {
    manualSeed(seed);
    return pass(enc, enc.bert.params, mixedLengths, 'mnrl', true);
  };
  const [a, b, c] = [run(5), run(5), run(6)];
  assert.equal(a.loss, b.loss);
  for (const [name, g] of a.grads) assert.equal(maxAbsDiff(g, b.grads.get(name)!), 0, `${name} differs under one seed`);
  assert.notEqual(a.loss, c.loss, 'another seed drew the same dropout masks');
  enc.dispose();
});
