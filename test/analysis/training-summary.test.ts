import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeTraining, finalLossWindow } from '../../src/analysis/training-summary.ts';
import { readCurves, ema } from '../../src/analysis/curves.ts';
import { UserError } from '../../src/errors.ts';
import { tmpDir } from '../helpers/tiny-model.ts';

const TRAINING = {
  model: 'default',
  loss: 'triplet',
  distance: 'euclidean',
  margin: 5,
  mnrlScale: 20,
  lora: null,
  seed: 1,
};

function run(lines: object[], training: object | null = TRAINING, extra: Record<string, string> = {}): string {
  const dir = tmpDir('ftlab-summary-');
  writeFileSync(join(dir, 'log.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  writeFileSync(
    join(dir, 'ftlab.json'),
    JSON.stringify({ pooling: 'mean', normalize: false, maxLength: 256, ...(training ? { training } : {}) }),
  );
  for (const [k, v] of Object.entries(extra)) writeFileSync(join(dir, k), v);
  return dir;
}

const steps = (n: number, loss: (i: number) => number): object[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'step',
    step: i + 1,
    epoch: 0,
    loss: loss(i + 1),
    lr: 1e-5,
    gradNorm: 2,
    tokensPerSec: 100,
    rssMiB: 10,
  }));

test('final loss is the mean of the last 1% of steps (rounded up, at least one)', () => {
  assert.equal(finalLossWindow(1), 1);
  assert.equal(finalLossWindow(100), 1);
  assert.equal(finalLossWindow(101), 2);
  assert.equal(finalLossWindow(250), 3);
  // losses 1..250: the last 3 are 248, 249, 250 -> mean 249
  const dir = run([
    ...steps(250, (s) => s),
    { type: 'eval', step: 250, tripletAccuracy: 0.9, evalLoss: 1.5, evalTriples: 40, evalQueries: 12, 'RR@10': 0.3 },
  ]);
  const s = summarizeTraining(dir, 'full-hard');
  assert.equal(s.finalLoss, 249);
  assert.equal(s.finalLossSteps, 3);
  assert.equal(s.steps, 250);
  assert.equal(s.method, 'full');
  assert.equal(s.loss, 'triplet(euclidean, margin 5)');
  assert.equal(s.tripletAccuracy, 0.9);
  assert.equal(s.heldOutTriples, 40);
  assert.equal(s.heldOutQueries, 12);
  assert.deepEqual(s.validation, { metric: 'RR@10', value: 0.3, step: 250 });
});

test('triplet accuracy is the last eval; validation the best eval of the retrieval metric; LoRA detected', () => {
  const dir = run(
    [
      ...steps(20, () => 1),
      { type: 'eval', step: 10, tripletAccuracy: 0.7, evalLoss: 2, 'RR@10': 0.35 },
      { type: 'eval', step: 20, tripletAccuracy: 0.8, evalLoss: 1, 'RR@10': 0.31 },
    ],
    { ...TRAINING, loss: 'mnrl', lora: { r: 16 } },
    { 'adapter_config.json': '{}' },
  );
  const s = summarizeTraining(dir, 'lora');
  assert.equal(s.tripletAccuracy, 0.8);
  assert.deepEqual(s.validation, { metric: 'RR@10', value: 0.35, step: 10 });
  assert.equal(s.method, 'lora');
  assert.equal(s.loss, 'mnrl(scale 20)');
  assert.equal(s.heldOutTriples, 0); // no counts in this (older) log
});

test('no eval lines: accuracy and validation are null; NaN (logged as null) is null', () => {
  const s = summarizeTraining(
    run([...steps(3, () => 2), { type: 'eval', step: 3, tripletAccuracy: null, evalLoss: null }]),
    'x',
  );
  assert.equal(s.tripletAccuracy, null);
  assert.equal(s.validation, null);
  assert.equal(s.finalLoss, 2);
});

test('bad folders: missing log, no steps, bad line (file and line named), no training record', () => {
  const empty = tmpDir('ftlab-summary-');
  assert.throws(
    () => summarizeTraining(empty, 'x'),
    (e: Error) => e instanceof UserError && /no log\.jsonl/.test(e.message),
  );
  assert.throws(() => summarizeTraining(run([]), 'x'), /no training steps/);
  const bad = run(steps(2, () => 1));
  writeFileSync(join(bad, 'log.jsonl'), '{"type":"step","step":1,"loss":1}\n{oops\n');
  assert.throws(() => summarizeTraining(bad, 'x'), /log\.jsonl:2: not valid JSON/);
  assert.throws(
    () =>
      summarizeTraining(
        run(
          steps(2, () => 1),
          null,
        ),
        'x',
      ),
    /no "training" record/,
  );
});

