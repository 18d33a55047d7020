// The in-place restart with tcmalloc preloaded: the same process (pid), its stdin, stdout and
// exit code intact; glibc's malloc under FTLAB_ALLOCATOR=system or where tcmalloc is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tcmallocLibrary } from '../../src/engine/allocator.ts';
import { REPO } from '../helpers/tiny-model.ts';

// reads stdin, restarts (at the import), then prints its allocator, pid and what it read; exits 3
const script = `
import { readFileSync } from 'node:fs';
import { allocatorName, preloadTcmalloc } from ${JSON.stringify(join(REPO, 'src/engine/allocator.ts'))};
preloadTcmalloc();
const input = readFileSync(0, 'utf8');
process.stdout.write(JSON.stringify({ allocator: allocatorName(), pid: process.pid, input, preload: process.env.LD_PRELOAD ?? '', release: process.env.TCMALLOC_RELEASE_RATE ?? '' }));
process.exitCode = 3;
`;

function run(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    input: 'passage one\npassage two\n',
    encoding: 'utf8',
    env: { ...process.env, FTLAB_ALLOCATOR: '', LD_PRELOAD: '', TCMALLOC_RELEASE_RATE: undefined, ...env },
  });
  return { status: r.status, stderr: r.stderr, out: JSON.parse(r.stdout) as Record<string, string | number> };
}

test('restarts in place with tcmalloc where it is installed: same pid, stdin, stdout and exit code', () => {
  const r = run({});
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.out.input, 'passage one\npassage two\n');
  if (!tcmallocLibrary()) {
    assert.equal(r.out.allocator, 'glibc'); // nothing to preload: no restart
    return;
  }
  assert.equal(r.out.allocator, 'tcmalloc');
  assert.match(String(r.out.preload), /libtcmalloc_minimal/);
  assert.equal(r.out.release, '0'); // freed pages kept (faster encoding)
  assert.equal(run({ TCMALLOC_RELEASE_RATE: '2' }).out.release, '2'); // a rate the user set stands
  // the parent's child is the restarted process itself, not a wrapper around it
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO,
    input: '',
    encoding: 'utf8',
    env: { ...process.env, FTLAB_ALLOCATOR: '', LD_PRELOAD: '' },
  });
  assert.equal(child.pid, JSON.parse(child.stdout).pid);
});

test('FTLAB_ALLOCATOR=system keeps glibc malloc', () => {
  const r = run({ FTLAB_ALLOCATOR: 'system' });
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.out.allocator, 'glibc');
  assert.equal(r.out.preload, '');
});
