import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ci,
  count,
  fixed,
  formatDuration,
  pValue,
  rate,
  sci,
  seconds,
  signed,
  MISSING,
} from '../../src/report/format.ts';

test('numbers: fixed decimals, signed deltas without "-0.000", p-values floor at <0.001', () => {
  assert.equal(fixed(0.51234), '0.512');
  assert.equal(fixed(-0.0001), '0.000');
  assert.equal(signed(0.0123), '+0.012');
  assert.equal(signed(-0.0123), '-0.012');
  assert.equal(signed(-0.0001), '+0.000');
  assert.equal(ci([-0.0042, 0.0281]), '[-0.004, +0.028]');
  assert.equal(pValue(0.0004), '<0.001');
  assert.equal(pValue(0.0456), '0.046');
  assert.equal(fixed(null), MISSING);
  assert.equal(ci(null), MISSING);
  assert.equal(fixed(Number.NaN), MISSING);
});

test('durations and rates: three significant digits, never exponent notation', () => {
  assert.deepEqual([0.01234, 1.234, 12.34, 1234.5].map(seconds), ['0.012', '1.23', '12.3', '1235']);
  assert.deepEqual([2.345, 23.45, 2345.6].map(rate), ['2.35', '23.4', '2346']);
  assert.equal(count(8841823), '8841823');
  assert.equal(sci(2e-5), '2e-5');
  assert.equal(sci(0.00025), '2.5e-4');
});

test('wall times for logs: seconds, then minutes and seconds, then hours and minutes', () => {
  // 59.6 s rounds to 60 s = 1m00s; 3725 s = 1 h 2 min 5 s, printed to the minute
  assert.deepEqual([0.4, 42, 59.6, 187, 3725].map(formatDuration), ['0s', '42s', '1m00s', '3m07s', '1h02m']);
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '?');
});
