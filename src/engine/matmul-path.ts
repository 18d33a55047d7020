// Which GEMM path is fastest on the running CPU, measured rather than assumed: MKL's sgemm
// runs its AVX2 path on AMD CPUs, where oneDNN's AVX-512 kernels can be 2x faster; on an
// AVX2-only CPU the two are on par. A short probe (~1 s, once per machine: cached) times one
// MiniLM-shaped linear layer [256 x 384] x [384 x 1536] on each path, interleaved, best of
// four ~10 ms rounds after a warm-up, and checks each fp32 path's result against MKL's: a path that is not fp32
// to 1e-5 (relative to the largest output) is never chosen for fp32.
// The result is kept per machine (CPU, ISA, libtorch, threads) in the cache folder
// ($FTLAB_CACHE, else ~/.cache/ftlab: engine/matmul-probe-KEY.json), so one machine always takes
// the same path (same numbers run to run) and a contended moment's probe can be redone with
// `ftlab doctor --probe`.
//   FTLAB_FP32_PATH=mkl|onednn forces the fp32 choice (tests compare the two paths with it).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { allocatorLine } from './allocator.ts';
import { cpuInfo, hasBf16, type CpuInfo } from './cpu-info.ts';
import { UserError } from '../errors.ts';
import { native } from './native.ts';
import { tidy } from './scope.ts';
import { PreparedLinear, kernelName, type LinearKernel, type Precision } from './prepared-linear.ts';
import { randn, type Tensor } from './tensor.ts';

export interface PathProbe {
  cpu: CpuInfo;
  torch: string;
  threads: number;
  /** Linear layers in fp32: MKL's sgemm or oneDNN on prepacked weights. */
  fp32Linear: LinearKernel;
  /** Other fp32 matmuls (search scores, training): libtorch's precision mode ('medium' lets oneDNN take them). */
  matmulPrecision: 'highest' | 'medium';
  /** The int8 kernel (quantized engine) that measured fastest; null when this libtorch has none. */
  int8: LinearKernel | null;
  /** bf16 linear layers need oneDNN's packed linear; false on libtorch 1.13. */
  bf16Available: boolean;
  /** GFLOP/s (GOP/s for int8) per path, and each fp32 path's largest difference to MKL relative to max |y|. */
  figures: { path: string; gflops: number; relDiff?: number }[];
  forced: boolean;
  /** When the figures were measured (ISO time), and whether they came from the cache file. */
  measuredAt: string;
  cached: boolean;
}

const M = 256;
const K = 384;
const N = 1536;
const FP32_TOLERANCE = 1e-5;

let probed: PathProbe | null = null;

function probeFile(): string {
  const cpu = cpuInfo();
  const key = createHash('sha256')
    .update(JSON.stringify([cpu.model, cpu.isa, native.version(), native.getNumThreads(), PROBE_VERSION]))
    .digest('hex')
    .slice(0, 16);
  const dir = process.env.FTLAB_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ftlab');
  return join(dir, 'engine', `matmul-probe-${key}.json`);
}
const PROBE_VERSION = 3; // 2: results freed in scope, warm-up, ~10 ms rounds; 3: int8-onednn-qlinear

function readCached(file: string): PathProbe | null {
  if (!existsSync(file)) return null;
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Partial<PathProbe> | null;
    // a damaged or older file (a valid JSON of another shape too) is measured again, not trusted
    const kinds = ['fp32-mkl', 'fp32-onednn'];
    if (
      !p ||
      !kinds.includes(p.fp32Linear?.kind as string) ||
      (p.matmulPrecision !== 'highest' && p.matmulPrecision !== 'medium') ||
      !Array.isArray(p.figures) ||
      typeof p.bf16Available !== 'boolean' ||
      (p.int8 !== null && p.int8?.kind !== 'int8')
    )
      return null;
    return { ...(p as PathProbe), cached: true };
  } catch {
    return null;
  }
}

