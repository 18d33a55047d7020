// The memory allocator under libtorch's tensors. glibc's malloc hands freed blocks of a size the
// next request does not ask for back to its pools or the kernel, so training on packed batches
// (new sizes every step) page-faults, zeroes and cache-misses its activations afresh: measured
// on bench:train (12 steps of batch 16 on new shapes, 2 threads), tcmalloc ran the same steps
// ~25-35% faster than glibc with less peak RSS. PyTorch's CPU tuning guide and its launcher
// (torch.backends.xeon.run_cpu) preload tcmalloc or jemalloc for this reason; jemalloc's
// defaults measured slower than glibc here (it returns pages eagerly).
//
// A preload has to be in place when the process starts, so the CLI (and each benchmark) restarts
// itself once, in place (execve: the same pid), with Debian's libtcmalloc-minimal4 in LD_PRELOAD,
// when the library is installed. FTLAB_ALLOCATOR=system keeps glibc's malloc.
//
// TCMALLOC_RELEASE_RATE=0 (unless set already): tcmalloc keeps the pages it frees instead of
// handing them back to the kernel bit by bit. Measured on the encode loop (2,000 pool passages,
// 2 threads, runs interleaved): +4-8% fp32 and +3-11% bf16 tokens/s; training unchanged, and the
// same peak RSS (the heap's high-water mark is what it keeps).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { addonPath } from './native.ts';

const TCMALLOC = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib64/libtcmalloc_minimal.so.4',
  '/usr/lib/libtcmalloc_minimal.so.4',
];

/** The tcmalloc library this machine has, or null. */
export function tcmallocLibrary(): string | null {
  return TCMALLOC.find((p) => existsSync(p)) ?? null;
}

/** The allocator this process runs on: tcmalloc when it is mapped into the process, else glibc's malloc. */
export function allocatorName(): 'tcmalloc' | 'glibc' | 'other' {
  if (process.platform !== 'linux') return 'other';
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('libtcmalloc') ? 'tcmalloc' : 'glibc';
  } catch {
    return 'other';
  }
}

/** One phrase for the engine's path line: which allocator, and how to get tcmalloc where it is missing. */
export function allocatorLine(): string {
  const name = allocatorName();
  if (name === 'tcmalloc')
    return `allocator: tcmalloc (preloaded, release rate ${process.env.TCMALLOC_RELEASE_RATE ?? 'its default'})`;
  if (process.env.FTLAB_ALLOCATOR === 'system') return `allocator: ${name} (FTLAB_ALLOCATOR=system)`;
  return `allocator: ${name} (tcmalloc not found: apt-get install libtcmalloc-minimal4 makes training ~25% faster)`;
}

/**
 * Restarts this process in place with tcmalloc preloaded, when it is installed, not already
 * preloaded, and not declined (FTLAB_ALLOCATOR=system). Returns (and the process goes on with
 * glibc's malloc) when any of that does not hold or the restart is refused.
 */
export function preloadTcmalloc(): void {
  const env = process.env;
  if (process.platform !== 'linux' || env.FTLAB_ALLOCATOR === 'system') return;
  if (env.FTLAB_ALLOCATOR === 'tcmalloc' || (env.LD_PRELOAD ?? '').includes('tcmalloc')) return; // restarted already
  const lib = tcmallocLibrary();
  const helper = join(dirname(addonPath()), 'ftlab_exec.node');
  if (!lib || !existsSync(helper)) return;
  const preload = env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib;
  const next = {
    ...env,
    LD_PRELOAD: preload,
    FTLAB_ALLOCATOR: 'tcmalloc',
    TCMALLOC_RELEASE_RATE: env.TCMALLOC_RELEASE_RATE ?? '0',
  };
  const { execve } = createRequire(import.meta.url)(helper) as {
    execve(path: string, argv: string[], env: string[], channelFd?: number): never;
  };
  try {
    execve(
      process.execPath,
      [process.argv0, ...process.execArgv, ...process.argv.slice(1)],
      Object.entries(next).map(([k, v]) => `${k}=${v}`),
      env.NODE_CHANNEL_FD ? Number(env.NODE_CHANNEL_FD) : undefined,
    );
  } catch {
    // refused (e.g. a seccomp policy): go on with glibc's malloc; the path line says which runs
  }
}
