// The engine's autograd (libtorch's, plus ftlab's fused attention backward) against central
// finite differences, on a tiny random BERT in float64, dropout on (reseeded per pass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  int64,
  manualSeed,
  randn,
  tensor,
  tidy,
  noGrad,
  fromBytes,
  attention,
  type Tensor,
} from '../../src/engine/index.ts';
import { Bert } from '../../src/model/bert.ts';
import { meanPool, l2Normalize } from '../../src/model/pooling.ts';
import { randomWeights, tinyConfig } from '../helpers/tiny-model.ts';

function oneHot(shape: number[], index: number): Tensor {
  const a = new Float64Array(shape.reduce((x, y) => x * y, 1));
  a[index] = 1;
  return fromBytes(new Uint8Array(a.buffer), shape, 'float64');
}

test('BERT forward + mean pooling + normalise: autograd equals finite differences (float64)', () => {
  const cfg = tinyConfig({
    hiddenSize: 8,
    numHeads: 2,
    intermediateSize: 12,
    numLayers: 2,
    hiddenDropout: 0.1,
    attentionDropout: 0.2,
  });
  const bert = Bert.fromWeights(cfg, randomWeights(cfg, 3, 'float64'));
  bert.training = true;
  const ids = int64([101, 2023, 2003, 102, 101, 7592, 102, 0], [2, 4]);
  const mask = tensor(new Float64Array([1, 1, 1, 1, 1, 1, 1, 0]), [2, 4]);
  manualSeed(11);
  const probe = randn([2, 8], { dtype: 'float64' });
  const loss = (): Tensor => {
    manualSeed(1234); // the same dropout masks on every pass
    const v = l2Normalize(meanPool(bert.forward(ids, mask), mask));
    return v.mul(probe).sum();
  };
  for (const p of bert.params.values()) p.setRequiresGrad(true);
  tidy(() => loss().backward());
  const checked = [
    'embeddings.word_embeddings.weight',
    'embeddings.position_embeddings.weight',
    'embeddings.LayerNorm.weight',
    'encoder.layer.0.attention.self.query.weight',
    'encoder.layer.0.attention.self.key.bias',
    'encoder.layer.1.attention.self.value.weight',
    'encoder.layer.1.attention.output.dense.weight',
    'encoder.layer.1.intermediate.dense.weight',
    'encoder.layer.1.output.LayerNorm.bias',
  ];
  let worst = 0;
  for (const name of checked) {
    const p = bert.p(name);
    const g = p.grad!.f64();
    const n = p.size;
    // entries that the input touches: for word embeddings, row 2023 of the vocabulary
    const indices =
      name === 'embeddings.word_embeddings.weight' ? [2023 * 8, 2023 * 8 + 5] : [0, Math.floor(n / 2), n - 1];
    for (const i of indices) {
      const h = 1e-6;
      const fd = noGrad(() =>
        tidy(() => {
          const d = oneHot(p.shape, i);
          p.addInPlace(d, h);
          const up = loss().item();
          p.addInPlace(d, -2 * h);
          const down = loss().item();
          p.addInPlace(d, h);
          return (up - down) / (2 * h);
        }),
      );
      const err = Math.abs(fd - g[i]!) / Math.max(1e-3, Math.abs(fd));
      worst = Math.max(worst, err);
      assert.ok(err < 1e-5, `${name}[${i}]: autograd ${g[i]} vs finite difference ${fd}`);
    }
  }
  assert.ok(worst < 1e-5);
});

test('fused attention equals the unfused formula, forward and backward', () => {
  manualSeed(5);
  const [B, H, T, D] = [2, 3, 5, 4];
  const q = randn([B, H, T, D], { dtype: 'float64' }).setRequiresGrad();
  const k = randn([B, H, T, D], { dtype: 'float64' }).setRequiresGrad();
  const v = randn([B, H, T, D], { dtype: 'float64' }).setRequiresGrad();
  const mask = tensor(new Float64Array([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), [B, T]);
  const bias = mask.sub(1).mul(1e30).reshape([B, 1, 1, T]);
  const w = randn([B, H, T, D], { dtype: 'float64' });
  const fused = attention(q, k, v, bias, 0.5);
  fused.mul(w).sum().backward();
  const gFused = [q.grad!.f64(), k.grad!.f64(), v.grad!.f64()];
  for (const t of [q, k, v]) t.clearGrad();
  const ref = q.matmul(k.transpose(-1, -2)).mul(0.5).add(bias).softmax(-1).matmul(v);
  ref.mul(w).sum().backward();
  const gRef = [q.grad!.f64(), k.grad!.f64(), v.grad!.f64()];
  const maxDiff = (a: Float64Array, b: Float64Array): number =>
    a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  assert.ok(maxDiff(fused.f64(), ref.f64()) < 1e-12);
  for (let i = 0; i < 3; i++) assert.ok(maxDiff(gFused[i]!, gRef[i]!) < 1e-12, `gradient ${i}`);
});
