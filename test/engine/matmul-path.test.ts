import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PreparedLinear,
  cat,
  kernelName,
  linear,
  manualSeed,
  matmulPaths,
  ones,
  parseCpuInfo,
  pathLine,
  randn,
  selfQuantizes,
  tidy,
  type LinearKernel,
} from '../../src/engine/index.ts';
import { native } from '../../src/engine/native.ts';

test('parseCpuInfo names the model and the GEMM-relevant ISA extensions', () => {
  const text = [
    'processor\t: 0',
    'vendor_id\t: AuthenticAMD',
    'cpu family\t: 26',
    'model name\t: AMD EPYC',
    'flags\t\t: fpu sse avx2 avx512f avx512bw avx_vnni avx512_bf16 avx512_vnni',
    '',
    'processor\t: 1',
    'model name\t: AMD EPYC',
  ].join('\n');
  assert.deepEqual(parseCpuInfo(text), {
    model: 'AMD EPYC (family 26)',
    isa: ['AVX2', 'AVX-512', 'AVX512-BF16', 'AVX-VNNI', 'AVX512-VNNI'],
  });
  assert.deepEqual(parseCpuInfo('model name : Intel Xeon\nflags : sse avx2 fma').isa, ['AVX2']);
});

test('the probe chooses an fp32 path that it measured to be fp32, and prints its figures', () => {
  const p = matmulPaths();
  const chosen = p.figures.find((f) => f.path === p.fp32Linear.kind);
  assert.ok(chosen, `the chosen path ${p.fp32Linear.kind} was measured`);
  assert.ok(chosen.relDiff! <= 1e-5, `chosen fp32 path differs from MKL by ${chosen.relDiff}`);
  assert.ok(p.figures.every((f) => f.gflops > 0 && Number.isFinite(f.gflops)));
  const line = pathLine(p);
  assert.match(line, /CPU: .+ \[/);
  assert.match(line, /fp32 linear: fp32-(mkl|onednn)/);
});

// Each prepared kernel against libtorch's plain fp32 linear on the same data. Bounds are relative
// to the largest |y|: fp32 to 1e-5; bf16 keeps 8 mantissa bits (2^-8 = 3.9e-3 per product, mostly
// cancelling over 384 terms); int8 has 255 levels per channel and per activation tensor.
test('every prepared linear kernel agrees with the plain fp32 linear', () => {
  const p = matmulPaths();
  const kernels: [LinearKernel, number][] = [[{ kind: 'fp32-mkl' }, 0]];
  if (p.figures.some((f) => f.path === 'fp32-onednn')) kernels.push([{ kind: 'fp32-onednn' }, 1e-5]);
  if (p.bf16Available) kernels.push([{ kind: 'bf16' }, 2e-2]);
  if (p.int8) kernels.push([p.int8, 5e-2]);
  tidy(() => {
    const x = randn([3, 7, 384]);
    const w = randn([1536, 384]).mul(0.05);
    const b = randn([1536]);
    const ref = linear(x, w, b);
    const scale = ref.abs().reshape([-1]).max(0).item();
    for (const [k, tol] of kernels) {
      const lin = PreparedLinear.prepare(k, w, b, { batchHint: 21 });
      const y = lin.apply(x);
      assert.deepEqual(y.shape, [3, 7, 1536]);
      const diff = y.sub(ref).abs().reshape([-1]).max(0).item() / scale;
      assert.ok(diff <= tol, `${k.kind}: relative difference ${diff} > ${tol}`);
      const g = lin.apply(x, 'gelu');
      const gdiff = g.sub(ref.gelu()).abs().reshape([-1]).max(0).item() / scale;
      assert.ok(gdiff <= Math.max(tol, 1e-6), `${k.kind} + gelu: relative difference ${gdiff}`);
      lin.dispose();
    }
  });
});

test('an input scale moves channels into the weight: the same product, and int8 holds outlier channels better', () => {
  const p = matmulPaths();
  manualSeed(5);
  tidy(() => {
    // x with a few outlier channels (as LayerNorm outputs have): per-tensor int8 activations lose the rest
    const boost = ones([384]);
    for (const c of [3, 77, 250]) boost.slice(0, c, c + 1).mulInPlace(40);
    const x = randn([64, 384]).mul(boost.unsqueeze(0));
    const w = randn([512, 384]).mul(0.05);
    const b = randn([512]);
    const ref = linear(x, w, b);
    const scale = ref.abs().reshape([-1]).max(0).item();
    const s = boost.sqrt(); // sqrt(range / max |w|) up to a constant
    const err = (k: LinearKernel, inputScale?: typeof s): number => {
      const lin = PreparedLinear.prepare(k, w, b, { batchHint: 64, inputScale });
      const e = lin.apply(x).sub(ref).abs().reshape([-1]).max(0).item() / scale;
      lin.dispose();
      return e;
    };
    assert.ok(err({ kind: 'fp32-mkl' }, s) <= 1e-5, 'fp32: the scale cancels out');
    if (p.int8) {
      const [plain, smoothed] = [err(p.int8), err(p.int8, s)];
      process.stderr.write(
        `int8 relative error: ${plain.toExponential(2)} plain, ${smoothed.toExponential(2)} smoothed\n`,
      );
      assert.ok(smoothed < plain / 2, `int8: ${smoothed} with the scale vs ${plain} without`);
    }
  });
});

test('outlier channels out of int8: all channels out is the fp32 product; two out hold GELU-like outliers; x reads the same after', {
  skip: !matmulPaths().int8 && 'no quantized engine in this libtorch',
}, () => {
  const k = matmulPaths().int8!;
  manualSeed(6);
  tidy(() => {
    // x like GELU's output: >= -0.17, with two channels an order of magnitude above the rest
    const boost = ones([1536]);
    for (const c of [40, 1001]) boost.slice(0, c, c + 1).mulInPlace(12);
    const x = randn([96, 1536]).gelu().mul(boost.unsqueeze(0));
    const before = x.f32().slice();
    const w = randn([384, 1536]).mul(0.03);
    const b = randn([384]);
    const ref = linear(x, w, b);
    const scale = ref.abs().reshape([-1]).max(0).item();
    const err = (outlierChannels: number): number => {
      const lin = PreparedLinear.prepare(k, w, b, { outlierChannels });
      const e = lin.apply(x).sub(ref).abs().reshape([-1]).max(0).item() / scale;
      lin.dispose();
      return e;
    };
    const all = err(1536);
    assert.ok(all <= 1e-5, `every channel in fp32: ${all}`);
    const [plain, split] = [err(0), err(2)];
    process.stderr.write(
      `int8 relative error: ${plain.toExponential(2)} plain, ${split.toExponential(2)} with 2 outlier channels\n`,
    );
    assert.ok(split < plain / 3, `int8: ${split} with the outliers out vs ${plain} without`);
    assert.deepEqual(x.f32(), before, 'the outlier channels are restored in x');
    // the same rows as [B, T, in] (a view of x), and as a strided slice of a wider tensor: the same
    // outputs, and neither input changes; no rows: no output rows
    const lin = PreparedLinear.prepare(k, w, b, { outlierChannels: 2 });
    const y = lin.apply(x).f32();
    const x3 = x.reshape([4, 24, 1536]);
    assert.deepEqual(lin.apply(x3).reshape([96, 384]).f32(), y);
    assert.deepEqual(x3.f32(), before);
    const wide = cat([x, randn([96, 8])], 1); // [96, 1544]
    const strided = wide.slice(1, 0, 1536);
    const wideBefore = wide.f32().slice();
    assert.deepEqual(lin.apply(strided).f32(), y);
    assert.deepEqual(wide.f32(), wideBefore);
    assert.deepEqual(lin.apply(x.slice(0, 0, 0)).shape, [0, 384]);
    lin.dispose();
    assert.throws(() => PreparedLinear.prepare({ kind: 'bf16' }, w, b, { outlierChannels: 2 }), /int8/);
  });
});

// ftlab's own activation quantization (oneDNN's qlinear_pointwise) against libtorch's dynamic
// linear on another engine: the same range, parameters and int8 weights, so the same int32 sums,
// except where an activation sits at a rounding tie (x * (1 / scale) is rounded from other float
// products): one such flip moves one row's outputs by |w| x one step. So: all but a few outputs
// equal to 1e-5, none off by more than a few steps. Plain, with SmoothQuant's scale folded in, and
// with outlier channels; and a NaN in x gives NaN out, as the dynamic path.
const dynamicEngine = native.hasOp('quantized::linear_dynamic')
  ? native.quantEngines().find((e) => e === 'fbgemm' || e === 'x86')
  : undefined;
test("int8 with ftlab quantizing the activations gives libtorch dynamic linear's numbers", {
  skip:
    !(selfQuantizes({ kind: 'int8', engine: 'onednn', reduceRange: false }) && dynamicEngine) &&
    'needs onednn::qlinear_pointwise and a dynamic engine (fbgemm or x86)',
}, () => {
  const self: LinearKernel = { kind: 'int8', engine: 'onednn', reduceRange: false };
  const dynamic: LinearKernel = { kind: 'int8', engine: dynamicEngine!, reduceRange: false };
  manualSeed(7);
  assert.match(kernelName(self), /qlinear/, 'this kernel quantizes the activations in ftlab');
  // 384 columns, and 100 (not a multiple of the 16-lane vectors: the loops' tails); 600 rows:
  // the column range in three tasks of 256 rows, merged
  for (const [rows, cols] of [
    [200, 384],
    [37, 100],
    [600, 100],
  ] as const)
    tidy(() => {
      const x = randn([rows, cols]).mul(
        ones([cols])
          .add(randn([cols]).abs().mul(3))
          .unsqueeze(0),
      ); // uneven channels
      const w = randn([256, cols]).mul(0.05);
      const b = randn([256]);
      const s = randn([cols]).abs().add(0.5);
      const scale = linear(x, w, b).abs().reshape([-1]).max(0).item();
      for (const opts of [{}, { inputScale: s }, { outlierChannels: 2 }]) {
        const [a, d] = [self, dynamic].map((k) => PreparedLinear.prepare(k, w, b, opts));
        const diff = a!.apply(x).sub(d!.apply(x)).abs().div(scale).reshape([-1]);
        const apart = diff.gt(1e-5).sum().item() / diff.shape[0]!;
        const max = diff.max(0).item();
        const what = `[${rows}, ${cols}] ${Object.keys(opts)}`;
        assert.ok(apart < 0.02 && max < 1e-2, `${what}: ${apart} of outputs apart, by up to ${max}`);
        const nan = x.clone();
        nan
          .slice(0, 5, 6)
          .slice(1, cols - 1, cols)
          .mulInPlace(Number.NaN); // in the last (tail) column
        assert.ok(Number.isNaN(a!.apply(nan).reshape([-1]).max(0).item()), `${what}: NaN in x, NaN out`);
        if ('outlierChannels' in opts)
          // the dynamic path's outlier split says so too (libtorch's own min/max may skip it)
          assert.ok(Number.isNaN(d!.apply(nan).reshape([-1]).max(0).item()), `${what}: dynamic, NaN out`);
        a!.dispose();
        d!.dispose();
      }
    });
});
