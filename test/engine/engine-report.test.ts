import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { engineReport, engineWarnings, setThreads } from '../../src/engine/index.ts';

test('engineWarnings: pthread OpenBLAS in an OpenMP libtorch, and one thread on many cores', () => {
  const pthread = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0';
  const openmp = '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0';
  assert.equal(engineWarnings({ parallel: 'OpenMP', loaded: [pthread], threads: 2, cores: 2 }).length, 1);
  assert.match(engineWarnings({ parallel: 'OpenMP', loaded: [pthread], threads: 2, cores: 2 })[0]!, /pthread OpenBLAS/);
  assert.deepEqual(engineWarnings({ parallel: 'OpenMP', loaded: [openmp], threads: 2, cores: 2 }), []);
  assert.deepEqual(engineWarnings({ parallel: 'native thread pool', loaded: [pthread], threads: 2, cores: 2 }), []);
  assert.match(engineWarnings({ parallel: 'OpenMP', loaded: [], threads: 1, cores: 8 })[0]!, /1 thread on a 8-core/);
  assert.deepEqual(engineWarnings({ parallel: 'OpenMP', loaded: [], threads: 1, cores: 1 }), []);
});

/** Shared objects this process has mapped (/proc/self/maps): what the loader really loaded. */
function mappedLibraries(): string[] {
  const paths = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[5] ?? '');
  return [...new Set(paths.filter((p) => p.includes('.so')))];
}

/** The version of the libtorch at `lib`, from its headers (pip/libtorch zip or Debian layout) or its file name. */
function libtorchVersion(lib: string): string | null {
  const dir = dirname(lib);
  for (const h of [
    join(dir, '..', 'include', 'torch', 'headeronly', 'version.h'),
    join(dir, '..', 'include', 'torch', 'version.h'),
    join(dir, '..', 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'),
    '/usr/include/torch/csrc/api/include/torch/version.h',
  ]) {
    if (!existsSync(h)) continue;
    const text = readFileSync(h, 'utf8');
    const part = (k: string): string | undefined => new RegExp(`#define TORCH_VERSION_${k}\\s+(\\d+)`).exec(text)?.[1];
    if (part('MAJOR') !== undefined) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  }
  return /\.so\.(\d+\.\d+(\.\d+)?)$/.exec(lib)?.[1] ?? null;
}

test('engineReport names the libtorch this process loaded (its headers say the version), its threads and cores', () => {
  const r = engineReport();
  const lib = mappedLibraries().find((p) => /\/libtorch_cpu\.so/.test(p));
  assert.ok(lib, 'libtorch_cpu is mapped into the process');
  const version = libtorchVersion(lib);
  assert.ok(version, `no version for ${lib}`);
  assert.ok(r.torch.startsWith(version), `engineReport says libtorch ${r.torch}; ${lib} is ${version}`);
  assert.equal(r.cores, availableParallelism());
  const before = r.threads;
  try {
    for (const n of [1, 2]) {
      setThreads(n);
      assert.equal(engineReport().threads, n);
    }
  } finally {
    setThreads(before);
  }
  // the OpenMP runtime it reports is one the process mapped
  if (r.parallel === 'OpenMP') assert.ok(mappedLibraries().some((p) => /lib(g|i)omp/.test(p)));
  for (const l of r.loadedLibraries) assert.ok(mappedLibraries().includes(l), `${l} is not mapped`);
  assert.notEqual(r.blas, 'unknown');
  assert.notEqual(r.parallel, 'unknown');
  // Debian's 1.13 must run on the OpenMP OpenBLAS (scripts/setup.sh points libopenblas.so.0 at it).
  for (const l of r.loadedLibraries) assert.doesNotMatch(l, /openblas-pthread/);
});

test('ftlab doctor --json reports the same engine', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bin/ftlab.js', 'doctor', '--json', '--threads', '1'],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out) as { torch: string; threads: number; warnings: string[] };
  assert.equal(r.torch, engineReport().torch);
  assert.equal(r.threads, 1);
});
