// `ftlab study --precision`: one run folder studied in fp32, then bf16, then fp32 again. The
// training (and the negatives it reads) is shared between precisions; every evaluation reruns in
// the new precision, under its own stage file, so going back to fp32 recomputes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matmulPaths } from '../../src/engine/index.ts';
import { readResults } from '../../src/report/read-results.ts';
import type { StudyResults } from '../../src/report/schema.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';
import { hasShared, SHARED_MSMARCO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

const skip = !hasShared
  ? `${SHARED_MSMARCO} absent`
  : !matmulPaths().bf16Available && 'no bf16 linear in this libtorch';

test('study --precision bf16 reuses the fp32 training and reruns only the evaluations', { skip }, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const args = [
    ...['study', '--output', out, '--data', SHARED_MSMARCO, '--model', model],
    ...['--folds', 'one', '--steps', '4', '--batch-size', '4', '--arms', 'full-hard', '--dose', '0,0.5,1'],
    ...['--rerank-depth', '20', '--validation-depth', '10', '--mining-depth', '60'],
    ...['--timing-queries', '10', '--geometry-pairs', '10', '--no-umap', '--threads', '1', '--device', 'cpu'],
  ];
  const stage = (name: string) => join(out, 'stages', `${name}.json`);

  const fp32 = ftlab(args);
  assert.equal(fp32.code, 0, fp32.stderr);
  assert.match(fp32.stderr, /precision: fp32 for every evaluation encode/);
  assert.match(fp32.stderr, /engine: CPU: .*fp32 linear: /);
  copyFileSync(join(out, 'results.json'), join(root, 'fp32.json'));
  const a = readResults(out); // validated by the zod schema
  assert.equal(a.config.precision, 'fp32');
  assert.match(a.environment.paths ?? '', /fp32 linear: .*bf16: /);
  assert.ok(a.dose.every((d) => d.precision === 'fp32'));

  const bf16 = ftlab([...args, '--precision', 'bf16']);
  assert.equal(bf16.code, 0, bf16.stderr);
  assert.match(bf16.stderr, /precision: bf16 for every evaluation encode/);
  // training and the triples it reads: reused, not retrained
  assert.match(bf16.stderr, /full-hard \(dl20->dl19\): reusing the finished training/);
  assert.doesNotMatch(bf16.stderr, /retraining/);
  assert.match(bf16.stderr, /stage negatives\.dl20-dl19: reused/);
  // the base's validation (every unit's step 0) is training's, in fp32: shared too
  assert.match(bf16.stderr, /stage validation\.dl20-dl19\.base: reused/);
  // evaluations: computed afresh in their own files, the fp32 ones kept
  assert.doesNotMatch(bf16.stderr, /stage eval\.[^:]*: reused/);
  for (const name of ['eval.dl20-dl19.rerank.base', 'eval.dl20-dl19.rerank.full-hard.seed-0.final']) {
    assert.ok(existsSync(stage(`${name}.bf16`)), name);
  }
  assert.ok(existsSync(stage('eval.dl20-dl19.rerank.base')));
  const b = readResults(out);
  assert.equal(b.config.precision, 'bf16');
  assert.ok(b.config.notes.some((n) => /Evaluation encodes ran in bf16/.test(n)));
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /evaluation encodes in bf16, training and its validation in fp32/);
  const train = b.environment.stages.find((s) => s.name.startsWith('train.'))!;
  assert.equal(train.cached, true);

  // dose: the base and the final model in bf16; the 50% point is training's fp32 snapshot, as before
  const dose = (r: StudyResults) => r.dose.filter((d) => d.arm === 'full-hard');
  assert.deepEqual(
    dose(b).map((d) => [d.step, d.precision]),
    [
      [0, 'bf16'],
      [2, 'fp32'],
      [4, 'bf16'],
    ],
  );
  assert.deepEqual(dose(b)[1]!.metrics, dose(a)[1]!.metrics);
  // against the bf16 base, an fp32 snapshot's delta would count bf16's own effect: none is given
  assert.equal(dose(b)[1]!.delta, undefined);
  assert.equal(dose(b)[1]!.ci, undefined);
  assert.notEqual(dose(b)[2]!.delta, undefined);
  assert.notEqual(dose(a)[1]!.delta, undefined);
  // bf16 moved the base's vectors, so its per-query scores are its own computation (not fp32's file)
  const baseOf = (name: string) => JSON.parse(readFileSync(stage(name), 'utf8')).value.perQuery;
  const fp32Base = baseOf('eval.dl20-dl19.rerank.base');
  const bf16Base = baseOf('eval.dl20-dl19.rerank.base.bf16');
  assert.deepEqual(Object.keys(bf16Base).sort(), Object.keys(fp32Base).sort());
  assert.equal(b.retrieval[0]!.table.queries, a.retrieval[0]!.table.queries);

  // back to fp32: every stage and the training reused, the same tables as the first run
  const again = ftlab(args);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /running it again|retraining/);
  assert.deepEqual(readResults(out).retrieval, JSON.parse(readFileSync(join(root, 'fp32.json'), 'utf8')).retrieval);

  // a bad value: one line, before any work
  assertOneLineError(ftlab([...args, '--precision', 'fp16']), /--precision must be fp32, bf16 or int8, got 'fp16'/);
});
