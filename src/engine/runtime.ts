// Process-wide engine settings: grad mode, seeding, threads, devices.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { native, addonPath, whenLoaded } from './native.ts';
import { Tensor } from './tensor.ts';

/** Runs fn with autograd off; the previous mode comes back in `finally`, also on a throw. */
export function noGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Seeds libtorch's generators (dropout, randn, randperm). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
/** The CPU generator's state, to save in a checkpoint (uint8 tensor). */
export function getRngState(): Tensor {
  return new Tensor(native.getRngState());
}
export function setRngState(state: Tensor): void {
  native.setRngState(state.handle);
}

/**
 * Sets libtorch's intra-op thread count. libtorch starts with ONE thread on some VMs, so
 * ftlab always sets it: `n` when given, else every available core.
 */
export function setThreads(n?: number): number {
  // ranks on one machine share its cores (LOCAL_WORLD_SIZE: torchrun and ftlab launch set it)
  const local = Number(process.env.LOCAL_WORLD_SIZE ?? 1);
  const want = n ?? Math.max(1, Math.floor(availableParallelism() / Math.max(1, local || 1)));
  if (!Number.isInteger(want) || want < 1) throw new Error(`--threads must be a positive integer, got ${n}`);
  native.setNumThreads(want);
  return native.getNumThreads();
}
export function getThreads(): number {
  return native.getNumThreads();
}

export function cudaAvailable(): boolean {
  return native.cudaIsAvailable();
}

/** Resolves 'auto' | 'cpu' | 'cuda[:N]' and checks the device exists. */
export function resolveDevice(name = 'auto'): string {
  if (name === 'auto') return native.cudaIsAvailable() ? 'cuda' : 'cpu';
  if (name === 'cpu') return 'cpu';
  if (/^cuda(:\d+)?$/.test(name)) {
    if (!native.cudaIsAvailable()) {
      throw new Error(
        `--device ${name}: this libtorch has no CUDA (or no GPU is visible); rebuild against a CUDA libtorch (LIBTORCH=...) or use --device cpu`,
      );
    }
    return name;
  }
  throw new Error(`--device must be auto, cpu or cuda[:N], got '${name}'`);
}

/** Waits for queued GPU work (timing). A no-op on CPU. */
export function synchronize(): void {
  native.synchronize();
}
export function liveTensors(): number {
  return native.liveTensors();
}
export function engineInfo(): { torch: string; threads: number; cuda: boolean; parallel: string } {
  return {
    torch: native.version(),
    threads: native.getNumThreads(),
    cuda: native.cudaIsAvailable(),
    parallel: native.parallelInfo(),
  };
}

/** What the engine runs on: libtorch, its BLAS and threading, devices, and what looks wrong. */
export interface EngineReport {
  torch: string;
  addon: string;
  /** ATen's parallel backend ("OpenMP", "native thread pool", ...). */
  parallel: string;
  /** The BLAS libtorch was built with (BLAS_INFO), plus the BLAS libraries actually loaded. */
  blas: string;
  mkl: boolean;
  onednn: string | null;
  loadedLibraries: string[];
  threads: number;
  cores: number;
  cudaDevices: number;
  warnings: string[];
}

export function engineReport(): EngineReport {
  const config = native.showConfig();
  const parallelInfo = native.parallelInfo();
  const parallel = /ATen parallel backend: (.+)/.exec(parallelInfo)?.[1]?.trim() ?? 'unknown';
  const blasInfo = /BLAS_INFO=([^,\s]+)/.exec(config)?.[1] ?? 'unknown';
  const loaded = loadedMathLibraries();
  const blasFiles = loaded.filter((l) => /lib(open)?blas|libmkl/.test(l));
  const threads = native.getNumThreads();
  const cores = availableParallelism();
  const cudaDevices = native.cudaIsAvailable() ? native.cudaDeviceCount() : 0;
  return {
    torch: native.version(),
    addon: addonPath(),
    parallel,
    blas: blasFiles.length > 0 ? `${blasInfo} (${blasFiles.join(', ')})` : blasInfo,
    mkl: /USE_MKL=ON/.test(config),
    onednn: /(?:MKL-DNN|oneDNN) (v[\d.]+)/.exec(config)?.[1] ?? null,
    loadedLibraries: loaded,
    threads,
    cores,
    cudaDevices,
    warnings: engineWarnings({ parallel, loaded, threads, cores }),
  };
}

/** The checks behind `ftlab doctor`'s warnings (pure, so tests can feed it any process). */
export function engineWarnings(o: { parallel: string; loaded: string[]; threads: number; cores: number }): string[] {
  const w: string[] = [];
  const pthreadBlas = o.loaded.find((l) => /\/openblas-pthread\//.test(l)); // Debian's layout
  if (pthreadBlas && /openmp/i.test(o.parallel)) {
    w.push(
      `the pthread OpenBLAS (${pthreadBlas}) is loaded into an OpenMP libtorch: matrix products run at ~60% speed. ` +
        "Point libopenblas.so.0 at the OpenMP build (scripts/setup.sh does), or use the torch wheel's libtorch (scripts/setup.sh default)",
    );
  }
  if (o.threads === 1 && o.cores > 1) {
    w.push(
      `libtorch uses 1 thread on a ${o.cores}-core machine (OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? 'unset'}; ftlab sets all cores unless --threads says otherwise)`,
    );
  }
  return w;
}

// Never silently slow: a BLAS/OpenMP mismatch is reported once, when the engine loads.
whenLoaded((engine) => {
  for (const w of engineWarnings({
    parallel: /ATen parallel backend: (.+)/.exec(engine.parallelInfo())?.[1] ?? '',
    loaded: loadedMathLibraries(),
    threads: 2,
    cores: 1,
  })) {
    process.stderr.write(`ftlab: warning: ${w}\n`);
  }
});

// Shared libraries of BLAS, LAPACK and OpenMP runtimes mapped into this process (Linux).
function loadedMathLibraries(): string[] {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.slice(line.indexOf('/'));
    if (line.includes('/') && /\/lib(open)?blas|\/liblapack|\/libmkl|\/lib[gi]omp|\/libdnnl/.test(file)) libs.add(file);
  }
  return [...libs].sort();
}
