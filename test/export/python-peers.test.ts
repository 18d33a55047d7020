// ftlab's exports loaded by the reference Python libraries: sentence-transformers loads the
// exported folder, onnxruntime runs its ONNX graph, PEFT applies the exported adapters to the
// base model — each gives the vectors ftlab gives (cosine >= 0.9999), and they are a fine-tune's
// vectors, not the base's. Needs the venv scripts/ci-peers.sh makes (CI does); skips without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, tmpDir } from '../helpers/tiny-model.ts';

const python = process.env.FTLAB_PEERS_PYTHON ?? join(REPO, '.cache', 'peers-venv', 'bin', 'python');
const have = existsSync(python);

test("sentence-transformers, onnxruntime and PEFT load the exports and give ftlab's vectors", {
  skip: !have && `needs ${python} (bash scripts/ci-peers.sh)`,
}, () => {
  const dir = tmpDir();
  const make = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/peers/make-fixtures.ts'), dir], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(make.status, 0, make.stderr);
  const check = spawnSync(python, [join(REPO, 'scripts/peers/check_peers.py'), dir], { encoding: 'utf8' });
  const result = JSON.parse(check.stdout.trim().split('\n').at(-1)!) as {
    ok: boolean;
    peers: Record<string, { minCosine?: number; differsFromBase?: boolean; error?: string } | string | number>;
  };
  for (const name of ['sentenceTransformers', 'onnxruntime', 'peft']) {
    const r = result.peers[name] as { minCosine?: number; differsFromBase?: boolean; error?: string };
    assert.equal(r.error, undefined, `${name}: ${r.error}`);
    assert.ok(r.minCosine! >= 0.9999, `${name}: min cosine ${r.minCosine}`);
    assert.equal(r.differsFromBase, true, `${name}: vectors equal the base model's (adapters not applied?)`);
  }
  assert.equal(result.peers.st_similarity_fn, 'cosine');
  assert.equal(result.peers.st_max_seq_length, 256);
  assert.equal(check.status, 0, check.stderr.slice(-2000));
});
