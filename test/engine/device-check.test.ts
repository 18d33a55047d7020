import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addonPath } from '../../src/engine/native.ts';
import { REPO } from '../helpers/tiny-model.ts';

// scripts/device-check.sh is meant for a GPU machine; here it runs on CPU at tiny sizes with the
// current addon, so that it does not rot.
test('scripts/device-check.sh --device cpu prints one JSON line of passing checks', { timeout: 300_000 }, () => {
  const out = execFileSync(
    'bash',
    [
      'scripts/device-check.sh',
      '--device',
      'cpu',
      '--steps',
      '2',
      '--batch',
      '2',
      '--passages',
      '16',
      '--queries',
      '20',
      '--docs',
      '1500',
      '--chunk',
      '1000',
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, FTLAB_ADDON: addonPath(), NODE: process.execPath },
    },
  );
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1);
  const r = JSON.parse(lines[0]!) as {
    ok: boolean;
    reference: { text: string; dims: number; first: number[]; maxError: number };
    train: { steps: number; maxDiffVsCpu: number };
    search: { docs: number; queriesPerSec: number }[];
  };
  assert.equal(r.ok, true);
  // on CPU the check's vector is PyTorch's (test/fixtures/sentence-encoder-reference.json), every dimension
  const ref = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'sentence-encoder-reference.json'), 'utf8')) as {
    texts: string[];
    vectors: number[][];
  };
  assert.equal(r.reference.text, ref.texts[0]);
  assert.equal(r.reference.dims, 384);
  assert.deepEqual(
    r.reference.first,
    ref.vectors[0]!.slice(0, 3).map((x) => Number(x.toFixed(5))),
  );
  assert.ok(r.reference.maxError <= 2e-6, `CPU vector off PyTorch's by ${r.reference.maxError}`);
  assert.equal(r.train.steps, 2);
  assert.deepEqual(
    r.search.map((s) => s.docs),
    [1500],
  );
  assert.ok(r.search[0]!.queriesPerSec > 0);
});
