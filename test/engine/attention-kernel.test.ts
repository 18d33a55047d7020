// The hand-written inference attention (native/attention-kernel.cc) against libtorch's ops on the
// same packed sequences: lengths around the vector width (1, 7, 15, 16, 17, 33) and longer ones,
// q, k, v read as column slices of one [N, 3C] projection (rows 3C apart), as the encoder passes
// them. Head size 8 runs the AVX2 body on an AVX-512 machine, so both bodies are checked here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, noGrad, packedAttention, randn, tidy, type Tensor } from '../../src/engine/index.ts';
import { native } from '../../src/engine/native.ts';

const LENGTHS = [1, 7, 15, 16, 17, 33, 67, 130, 256, 3];
const H = 4;

function maxAbs(t: Tensor): number {
  return t.abs().reshape([-1]).max(0).item();
}

/** Attention of the [N, 3C] rows x (q | k | v) on libtorch's path or the kernel's. */
function attend(x: Tensor, C: number, fused: boolean): Tensor {
  native.setFusedAttention(fused);
  try {
    const part = (i: number) => x.slice(1, i * C, (i + 1) * C);
    return packedAttention(part(0), part(1), part(2), LENGTHS, H, 1 / Math.sqrt(C / H));
  } finally {
    native.setFusedAttention(true);
  }
}

for (const D of [8, 16, 32, 64]) {
  const isa = native.fusedAttentionIsa(D);
  test(`fp32, head size ${D} (${isa || 'no kernel: libtorch both times'}): the kernel equals libtorch within 1e-5`, () =>
    noGrad(() =>
      tidy(() => {
        manualSeed(D);
        const C = H * D;
        const N = LENGTHS.reduce((a, b) => a + b, 0);
        const x = randn([N, 3 * C]).mul(1.5); // peaked softmax rows as well as flat ones
        const want = attend(x, C, false);
        const got = attend(x, C, true);
        assert.deepEqual(got.shape, [N, C]);
        assert.ok(maxAbs(want.sub(got)) < 1e-5, `max difference ${maxAbs(want.sub(got))}`);
      }),
    ));

  test(`bf16, head size ${D}: the kernel's output is the fp32 result on the same bf16 inputs, rounded once to bf16`, () =>
    noGrad(() =>
      tidy(() => {
        manualSeed(100 + D);
        const C = H * D;
        const N = LENGTHS.reduce((a, b) => a + b, 0);
        const xb = randn([N, 3 * C])
          .mul(1.5)
          .cast('bfloat16');
        const exact = attend(xb.cast('float32'), C, false); // fp32 arithmetic on the bf16 values
        const got = attend(xb, C, true);
        assert.equal(got.dtype, 'bfloat16');
        // round to nearest: at most half a bf16 step (2^-8 of the value) plus fp32-level noise
        const bound = exact
          .abs()
          .mul(2 ** -8)
          .add(1e-5);
        const excess = got.cast('float32').sub(exact).abs().sub(bound);
        assert.ok(maxAbs(excess.clamp(0, Infinity)) === 0, 'an element is further than half a bf16 step away');
      }),
    ));
}

/** Training: output and the gradient of sum(y * w) w.r.t. the [N, 3C] rows, on one path. */
function trainStep(x0: Tensor, w: Tensor, C: number, fused: boolean, dropout: number): [Tensor, Tensor] {
  native.setFusedAttention(fused);
  try {
    manualSeed(11); // the same dropout mask on both paths
    const x = x0.clone().setRequiresGrad();
    const part = (i: number) => x.slice(1, i * C, (i + 1) * C);
    const y = packedAttention(part(0), part(1), part(2), LENGTHS, H, 0.2, dropout, dropout > 0);
    y.mul(w).sum().backward();
    return [y.detach(), x.grad!];
  } finally {
    native.setFusedAttention(true);
  }
}

for (const dropout of [0, 0.1])
  test(`training forward${dropout > 0 ? ' with dropout' : ''}: the kernel's output and gradients equal libtorch's within 1e-5`, () =>
    tidy(() => {
      manualSeed(7);
      const C = H * 32;
      const N = LENGTHS.reduce((a, b) => a + b, 0);
      const x0 = randn([N, 3 * C]);
      const w = randn([N, C]);
      const [y0, g0] = trainStep(x0, w, C, false, dropout);
      const [y1, g1] = trainStep(x0, w, C, true, dropout);
      assert.ok(maxAbs(y0.sub(y1)) < 1e-5, `output differs by ${maxAbs(y0.sub(y1))}`);
      assert.ok(maxAbs(g0.sub(g1)) < 1e-5, `gradient differs by ${maxAbs(g0.sub(g1))}`);
      assert.ok(maxAbs(g1) > 0);
    }));
