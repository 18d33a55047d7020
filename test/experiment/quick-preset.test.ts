// `ftlab study` (quick preset) on the real TREC DL files with a tiny model: the run, its
// resume rules (same flags: nothing retrained; another seed: retrained, saying why; with
// --no-retrain: an error) and a complete results.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { hasShared, REPO, SHARED_MSMARCO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import type { StudyResults } from '../../src/report/schema.ts';

test('quick preset with a tiny model: dose points, validation choice, reuse and retrain rules', {
  skip: hasShared ? false : `${SHARED_MSMARCO} absent`,
}, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const args = [
    'study',
    '--output',
    out,
    '--data',
    SHARED_MSMARCO,
    '--model',
    model,
    '--folds',
    'one',
    '--steps',
    '4',
    '--batch-size',
    '4',
    '--arms',
    'full-hard,lora-random,recipe-l2sp',
    '--rerank-depth',
    '20',
    '--validation-depth',
    '10',
    '--mining-depth',
    '60',
    '--timing-queries',
    '10',
    '--geometry-pairs',
    '10',
    '--no-umap',
    '--threads',
    '1',
    '--device',
    'cpu',
  ];
  const r = ftlab(args);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  for (const k of ['config', 'retrieval', 'dose', 'timing', 'training', 'geometry', 'curves', 'environment'] as const)
    assert.ok(res[k] !== null && res[k] !== undefined, k);
  assert.equal(res.config.folds[0]!.name, 'dl20->dl19');
  const table = res.retrieval[0]!.table;
  assert.equal(table.queries, 43);
  assert.equal(table.rows[1]!.metrics['R(rel=2)@100']!.identicalByConstruction, true);
  assert.equal(table.rows[1]!.metrics['nDCG@10']!.identicalByConstruction, false);
  // dose: 0, 25, 50, 100% of 4 steps for each arm; 0% is the base model's evaluation
  const dose = res.dose.filter((d) => d.arm === 'full-hard');
  assert.deepEqual(
    dose.map((d) => d.step),
    [0, 1, 2, 4],
  );
  assert.equal(dose[0]!.metrics['nDCG@10'], table.rows[0]!.metrics['nDCG@10']!.mean);
  // the chosen checkpoint is the validation best, and its test numbers are that step's snapshot
  const chosen = res.training.find((t) => t.model === 'full-hard')!.validation!;
  assert.equal(chosen.metric, 'nDCG@10');
  const snap = res.dose.find((d) => d.arm === 'full-hard' && d.step === chosen.step);
  if (snap) assert.equal(snap.metrics['nDCG@10'], table.rows[1]!.metrics['nDCG@10']!.mean);

  const again = ftlab(args);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /retraining/);
  assert.equal((again.stderr.match(/reusing the finished training/g) ?? []).length, 3);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).retrieval, res.retrieval);

  const strict = ftlab([...args, '--seed', '7', '--no-retrain', '--quiet']);
  assertOneLineError(strict, /trained differently \(.*seed 42 -> 7/);
  const reseeded = ftlab([...args, '--seed', '7']);
  assert.equal(reseeded.code, 0, reseeded.stderr);
  assert.match(
    reseeded.stderr,
    /full-hard \(dl20->dl19\): .* was trained differently \(.*seed 42 -> 7.*\): retraining from scratch/,
  );
  // the seed decides the validation split and the negatives: the failed strict run already redid that stage
  assert.match(reseeded.stderr, /stage negatives\.dl20-dl19: reused/);
});

test('Ctrl-C in the middle of an arm (recipe-l2sp: its weight anchor must be the start, not the checkpoint): a checkpoint, exit 130; the same command continues it, and the results equal an uninterrupted run', {
  skip: hasShared ? false : `${SHARED_MSMARCO} absent`,
}, async () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const args = (out: string): string[] => [
    'study',
    '--output',
    out,
    '--data',
    SHARED_MSMARCO,
    '--model',
    model,
    '--folds',
    'one',
    '--steps',
    '200',
    '--batch-size',
    '4',
    '--arms',
    'recipe-l2sp',
    '--rerank-depth',
    '20',
    '--validation-depth',
    '10',
    '--mining-depth',
    '60',
    '--timing-queries',
    '0',
    '--geometry-pairs',
    '0',
    '--no-umap',
    '--threads',
    '1',
    '--device',
    'cpu',
  ];
  const whole = join(root, 'whole');
  const w = ftlab(args(whole));
  assert.equal(w.code, 0, w.stderr);

  const cut = join(root, 'cut');
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ftlab.js'), ...args(cut)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  const log = join(cut, 'models', 'dl20-dl19', 'recipe-l2sp', 'seed-0', 'log.jsonl');
  const steps = (): number =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"type":"step"')).length
      : 0;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (steps() < 60 && !done) await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, `the study ended before it could be interrupted: ${stderr}`);
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  const m =
    /recipe-l2sp \(dl20->dl19\): interrupted at step (\d+) of 200: checkpoint saved in \S+; finished stages and arms are kept: run the same study command to continue/.exec(
      stderr,
    );
  assert.ok(m, stderr);
  assert.ok(Number(m[1]) < 200, 'stopped before the end');
  assert.equal(existsSync(join(cut, 'results.json')), false, 'no results from an unfinished study');

  const resumed = ftlab(args(cut));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /recipe-l2sp \(dl20->dl19\): continuing the interrupted training/);
  assert.doesNotMatch(resumed.stderr, /starting fresh|retraining/, 'continued from the checkpoint');
  const logSteps = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(
    logSteps,
    Array.from({ length: 200 }, (_, i) => i + 1),
    'one log, steps 1-200 once each',
  );
  assert.match(resumed.stderr, /stage negatives\.dl20-dl19: reused/);
  const a = JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8')) as StudyResults;
  const b = JSON.parse(readFileSync(join(cut, 'results.json'), 'utf8')) as StudyResults;
  assert.deepEqual(b.retrieval, a.retrieval);
  assert.deepEqual(b.dose, a.dose);
  const strip = (t: StudyResults['training']): unknown => t.map((x) => ({ ...x, trainSeconds: 0, modelPath: '' }));
  assert.deepEqual(strip(b.training), strip(a.training));
});

test('the quick preset plans both folds, one epoch over every training positive; --folds one the first only', {
  skip: hasShared ? false : `${SHARED_MSMARCO} absent`,
}, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const plan = (...extra: string[]) => {
    const r = ftlab([
      ...['study', '--plan', '--data', SHARED_MSMARCO, '--model', model, '--output', join(root, 'run')],
      ...['--arms', 'full-hard', '--timing-queries', '0', '--geometry-pairs', '0', '--threads', '1', ...extra],
    ]);
    assert.equal(r.code, 0, r.stderr);
    return [...r.stderr.matchAll(/(dl\d\d->dl\d\d): train full-hard \(1 epochs = (\d+) steps x 16/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
  };
  const both = plan();
  assert.deepEqual(
    both.map(([fold]) => fold),
    ['dl20->dl19', 'dl19->dl20'],
  );
  // every positive once: more than the 24 steps x 16 = 384 positives the preset sampled before
  for (const [, steps] of both) assert.ok((steps as number) > 24, `${steps} steps`);
  assert.deepEqual(plan('--folds', 'one'), [both[0]]);
});