function writeCached(file: string, p: PathProbe): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(p)}\n`);
    renameSync(`${file}.${process.pid}.tmp`, file);
  } catch {
    // a read-only cache folder: the probe runs again next time
  }
}

/**
 * The probe's result for this machine (measured at the first call of the first process, then
 * read from the cache file), with the matmul precision applied. `fresh` measures again.
 */
export function matmulPaths(fresh = false): PathProbe {
  if (probed && !fresh) return probed;
  const file = probeFile();
  const forced = process.env.FTLAB_FP32_PATH;
  let p = fresh || forced ? null : readCached(file);
  if (!p) {
    p = tidy(() => runProbe());
    if (!forced) writeCached(file, p);
  }
  probed = p;
  native.setMatmulPrecision(p.matmulPrecision);
  return p;
}

/**
 * Sets the fp32 path by hand for the rest of the process (tests compare the two paths'
 * vectors): 'mkl' is libtorch's linear at 'highest' precision, 'onednn' the packed linear
 * with 'medium' where the probe measured that to be fp32.
 */
export function forceFp32Path(path: 'mkl' | 'onednn'): void {
  const p = matmulPaths();
  if (path === 'onednn' && !p.figures.some((f) => f.path === 'fp32-onednn'))
    throw new Error(`libtorch ${p.torch} has no oneDNN packed linear`);
  p.fp32Linear = { kind: path === 'mkl' ? 'fp32-mkl' : 'fp32-onednn' };
  const mediumExact = (p.figures.find((f) => f.path === 'fp32-medium')?.relDiff ?? 1) <= FP32_TOLERANCE;
  p.matmulPrecision = path === 'onednn' && mediumExact ? 'medium' : 'highest';
  p.forced = true;
  native.setMatmulPrecision(p.matmulPrecision);
}

/** The linear kernel for a precision, from the probe; throws where this libtorch cannot run it. */
export function linearKernelFor(precision: Precision): LinearKernel {
  const p = matmulPaths();
  if (precision === 'fp32') return p.fp32Linear;
  if (precision === 'bf16') {
    if (!p.bf16Available)
      throw new UserError(
        `--precision bf16 is not available in libtorch ${p.torch} (needs oneDNN's packed linear, libtorch 2.x)`,
      );
    return { kind: 'bf16' };
  }
  if (!p.int8) throw new UserError(`--precision int8 is not available in libtorch ${p.torch} (no quantized engine)`);
  return p.int8;
}

/** One line for benchmarks and doctor: CPU, ISA, chosen paths and the probe's figures. */
export function pathLine(p: PathProbe = matmulPaths()): string {
  const figs = p.figures
    .map(
      (f) =>
        `${f.path} ${f.gflops.toFixed(0)}${f.relDiff !== undefined ? ` (diff ${f.relDiff.toExponential(1)})` : ''}`,
    )
    .join(', ');
  return (
    `CPU: ${p.cpu.model} [${p.cpu.isa.join(' ') || 'no AVX2'}], ${p.threads} threads, libtorch ${p.torch}; ` +
    `fp32 linear: ${kernelName(p.fp32Linear)}${p.forced ? ' (forced by FTLAB_FP32_PATH)' : ''}, fp32 matmul precision: ${p.matmulPrecision}, ` +
    `int8: ${p.int8 ? kernelName(p.int8) : 'not available'}, bf16: ${p.bf16Available ? (hasBf16(p.cpu) ? 'native' : 'emulated (no BF16 in this CPU)') : 'not available'}; ` +
    `probe GFLOP/s [${M}x${K}]x[${K}x${N}]${p.cached ? ` (cached, measured ${p.measuredAt})` : ''}: ${figs}; ` +
    `${attentionLine()}; ${allocatorLine()}`
  );
}

/** Which attention forward runs: the hand-written kernel (its ISA per head size) or libtorch's ops. */
export function attentionLine(): string {
  const sizes = [8, 16, 32, 64, 128].map((d) => [d, native.fusedAttentionIsa(d)] as const).filter(([, isa]) => isa);
  if (sizes.length === 0) return 'attention (forward): libtorch';
  const byIsa = new Map<string, number[]>();
  for (const [d, isa] of sizes) byIsa.set(isa, [...(byIsa.get(isa) ?? []), d]);
  const parts = [...byIsa].map(
    ([isa, ds]) => `${isa.toUpperCase().replace('AVX512', 'AVX-512')} for head size ${ds.join('/')}`,
  );
  return `attention (forward): hand-written, ${parts.join(', ')}`;
}

// The result is freed inside the scope: a kept one (freed only at GC) makes every call fault in
// fresh pages, which timed all paths alike at a third of their speed (probe version 1's error).
function seconds(fn: () => Tensor): number {
  const t0 = performance.now();
  tidy(() => {
    fn();
  });
  return (performance.now() - t0) / 1000;
}