test('curves: raw and EMA-smoothed loss, lr, grad norm, evals with metrics', () => {
  assert.deepEqual(ema([4, 0, 0], 0.5), [4, 2, 1]);
  const a = run([
    ...steps(3, (s) => 10 * s),
    { type: 'eval', step: 3, tripletAccuracy: 0.5, evalLoss: 1, evalTriples: 4, 'nDCG@10': 0.4 },
  ]);
  const b = run(steps(2, () => 1));
  const c = readCurves(
    [
      { label: 'a', dir: a },
      { label: 'b', dir: b },
    ],
    0.5,
  );
  assert.deepEqual(c.smoothing, { method: 'ema', alpha: 0.5 });
  assert.deepEqual(c.series[0]!.steps, [1, 2, 3]);
  assert.deepEqual(c.series[0]!.loss, [10, 20, 30]);
  assert.deepEqual(c.series[0]!.lossSmoothed, [10, 15, 22.5]);
  assert.deepEqual(c.series[0]!.evals, [{ step: 3, tripletAccuracy: 0.5, evalLoss: 1, metrics: { 'nDCG@10': 0.4 } }]);
  assert.equal(c.series[1]!.model, 'b');
  assert.throws(() => readCurves([{ label: 'a', dir: a }], 0), /alpha/);
});

// Issue 17: Table III at the validation-chosen checkpoint and at the final step. A worked log:
//   step  tripletAcc  evalLoss  nDCG@10
//     0      0.75       1.2      0.62   <- the base
//    10      0.85       0.9      0.60
//    20      0.90       0.7      0.62   <- ties the base: the base (earlier) is chosen
const WORKED = [
  ...steps(20, () => 1),
  { type: 'eval', step: 0, tripletAccuracy: 0.75, evalLoss: 1.2, evalTriples: 8, evalQueries: 2, 'nDCG@10': 0.62 },
  { type: 'eval', step: 10, tripletAccuracy: 0.85, evalLoss: 0.9, evalTriples: 8, evalQueries: 2, 'nDCG@10': 0.6 },
  { type: 'eval', step: 20, tripletAccuracy: 0.9, evalLoss: 0.7, evalTriples: 8, evalQueries: 2, 'nDCG@10': 0.62 },
];

test('Table III: chosen (the base, on a tie) and final accuracy and loss, as the trainer recorded', () => {
  const s = summarizeTraining(run(WORKED, { ...TRAINING, chosen: { metric: 'nDCG@10', value: 0.62, step: 0 } }), 'x');
  assert.deepEqual(s.chosen, { step: 0, tripletAccuracy: 0.75, evalLoss: 1.2, metrics: { 'nDCG@10': 0.62 } });
  assert.deepEqual(s.final, { step: 20, tripletAccuracy: 0.9, evalLoss: 0.7, metrics: { 'nDCG@10': 0.62 } });
  assert.equal(s.tripletAccuracy, 0.9, 'the existing field keeps its meaning: the last evaluation');
  assert.deepEqual(s.validation, { metric: 'nDCG@10', value: 0.62, step: 0 });
});

test('Table III: the recorded choice wins over the log; without one, the trainer rule over the log', () => {
  const recorded = summarizeTraining(run(WORKED, { ...TRAINING, chosen: { step: 10 } }), 'x');
  assert.equal(recorded.chosen?.tripletAccuracy, 0.85);
  const ruled = summarizeTraining(run(WORKED), 'x');
  assert.equal(ruled.chosen?.step, 0, 'nDCG@10 0.62 at 0 and 20: the earlier');
  // no retrieval metric: triplet accuracy chooses (0.8 at 0 < 0.82 at 5 -> step 5, also the final)
  const acc = summarizeTraining(
    run([
      ...steps(5, () => 1),
      { type: 'eval', step: 0, tripletAccuracy: 0.8, evalLoss: 2 },
      { type: 'eval', step: 5, tripletAccuracy: 0.82, evalLoss: 1 },
    ]),
    'x',
  );
  assert.deepEqual([acc.chosen?.step, acc.chosen?.evalLoss, acc.final?.step], [5, 1, 5]);
  // an older log (no step 0): the first highest, as that trainer chose
  const old = summarizeTraining(
    run([
      ...steps(20, () => 1),
      { type: 'eval', step: 10, tripletAccuracy: 0.7, evalLoss: 2, 'RR@10': 0.35 },
      { type: 'eval', step: 20, tripletAccuracy: 0.8, evalLoss: 1, 'RR@10': 0.35 },
    ]),
    'x',
  );
  assert.deepEqual([old.chosen?.step, old.chosen?.tripletAccuracy, old.final?.tripletAccuracy], [10, 0.7, 0.8]);
});

test('Table III: no evaluations: chosen and final are null', () => {
  const s = summarizeTraining(run(steps(3, () => 2)), 'x');
  assert.equal(s.chosen, null);
  assert.equal(s.final, null);
});
