// Issue 8, item 2 (and issue 7, item 2 at the trainer level): --resume continues the same
// run or refuses; a finished model is not replaced without --overwrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { compareTrainingRecord, trainingRecord } from '../../src/train/training-identity.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { ftlabInProcess, assertOneLineError } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const data = synthTriples(32);
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  model,
  loss: 'triplet',
  distance: 'cosine',
  margin: 0.5,
  mnrlScale: 20,
  normalize: true,
  batchSize: 4,
  gradAccumulation: 1,
  lr: 1e-3,
  warmup: 2,
  epochs: 1,
  maxSteps: 6,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: null,
  seed: 7,
  evalEvery: 0,
  saveEvery: 1,
  keepCheckpoints: 1,
  ...over,
});

test('compareTrainingRecord: missing, partial and finished, with the differing settings named', async () => {
  const out = join(dir, 'record');
  const want = trainingRecord(cfg(), data);
  assert.deepEqual(compareTrainingRecord(out, want), { state: 'missing', differences: [] });
  await train(SentenceEncoder.load(model), data, [], cfg(), { output: out, resume: false, stopAfter: 2 });
  assert.deepEqual(compareTrainingRecord(out, want), { state: 'partial', differences: [] });
  const other = compareTrainingRecord(out, trainingRecord(cfg({ lr: 2e-3, seed: 8, batchSize: 8 }), data.slice(1)));
  assert.equal(other.state, 'partial');
  assert.deepEqual(
    other.differences.map((d) => d.split(' ')[0]),
    ['batchSize', 'lr', 'seed', 'training'],
  );
  assert.match(
    other.differences.join('; '),
    /lr 0\.001 -> 0\.002; seed 7 -> 8; training triples 32 \(sha256 [0-9a-f]{12}\) -> 31/,
  );
  await train(SentenceEncoder.load(model), data, [], cfg(), { output: out, resume: true });
  assert.deepEqual(compareTrainingRecord(out, want), { state: 'finished', differences: [] });
  const lora = compareTrainingRecord(
    out,
    trainingRecord(cfg({ lora: { r: 4, alpha: 8, dropout: 0, targets: ['query'] } }), data),
  );
  assert.deepEqual(lora.differences, ['lora null -> {"r":4,"alpha":8,"dropout":0,"targets":["query"]}']);
});

test('ftlab train --resume refuses a changed configuration, names it, and --allow-config-change logs it', async () => {
  const triples = join(dir, 'triples.tsv');
  writeFileSync(triples, triplesTsv(data));
  const other = join(dir, 'other.tsv');
  writeFileSync(other, triplesTsv(synthTriples(33)));
  const out = join(dir, 'cli');
  const common = [
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '4',
    '--quiet',
    '--eval-fraction',
    '0',
    '--output',
    out,
    '--save-every',
    '1',
    '--warmup-steps',
    '1',
  ];
  // a killed run: checkpoints, no model (stopAfter through the library, same folder)
  await train(SentenceEncoder.load(model), data, [], cfg({ maxSteps: 8, warmup: 1, lr: 2e-5, seed: 42, margin: 0.2 }), {
    output: out,
    resume: false,
    stopAfter: 3,
  });
  const base = ['train', '--train', triples, '--max-steps', '8', ...common];
  let r = await ftlabInProcess([...base, '--resume', '--lr', '1e-4', '--seed', '5']);
  assertOneLineError(
    r,
    /--resume: .*step-0000003 was trained with other settings: lr 0\.00002 -> 0\.0001; seed 42 -> 5 \(--allow-config-change continues anyway, --overwrite starts over\)/,
  );
  r = await ftlabInProcess(['train', '--train', other, '--max-steps', '8', ...common, '--resume']);
  assertOneLineError(r, /training triples 32 \(sha256 [0-9a-f]+\) -> 33/);
  r = await ftlabInProcess([...base, '--resume', '--loss', 'mnrl']);
  assertOneLineError(r, /loss triplet -> mnrl/);
  // a fresh start into a folder with a checkpoint needs --resume or --overwrite
  r = await ftlabInProcess(base);
  assertOneLineError(r, /holds a checkpoint .*step-0000003.*--resume continues it, --overwrite starts over/);
  r = await ftlabInProcess([...base, '--resume', '--lr', '1e-4', '--allow-config-change']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resuming .*step-0000003 with changed settings: lr 0\.00002 -> 0\.0001/);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; differences?: string[] });
  assert.deepEqual(
    log.map((l) => `${l.type}@${l.step}`),
    ['step@1', 'step@2', 'step@3', 'config-change@3', 'step@4', 'step@5', 'step@6', 'step@7', 'step@8'],
  );
  assert.deepEqual(log[3]!.differences, ['lr 0.00002 -> 0.0001']);
  // finished: a fresh run needs --overwrite; --resume of the same run has nothing to do
  r = await ftlabInProcess([...base, '--lr', '1e-4']);
  assertOneLineError(r, /already holds a model; --overwrite replaces it/);
  r = await ftlabInProcess([...base, '--lr', '1e-4', '--resume']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /already holds the finished model of this run \(8 steps\); nothing to do/);
  r = await ftlabInProcess([...base, '--lr', '1e-4', '--overwrite', '--max-steps', '2']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(readFileSync(join(out, 'ftlab.json'), 'utf8')) as { training: { step: number } };
  assert.equal(info.training.step, 2);
});

test('--resume with no checkpoint starts fresh and says so', async () => {
  const triples = join(dir, 'triples2.tsv');
  writeFileSync(triples, triplesTsv(data));
  const out = join(dir, 'fresh');
  const r = await ftlabInProcess([
    'train',
    '--train',
    triples,
    '--output',
    out,
    '--resume',
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '4',
    '--max-steps',
    '2',
    '--quiet',
    '--eval-fraction',
    '0',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--resume: no checkpoint in .*checkpoints; starting fresh/);
  assert.ok(existsSync(join(out, 'model.safetensors')));
});
