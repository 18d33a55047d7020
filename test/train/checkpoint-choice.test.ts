// The checkpoint choice treats the base (step 0) as a candidate and breaks ties early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCheckpoint } from '../../src/train/checkpoint-choice.ts';

test('the base wins: training never beats its validation score', () => {
  // nDCG@10 on validation: base 0.612; steps 6/12/18/24 all lower -> step 0, flagged
  const evals = [
    { step: 12, score: 0.598 },
    { step: 0, score: 0.612 },
    { step: 6, score: 0.605 },
    { step: 18, score: 0.59 },
    { step: 24, score: 0.611 },
  ];
  const c = chooseCheckpoint(evals);
  assert.deepEqual([c.step, c.score, c.base], [0, 0.612, true]);
});

test('ties go to the earlier step, so the base wins an exact tie', () => {
  const c = chooseCheckpoint([
    { step: 6, score: 0.62 },
    { step: 0, score: 0.62 },
    { step: 12, score: 0.62 },
  ]);
  assert.deepEqual([c.step, c.base], [0, true]);
});

test('a trained step that beats the base is chosen; a tolerance prefers the earlier close one', () => {
  const evals = [
    { step: 0, score: 0.6 },
    { step: 6, score: 0.63 },
    { step: 12, score: 0.635 },
    { step: 18, score: 0.62 },
  ];
  const strict = chooseCheckpoint(evals);
  assert.deepEqual([strict.step, strict.base], [12, false]);
  // tolerance 0.01: best 0.635, threshold 0.625 -> step 6 (0.63) is the earliest within it
  const loose = chooseCheckpoint(evals, 0.01);
  assert.deepEqual([loose.step, loose.score, loose.best.step], [6, 0.63, 12]);
  // tolerance 0.04: threshold 0.595 -> the base (0.6) is within it
  assert.equal(chooseCheckpoint(evals, 0.04).base, true);
});

test('bad input: no base, a NaN score, a step twice, a negative tolerance', () => {
  assert.throws(() => chooseCheckpoint([{ step: 6, score: 0.5 }]), /step 0/);
  assert.throws(
    () =>
      chooseCheckpoint([
        { step: 0, score: 0.5 },
        { step: 6, score: NaN },
      ]),
    /step 6 is NaN/,
  );
  assert.throws(
    () =>
      chooseCheckpoint([
        { step: 0, score: 0.5 },
        { step: 0, score: 0.6 },
      ]),
    /twice/,
  );
  assert.throws(() => chooseCheckpoint([{ step: 0, score: 0.5 }], -1), /tolerance/);
});
