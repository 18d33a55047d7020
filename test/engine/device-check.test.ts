import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { addonPath } from '../../src/engine/native.ts';

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
    reference: { maxError: number };
    train: { steps: number; maxDiffVsCpu: number };
    search: { docs: number; queriesPerSec: number }[];
  };
  assert.equal(r.ok, true);
  assert.ok(r.reference.maxError <= 2e-4);
  assert.equal(r.train.steps, 2);
  assert.deepEqual(
    r.search.map((s) => s.docs),
    [1500],
  );
  assert.ok(r.search[0]!.queriesPerSec > 0);
});
