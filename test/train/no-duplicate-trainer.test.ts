// The trainer's batchSampler option: 'no-duplicates' trains on exactly the plain batches when
// no query repeats, on other batches when one does, and is part of the run's identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { recordDifferences, trainingRecord } from '../../src/train/training-identity.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples } from '../helpers/triples.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  model,
  loss: 'mnrl',
  distance: 'cosine',
  margin: 0.5,
  mnrlScale: 20,
  normalize: true,
  batchSize: 4,
  gradAccumulation: 1,
  lr: 1e-3,
  warmup: 1,
  epochs: 1,
  maxSteps: null,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: null,
  seed: 7,
  evalEvery: 0,
  saveEvery: 0,
  keepCheckpoints: 1,
  ...over,
});

let runs = 0;
async function losses(triples: ReturnType<typeof synthTriples>, over: Partial<TrainConfig>): Promise<number[]> {
  const r = await train(SentenceEncoder.load(model), triples, [], cfg(over), {
    output: join(dir, `run${runs++}`),
    resume: false,
  });
  return r.stepLogs.map((s) => s.loss);
}

test('no repeated query: the same batches, the same losses as the plain shuffle', async () => {
  const distinct = synthTriples(14); // synthTriples repeats its queries every 14
  const plain = await losses(distinct, {});
  assert.equal(plain.length, 3, '14 triples, batch 4: 3 steps');
  assert.deepEqual(await losses(distinct, { batchSampler: 'no-duplicates' }), plain);
});

test('repeated queries: the sampler changes the batches (and so the losses)', async () => {
  const repeated = synthTriples(28); // each query twice
  const plain = await losses(repeated, {});
  const sampled = await losses(repeated, { batchSampler: 'no-duplicates' });
  assert.equal(sampled.length, plain.length, '28 triples of 14 queries still make 7 full batches of 4');
  assert.notDeepEqual(sampled, plain);
});

test('the sampler is part of the run identity; unset means the plain shuffle', () => {
  const data = synthTriples(8);
  const unset = trainingRecord(cfg(), data);
  assert.deepEqual(recordDifferences(unset, trainingRecord(cfg({ batchSampler: 'shuffle' }), data)), []);
  assert.deepEqual(recordDifferences(unset, trainingRecord(cfg({ batchSampler: 'no-duplicates' }), data)), [
    'batchSampler shuffle -> no-duplicates',
  ]);
});
