// Process-wide engine settings: grad mode, seeding, threads, devices.
import { availableParallelism } from 'node:os';
import { native } from './native.ts';
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
export function isGradEnabled(): boolean { return native.isGradEnabled(); }

/** Seeds libtorch's generators (dropout, randn, randperm). */
export function manualSeed(seed: number): void { native.manualSeed(seed); }
/** The CPU generator's state, to save in a checkpoint (uint8 tensor). */
export function getRngState(): Tensor { return new Tensor(native.getRngState()); }
export function setRngState(state: Tensor): void { native.setRngState(state.handle); }

/**
 * Sets libtorch's intra-op thread count. libtorch starts with ONE thread on some VMs, so
 * ftlab always sets it: `n` when given, else every available core.
 */
export function setThreads(n?: number): number {
  const want = n ?? availableParallelism();
  if (!Number.isInteger(want) || want < 1) throw new Error(`--threads must be a positive integer, got ${n}`);
  native.setNumThreads(want);
  return native.getNumThreads();
}
export function getThreads(): number { return native.getNumThreads(); }

export function cudaAvailable(): boolean { return native.cudaIsAvailable(); }

/** Resolves 'auto' | 'cpu' | 'cuda[:N]' and checks the device exists. */
export function resolveDevice(name = 'auto'): string {
  if (name === 'auto') return native.cudaIsAvailable() ? 'cuda' : 'cpu';
  if (name === 'cpu') return 'cpu';
  if (/^cuda(:\d+)?$/.test(name)) {
    if (!native.cudaIsAvailable()) {
      throw new Error(`--device ${name}: this libtorch has no CUDA (or no GPU is visible); rebuild against a CUDA libtorch (LIBTORCH=...) or use --device cpu`);
    }
    return name;
  }
  throw new Error(`--device must be auto, cpu or cuda[:N], got '${name}'`);
}

/** Waits for queued GPU work (timing). A no-op on CPU. */
export function synchronize(): void { native.synchronize(); }
export function liveTensors(): number { return native.liveTensors(); }
export function engineInfo(): { torch: string; threads: number; cuda: boolean; parallel: string } {
  return { torch: native.version(), threads: native.getNumThreads(), cuda: native.cudaIsAvailable(), parallel: native.parallelInfo() };
}