function maxRelDiff(a: Tensor, ref: Tensor): number {
  const x = a.f32();
  const y = ref.f32();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

function runProbe(): PathProbe {
  const cpu = cpuInfo();
  const torch = native.version();
  const x = randn([M, K]);
  const w = randn([N, K]).mul(0.05);
  const b = randn([N]);
  const onednn = native.hasOp('mkldnn::_linear_pointwise') && native.hasOp('mkldnn::_reorder_linear_weight');
  const vnni = cpu.isa.some((i) => i.includes('VNNI') || i === 'AMX-INT8');
  const engines = native.hasOp('quantized::linear_dynamic')
    ? native.quantEngines().filter((e) => e === 'fbgemm' || e === 'onednn' || e === 'x86')
    : [];

  // Each candidate: name, one call, and whether it must match fp32.
  const candidates: { path: string; run: () => Tensor; fp32: boolean; kernel?: LinearKernel; after?: () => void }[] =
    [];
  const mkl = PreparedLinear.prepare({ kind: 'fp32-mkl' }, w, b, { batchHint: M });
  candidates.push({ path: 'fp32-mkl', run: () => mkl.apply(x), fp32: true, kernel: mkl.kernel });
  candidates.push({
    path: 'fp32-medium',
    run: () => {
      native.setMatmulPrecision('medium');
      try {
        return x.matmul(w.transpose(0, 1)).add(b);
      } finally {
        native.setMatmulPrecision('highest');
      }
    },
    fp32: true,
  });
  const prepared: PreparedLinear[] = [mkl];
  const add = (kernel: LinearKernel, fp32: boolean): void => {
    try {
      const p = PreparedLinear.prepare(kernel, w, b, { batchHint: M });
      prepared.push(p);
      candidates.push({ path: kernelName(kernel), run: () => p.apply(x), fp32, kernel });
    } catch {
      // a path this libtorch or CPU refuses is left out of the probe
    }
  };
  if (onednn) add({ kind: 'fp32-onednn' }, true);
  if (onednn) add({ kind: 'bf16' }, false);
  for (const engine of engines) add({ kind: 'int8', engine, reduceRange: engine !== 'onednn' && !vnni }, false);

  // oneDNN compiles a kernel at its first call and a ~1 ms call is at the timer's mercy: each
  // candidate warms up, then is timed over rounds of enough calls to last ~10 ms, interleaved so
  // that a busy moment hits every path alike; the best round counts.
  const calls = candidates.map((c) => {
    for (let i = 0; i < 3; i++) seconds(c.run);
    return Math.max(1, Math.ceil(0.01 / Math.max(seconds(c.run), 1e-6)));
  });
  const best = candidates.map(() => Number.POSITIVE_INFINITY);
  const forcedPath = process.env.FTLAB_FP32_PATH;
  const rounds = 4;
  for (let r = 0; r < rounds; r++) {
    candidates.forEach((c, i) => {
      const t0 = performance.now();
      for (let k = 0; k < calls[i]!; k++)
        tidy(() => {
          c.run();
        });
      best[i] = Math.min(best[i]!, (performance.now() - t0) / 1000 / calls[i]!);
    });
  }
  const ref = mkl.apply(x);
  const figures = candidates.map((c, i) => ({
    path: c.path,
    gflops: (2 * M * K * N) / best[i]! / 1e9,
    relDiff: c.fp32 ? tidy(() => maxRelDiff(c.run(), ref)) : undefined,
  }));
  for (const p of prepared) p.dispose();

  const fig = (path: string) => figures.find((f) => f.path === path);
  const exact = (path: string) => {
    const f = fig(path);
    return f !== undefined && (f.relDiff ?? 1) <= FP32_TOLERANCE;
  };
  const faster = (a: string, than: string) => exact(a) && fig(a)!.gflops > fig(than)!.gflops;
  let fp32Linear: LinearKernel = faster('fp32-onednn', 'fp32-mkl') ? { kind: 'fp32-onednn' } : { kind: 'fp32-mkl' };
  if (forcedPath === 'mkl') fp32Linear = { kind: 'fp32-mkl' };
  else if (forcedPath === 'onednn') {
    if (!onednn) throw new UserError(`FTLAB_FP32_PATH=onednn: libtorch ${torch} has no oneDNN packed linear`);
    fp32Linear = { kind: 'fp32-onednn' };
  } else if (forcedPath) throw new UserError(`FTLAB_FP32_PATH must be mkl or onednn, got '${forcedPath}'`);
  const matmulPrecision =
    forcedPath === 'mkl'
      ? 'highest'
      : forcedPath === 'onednn' || faster('fp32-medium', 'fp32-mkl')
        ? 'medium'
        : 'highest';
  // A forced oneDNN still has to be fp32: refuse a CPU where 'medium' rounds to bf16.
  const safePrecision = matmulPrecision === 'medium' && !exact('fp32-medium') ? 'highest' : matmulPrecision;
  const int8 = figures
    .map((f, i) => ({ f, c: candidates[i]! }))
    .filter(({ c }) => c.kernel?.kind === 'int8')
    .sort((a, b) => b.f.gflops - a.f.gflops)[0]?.c.kernel;
  return {
    cpu,
    torch,
    threads: native.getNumThreads(),
    fp32Linear,
    matmulPrecision: safePrecision,
    int8: int8 ?? null,
    bf16Available: candidates.some((c) => c.kernel?.kind === 'bf16'),
    figures,
    forced: forcedPath !== undefined && forcedPath !== '',
    measuredAt: new Date().toISOString().slice(0, 19),
    cached: false,
  };
}
