import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  int64,
  fromBytes,
  zeros,
  randn,
  tidy,
  keep,
  noGrad,
  isGradEnabled,
  manualSeed,
  liveTensors,
  setThreads,
  getThreads,
  resolveDevice,
  linear,
  layerNorm,
  crossEntropy,
  embedding,
  cat,
  getRngState,
  setRngState,
} from '../../src/engine/index.ts';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('typed arrays round-trip: f32, f64, i64, f16 bits', () => {
  const f = tensor(new Float32Array([1.5, -2, 3.25]), [3]);
  assert.deepEqual(Array.from(f.f32()), [1.5, -2, 3.25]);
  assert.equal(f.dtype, 'float32');
  const i = int64([1, 2, 3, 9007199254740991], [2, 2]);
  assert.deepEqual(i.shape, [2, 2]);
  assert.deepEqual(Array.from(i.i64()), [1n, 2n, 3n, 9007199254740991n]);
  // fp16 bit patterns: 0x3c00 = 1.0, 0xc000 = -2.0, 0x3555 ~ 0.33325
  const h = tensor(new Uint16Array([0x3c00, 0xc000, 0x3555]), [3], 'float16');
  assert.equal(h.dtype, 'float16');
  close(h.f32(), [1, -2, 0.333251953125]);
  const bf = fromBytes(new Uint8Array([0x80, 0x3f, 0x00, 0xc0]), [2], 'bfloat16'); // 1.0, -2.0
  close(bf.f32(), [1, -2]);
  const d = tensor(new Float64Array([Math.PI]), [1]);
  assert.equal(d.f64()[0], Math.PI);
});

test('the ArrayBuffer from data() outlives dispose()', () => {
  const t = tensor([1, 2, 3, 4], [4]);
  const view = t.data() as Float32Array;
  t.dispose();
  assert.deepEqual(Array.from(view), [1, 2, 3, 4]);
});

test('arithmetic, matmul, reductions and shapes', () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
  assert.deepEqual(a.matmul(b).toNested(), [
    [4, 5],
    [10, 11],
  ]);
  assert.deepEqual(a.sum(1).toNested(), [6, 15]);
  assert.deepEqual(a.mean(0).toNested(), [2.5, 3.5, 4.5]);
  assert.deepEqual(a.transpose(0, 1).shape, [3, 2]);
  assert.deepEqual(a.reshape([3, 2]).toNested(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.deepEqual(a.mul(2).sub(1).toNested(), [
    [1, 3, 5],
    [7, 9, 11],
  ]);
  assert.deepEqual(cat([a, a], 0).shape, [4, 3]);
  assert.deepEqual(a.slice(1, 1, 3).toNested(), [
    [2, 3],
    [5, 6],
  ]);
  const { values, indices } = tensor([0.1, 0.9, 0.5, 0.7], [1, 4]).topk(2);
  close(values.f32(), [0.9, 0.7]);
  assert.deepEqual(Array.from(indices.i64()), [1n, 3n]);
  assert.deepEqual(a.gather(1, int64([2, 0], [2, 1])).toNested(), [[3], [4]]);
});

test('nn ops: linear, layer norm, softmax, gelu, normalize, embedding, cross-entropy', () => {
  const x = tensor([1, 2], [1, 2]);
  const w = tensor([1, 1, 2, -1], [2, 2]);
  assert.deepEqual(linear(x, w, tensor([0.5, 0], [2])).toNested(), [[3.5, 0]]);
  const ln = layerNorm(tensor([1, 3], [1, 2]), null, null, 0).f32();
  close(ln, [-1, 1]);
  close(
    tensor([0, Math.log(3)], [2])
      .softmax(0)
      .f32(),
    [0.25, 0.75],
  );
  // gelu(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.841344746
  close(tensor([1], [1]).gelu().f32(), [0.8413447]);
  const g = tensor([-2, -0.5, 0, 1, 3], [5]);
  const out = g.gelu().f32();
  assert.equal(g.geluInPlace().f32().join(), out.join(), 'in place: the same numbers, in the same tensor');
  close(tensor([3, 4], [1, 2]).normalize().f32(), [0.6, 0.8]);
  assert.deepEqual(embedding(tensor([1, 2, 3, 4], [2, 2]), int64([1, 0], [2])).toNested(), [
    [3, 4],
    [1, 2],
  ]);
  // CE of logits [0, ln 3] at class 1 = -log(3/4)
  close(crossEntropy(tensor([0, Math.log(3)], [1, 2]), int64([1], [1])).f32(), [-Math.log(0.75)]);
});

test('libtorch errors become JavaScript exceptions with its message', () => {
  const a = tensor([1, 2, 3, 4], [2, 2]);
  assert.throws(() => a.matmul(tensor([1, 2, 3], [3, 1])), /mat1 and mat2 shapes cannot be multiplied \(2x2 and 3x1\)/);
  assert.throws(() => a.reshape([3]), /shape '\[3\]' is invalid for input of size 4/);
  assert.throws(() => tensor(new Float32Array(3), [2, 2]), /12 bytes given for shape \[2, 2\]/);
  assert.throws(() => zeros([2], { device: 'nonsense' }), /device/i);
  const d = tensor([1], [1]);
  d.dispose();
  assert.throws(() => d.add(1), /after dispose/);
});

test('autograd: backward, grad, clearGrad', () => {
  const x = tensor([1, 2, 3], [3]).setRequiresGrad();
  const y = x.mul(x).sum(); // d/dx sum x^2 = 2x
  y.backward();
  assert.deepEqual(Array.from(x.grad!.f32()), [2, 4, 6]);
  x.clearGrad();
  assert.equal(x.grad, null);
});

test('noGrad turns autograd off and restores it, also on a throw', () => {
  assert.equal(isGradEnabled(), true);
  const x = tensor([1], [1]).setRequiresGrad();
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.throws(
    () =>
      noGrad(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(isGradEnabled(), true);
});

test('tidy disposes what it made except its result and kept tensors', () => {
  const before = liveTensors();
  let kept = null as ReturnType<typeof tensor> | null;
  const out = tidy(() => {
    const a = tensor([1, 2], [2]);
    const b = a.mul(3);
    kept = keep(a.add(1));
    return { b };
  });
  assert.equal(liveTensors(), before + 2);
  assert.deepEqual(Array.from(out.b.f32()), [3, 6]);
  out.b.dispose();
  kept!.dispose();
  assert.equal(liveTensors(), before);
  assert.throws(
    () =>
      tidy(() => {
        tensor([1], [1]);
        throw new Error('inner');
      }),
    /inner/,
  );
  assert.equal(liveTensors(), before);
});

test('seeding reproduces random tensors; RNG state saves and restores', () => {
  manualSeed(7);
  const a = randn([4]).f32();
  manualSeed(7);
  assert.deepEqual(Array.from(randn([4]).f32()), Array.from(a));
  const state = getRngState();
  const b = randn([3]).f32();
  setRngState(state);
  assert.deepEqual(Array.from(randn([3]).f32()), Array.from(b));
});

test('threads and devices', () => {
  assert.equal(setThreads(1), 1);
  assert.equal(getThreads(), 1);
  setThreads(2);
  assert.equal(resolveDevice('cpu'), 'cpu');
  assert.throws(() => resolveDevice('tpu'), /auto, cpu or cuda/);
  assert.throws(() => setThreads(0), /positive integer/);
});
