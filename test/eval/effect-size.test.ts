// d_z and win/tie/loss against numbers worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cohensDz, winTieLoss } from '../../src/eval/effect-size.ts';

test('d_z: a worked example', () => {
  // d = arm - base = [0.1, 0.3, -0.1, 0.1]; mean = 0.4 / 4 = 0.1
  // squared deviations: 0, 0.04, 0.04, 0 -> sum 0.08; sd = sqrt(0.08 / 3) = 0.163299
  // d_z = 0.1 / 0.163299 = 0.612372 (= sqrt(3/8))
  const base = [0.5, 0.2, 0.6, 0.4];
  const arm = [0.6, 0.5, 0.5, 0.5];
  assert.ok(Math.abs(cohensDz(base, arm) - Math.sqrt(3 / 8)) < 1e-12, String(cohensDz(base, arm)));
  assert.ok(Math.abs(cohensDz(arm, base) + Math.sqrt(3 / 8)) < 1e-12, 'the sign follows arm - base');
  assert.equal(cohensDz([0.3, 0.4], [0.3, 0.4]), 0, 'no difference at all');
  assert.equal(cohensDz([0.25, 0.5], [0.75, 1]), Infinity, 'a constant gain (exact in binary)');
  assert.ok(Number.isNaN(cohensDz([0.3], [0.5])), 'one query has no spread');
  assert.throws(() => cohensDz([], []), /empty/);
  assert.throws(() => cohensDz([1], [1, 2]), /length/);
});

test('win/tie/loss: exact ties, float noise and a tolerance', () => {
  const base = [0.5, 0.2, 0.6, 0.4, 0.1 + 0.2, 0.7];
  const arm = [0.6, 0.2, 0.5, 0.4, 0.3, 0.705];
  // diffs: +0.1 win, 0 tie, -0.1 loss, 0 tie, 0.3 - 0.30000000000000004 = -5.6e-17 tie, +0.005 win
  assert.deepEqual(winTieLoss(base, arm), { wins: 2, ties: 3, losses: 1 });
  // tolerance 0.01 turns the +0.005 into a tie
  assert.deepEqual(winTieLoss(base, arm, 0.01), { wins: 1, ties: 4, losses: 1 });
  // tolerance 0 counts the float noise as a loss
  assert.deepEqual(winTieLoss(base, arm, 0), { wins: 2, ties: 2, losses: 2 });
});
