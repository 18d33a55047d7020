import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { engineReport, engineWarnings } from '../../src/engine/index.ts';

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

test('engineReport names the running libtorch, its BLAS and threads', () => {
  const r = engineReport();
  assert.match(r.torch, /^\d+\.\d+\.\d+/);
  assert.ok(r.threads >= 1 && r.cores >= 1);
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
