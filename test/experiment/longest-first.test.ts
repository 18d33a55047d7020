// Workers claim a fold's units longest first: steps x batch x the arm's cost per triplet, with
// each arm's epochs and its seed's triples; equal costs keep their order (seed-major).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../src/experiment/arms.ts';
import { longestFirst } from '../../src/experiment/study-schedule.ts';
import { tripletCost } from '../../src/experiment/arm-shape.ts';
import type { NegativesOutput } from '../../src/experiment/negatives-stage.ts';
import type { StudyOptions } from '../../src/experiment/options.ts';

const arm = (name: string) => ARMS.find((a) => a.name === name)!;

const options = {
  epochs: 3,
  steps: 10,
  batchSize: 16,
  warmup: 0.1,
  perArm: { 'full-hard': { epochs: 5 } },
} as unknown as StudyOptions;

/** 160 random and 160 hard triples for every seed. */
const negatives = {
  files: { 'train-random': { count: 160 }, 'train-hard': { count: 160 } },
} as unknown as NegativesOutput;

test('the longest unit is claimed first; ties keep seed-major order', () => {
  const units = [0, 1].flatMap((k) =>
    ['full-random', 'full-hard'].map((name) => ({ arm: arm(name), k, id: `${name}.${k}` })),
  );
  // full-hard: 5 epochs x 160 / 16 = 50 steps; full-random: 3 epochs, 30 steps; the same cost a triplet
  const order = longestFirst(options, units, () => negatives).map((u) => u.id);
  assert.deepEqual(order, ['full-hard.0', 'full-hard.1', 'full-random.0', 'full-random.1']);
});

test("at equal steps the arm's cost per triplet orders them", () => {
  const units = ['full-random', 'lora-hard'].map((name) => ({ arm: arm(name), k: 0, id: name }));
  const dearer = tripletCost(arm('lora-hard')) > tripletCost(arm('full-random')) ? 'lora-hard' : 'full-random';
  assert.equal(longestFirst(options, units, () => negatives)[0]!.id, dearer);
});

test('a seed with more triples of its own weighs more', () => {
  const bySeed = [
    { 'train-random': { count: 160 }, 'train-hard': { count: 160 } },
    { 'train-random': { count: 320 }, 'train-hard': { count: 160 } },
  ];
  const units = [0, 1].map((k) => ({ arm: arm('full-random'), k }));
  const order = longestFirst(options, units, () => ({ ...negatives, bySeed }) as unknown as NegativesOutput);
  assert.deepEqual(
    order.map((u) => u.k),
    [1, 0],
  );
});
