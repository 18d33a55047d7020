// Two folds on 2 workers run phase by phase, not fold by fold: each fold's negatives are mined
// once (by the worker that claimed it), every fold's sweep values are trained before any
// fold's units, and the units of both folds share one queue; results.json equals one
// process's. Fold by fold, the first fold's units ran before the second fold's sweeps, and a
// worker idled at every fold's end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distributedInfo } from '../../src/engine/index.ts';
import type { StudyResults } from '../../src/report/schema.ts';
import { ftlab } from '../helpers/cli.ts';
import { hasShared, SHARED_MSMARCO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

const skip = !distributedInfo().gloo
  ? 'this engine build has no c10d/Gloo (libtorch 1.13 or no libgloo-dev)'
  : hasShared
    ? false
    : `${SHARED_MSMARCO} absent`;

const SMALL = [
  ...['--folds', 'both', '--seeds', '2', '--steps', '4', '--batch-size', '4', '--sweeps'],
  ...['--arms', 'full-random,lora-hard-lr1e-3', '--rerank-depth', '20', '--validation-depth', '10'],
  ...['--mining-depth', '60', '--timing-queries', '0', '--geometry-pairs', '0', '--no-umap'],
  ...['--threads', '1', '--device', 'cpu'],
];

function comparable(run: string): unknown {
  const r = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as StudyResults;
  const { environment: _e, timing: _t, ...rest } = r;
  return JSON.parse(
    JSON.stringify(rest, (k, v) => (k === 'trainSeconds' ? 'seconds' : v))
      .replaceAll(run, 'RUN')
      .replace(/trained in \d+(\.\d+)? s/g, 'trained in N s'),
  );
}

test('two folds on 2 workers: negatives mined once a fold, every sweep before any unit, one queue of units; the same results.json as one process', {
  skip,
}, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const args = (out: string) => ['study', '--data', SHARED_MSMARCO, '--output', out, '--model', model, ...SMALL];
  const one = join(root, 'one');
  const two = join(root, 'two');
  const single = ftlab(args(one));
  assert.equal(single.code, 0, single.stderr);
  const spread = ftlab(['launch', '--nproc', '2', '--', ...args(two)]);
  assert.equal(spread.code, 0, spread.stderr);

  for (const fold of ['dl20->dl19', 'dl19->dl20'])
    assert.equal(spread.stderr.split(`negatives ${fold}: `).length - 1, 1, `${fold} mined once`);
  const runs = [...spread.stderr.matchAll(/^study: worker \d of 2 runs (.+)$/gm)].map((m) => m[1]!);
  const lastSweep = runs.map((r) => r.startsWith('sweep ')).lastIndexOf(true);
  const firstUnit = runs.findIndex((r) => !r.startsWith('sweep '));
  assert.equal(runs.filter((r) => r.startsWith('sweep ')).length, 4, '2 values x 2 folds');
  assert.ok(lastSweep < firstUnit, `every sweep before any unit:\n${runs.join('\n')}`);
  assert.deepEqual(comparable(two), comparable(one));
});
