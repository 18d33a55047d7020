// Issue 8, item 1: a diverged run is an error, never a model; nonsense hyperparameters are
// refused before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, writeTinyModel, tinyConfig } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { ftlab, ftlabInProcess, assertOneLineError } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'), tinyConfig({ maxPositions: 64 }));
const triples = join(dir, 'triples.tsv');
writeFileSync(triples, triplesTsv(synthTriples(24)));
const common = ['--model', model, '--threads', '1', '--batch-size', '4', '--quiet', '--eval-fraction', '0'];

test('--lr 1e9 diverges: exit 1 naming the step, the last good checkpoint stays, no model is written', () => {
  const out = join(dir, 'diverged');
  const r = ftlab([
    'train',
    '--train',
    triples,
    '--output',
    out,
    '--lr',
    '1e9',
    '--warmup-steps',
    '0',
    '--save-every',
    '1',
    '--max-steps',
    '6',
    ...common,
  ]);
  assert.equal(r.code, 1, r.stderr);
  assertOneLineError(
    r,
    /is (NaN|-?Infinity) at step (\d+): training diverged and stopped, no model written; the last good checkpoint is .*step-\d+/,
  );
  const step = Number(/at step (\d+)/.exec(r.stderr)![1]);
  assert.ok(step >= 2 && step <= 6, `diverged at step ${step}`);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), [`step-${String(step - 1).padStart(7, '0')}`]);
  for (const f of ['ftlab.json', 'model.safetensors', 'config.json'])
    assert.equal(existsSync(join(out, f)), false, `${f} was written`);
});

test('nonsense hyperparameters are refused before any work (the training file is never read)', async () => {
  const missing = join(dir, 'no-such-triples.tsv'); // a check after loading would say "no such file"
  const cases: [string[], RegExp][] = [
    [['--lr', '0'], /--lr must be a number > 0, got 0/],
    [['--lr', '-1e-5'], /--lr must be a number > 0, got -0\.00001/],
    [['--margin', '-1'], /--margin must be >= 0, got -1/],
    [['--margin=-0.5'], /--margin must be >= 0, got -0\.5/],
    [['--weight-decay', '-0.1'], /--weight-decay must be >= 0/],
    [['--loss', 'mnrl', '--scale', '0'], /--scale \(MNRL\) must be > 0/],
    [['--lora', 'r=4,dropout=1'], /--lora: dropout must be in \[0, 1\), got 1/],
    [['--lora', 'r=4,dropout=1.5'], /--lora: dropout must be in \[0, 1\), got 1\.5/],
    [['--batch-size', '0'], /--batch-size must be an integer >= 1, got '0'/],
    [['--max-length', '65'], /--max-length 65 exceeds the model's position limit of 64 tokens/],
    [['--device', 'foo'], /--device must be auto, cpu or cuda\[:N\], got 'foo'/],
    [['--lr', 'fast'], /--lr must be a number, got 'fast'/],
  ];
  for (const [flags, re] of cases) {
    const r = await ftlabInProcess([
      'train',
      '--train',
      missing,
      '--output',
      join(dir, 'never'),
      '--model',
      model,
      '--threads',
      '1',
      '--quiet',
      ...flags,
    ]);
    assert.equal(r.code, 1, `${flags.join(' ')}: exit ${r.code} ${r.stderr}`);
    assertOneLineError(r, re);
  }
  assert.equal(existsSync(join(dir, 'never')), false, 'no output folder');
});

test('--max-length within the limit trains; the recorded length is part of the run', async () => {
  const out = join(dir, 'ok');
  const r = await ftlabInProcess([
    'train',
    '--train',
    triples,
    '--output',
    out,
    '--max-steps',
    '2',
    '--max-length',
    '64',
    ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'model.safetensors')));
  const info = JSON.parse(readFileSync(join(out, 'ftlab.json'), 'utf8')) as { training: { maxLength: number } };
  assert.equal(info.training.maxLength, 64);
});
