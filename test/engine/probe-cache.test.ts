// The GEMM probe's per-machine cache file is read back only when it has the probe's shape: a
// damaged one that still parses as JSON ('{}', 'null', an older layout) used to end every
// command that loads the engine with exit 2 ("A string was expected") until it was deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, tmpDir } from '../helpers/tiny-model.ts';

function doctor(cache: string): { code: number; stderr: string; json: { paths: { cached: boolean } } | null } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'ftlab.js'), 'doctor', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, FTLAB_CACHE: cache, FTLAB_FP32_PATH: '' },
  });
  return { code: r.status ?? -1, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : null };
}

test('a cache file of the wrong shape is measured again and rewritten, not trusted', () => {
  const cache = tmpDir();
  assert.equal(doctor(cache).code, 0);
  const file = join(cache, 'engine', readdirSync(join(cache, 'engine'))[0]!);
  assert.equal(doctor(cache).json?.paths.cached, true, 'the second process reads the cache');
  for (const damaged of ['{}', 'null', '[1,2]', '{"fp32Linear":{"kind":"gpu"},"matmulPrecision":"medium"}']) {
    writeFileSync(file, damaged);
    const r = doctor(cache);
    assert.equal(r.code, 0, `${damaged}: ${r.stderr}`);
    assert.equal(r.json?.paths.cached, false, `${damaged}: measured again`);
    assert.match(readFileSync(file, 'utf8'), /"fp32Linear":\{"kind":"fp32-/, 'rewritten whole');
  }
});
