// The inference linears (prepacked / quantized copies of the weights) are built once and reused
// across batches, and rebuilt exactly when what they copy changes: the precision, the fp32
// path, a weight changed in place or replaced. Until 2026-12-06 they were rebuilt every batch
// (the staleness check compared the last layer's weight against the last copied tensor, its bias),
// which cost int8 encoding half its speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forceFp32Path, hasFusedAdamW, matmulPaths } from '../../src/engine/index.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { AdamW } from '../../src/train/adamw.ts';
import { writeTinyModel } from '../helpers/tiny-model.ts';

const TEXTS = Array.from({ length: 12 }, (_, i) => `passage ${i} about ${'word '.repeat(i + 1)}`);

test('inference linears: built once across batches, rebuilt when precision, path or a weight changes', () => {
  const enc = SentenceEncoder.load(writeTinyModel());
  const bert = enc.bert;
  const first = enc.encode(TEXTS, 'passage', { batchSize: 2 }); // 6 batches
  assert.equal(bert.preparedBuilds, 1);
  assert.deepEqual(enc.encode(TEXTS, 'passage', { batchSize: 2 }), first); // same batches: same bits
  assert.equal(bert.preparedBuilds, 1, 'a second encode reuses them');

  const w = bert.p('encoder.layer.0.intermediate.dense.weight');
  w.mulInPlace(0.5);
  const halved = enc.encode(TEXTS, 'passage', { batchSize: 2 });
  assert.equal(bert.preparedBuilds, 2, 'an in-place change to a weight rebuilds them');
  assert.notDeepEqual(halved, first);
  w.mulInPlace(2);
  assert.deepEqual(enc.encode(TEXTS, 'passage', { batchSize: 2 }), first);
  assert.equal(bert.preparedBuilds, 3);

  const paths = matmulPaths();
  let builds = 3;
  if (paths.int8) {
    bert.precision = 'int8';
    enc.encode(TEXTS, 'passage', { batchSize: 2 });
    enc.encode(TEXTS, 'passage', { batchSize: 2 });
    assert.equal(bert.preparedBuilds, ++builds, 'another precision: one build for all its batches');
    // int8 also copies the LayerNorms its smoothing reads: a change there rebuilds it
    bert.p('encoder.layer.0.attention.output.LayerNorm.weight').mulInPlace(1.5);
    enc.encode(TEXTS, 'passage', { batchSize: 2 });
    assert.equal(bert.preparedBuilds, ++builds, 'int8: a LayerNorm change rebuilds them');
    bert.precision = 'fp32';
    enc.encode(TEXTS, 'passage', { batchSize: 2 });
    assert.equal(bert.preparedBuilds, ++builds, 'back to fp32');
  }
  // a weight replaced by another tensor (a checkpoint loaded into a new map entry)
  const name = 'encoder.layer.1.output.dense.weight';
  const old = bert.params.get(name)!;
  bert.params.set(name, old.clone());
  enc.encode(TEXTS, 'passage', { batchSize: 2 });
  assert.equal(bert.preparedBuilds, ++builds, 'a replaced weight rebuilds them');
  old.dispose();
  if (paths.figures.some((f) => f.path === 'fp32-onednn')) {
    const current = paths.fp32Linear.kind === 'fp32-mkl' ? 'mkl' : 'onednn';
    forceFp32Path(current);
    enc.encode(TEXTS, 'passage', { batchSize: 2 });
    assert.equal(bert.preparedBuilds, builds, `forcing the path already in use (${current}) rebuilds nothing`);
    for (const path of current === 'mkl' ? (['onednn', 'mkl'] as const) : (['mkl', 'onednn'] as const)) {
      forceFp32Path(path);
      enc.encode(TEXTS, 'passage', { batchSize: 2 });
      assert.equal(bert.preparedBuilds, ++builds, `forcing the fp32 path to ${path} rebuilds them`);
    }
  }
  enc.dispose();
});

for (const fused of [true, false]) {
  test(`inference linears: an AdamW step (${fused ? 'fused kernel' : 'single ops'}) is seen by the next inference`, {
    skip: fused && !hasFusedAdamW() ? 'this libtorch has no fused AdamW kernel (before 2.4)' : false,
  }, () => {
    const enc = SentenceEncoder.load(writeTinyModel());
    const before = enc.encode(TEXTS, 'passage', { batchSize: 4 }); // prepares the linears
    for (const t of enc.bert.params.values()) t.setRequiresGrad();
    const opt = new AdamW(enc.bert.params, { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }, fused);
    enc.bert.training = true;
    enc.embed(TEXTS.slice(0, 4), 'passage').pow(2).sum().backward();
    enc.bert.training = false;
    opt.update(1e-2);
    const after = enc.encode(TEXTS, 'passage', { batchSize: 4 });
    enc.bert.releaseInference(); // a rebuild from the weights as they are now
    assert.deepEqual(enc.encode(TEXTS, 'passage', { batchSize: 4 }), after);
    assert.notDeepEqual(after, before);
    enc.dispose();
  });
}
