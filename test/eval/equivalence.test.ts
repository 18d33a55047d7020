// TOST, verdicts and power against numbers worked by hand and scipy's (peers venv, scipy 1.17:
// stats.t, stats.nct, integrate.quad over stats.chi2; the script is in each comment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/data/random.ts';
import { normalCdf, tQuantile } from '../../src/eval/distributions.ts';
import { equivalenceTest, pairedTost, verdict } from '../../src/eval/equivalence.ts';
import { minimumDetectableEffect, minimumEquivalenceMargin, tostPower, tTestPower } from '../../src/eval/power.ts';

const close = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

// d = arm - base over 6 queries; mean 0.005; deviations .005 -.025 .025 -.005 .01 -.01,
// squares sum 1500e-6, sd = sqrt(1500e-6 / 5) = sqrt(3)/100 = 0.0173205, se = sd/sqrt(6) = 0.01/sqrt(2) = 0.00707107
const d6 = [0.01, -0.02, 0.03, 0.0, 0.015, -0.005];
const base6 = [0.5, 0.6, 0.4, 0.7, 0.3, 0.55];
const arm6 = base6.map((x, i) => x + d6[i]!);

test('paired TOST: a worked example at m = 0.04', () => {
  // t_lo = (0.005 + 0.04) / 0.00707107 = 6.363961; t_up = (0.005 - 0.04) / 0.00707107 = -4.949747
  // df 5: p_lo = t.sf(6.363961, 5) = 7.081081e-4; p_up = t.cdf(-4.949747, 5) = 2.142936e-3 (scipy)
  const r = pairedTost(d6, 0.04);
  close(r.meanDelta, 0.005, 1e-15, 'mean');
  close(r.sd, Math.sqrt(3) / 100, 1e-15, 'sd');
  close(r.lower.t, 0.045 * Math.sqrt(2) * 100, 1e-9, 't_lo');
  close(r.upper.t, -0.035 * Math.sqrt(2) * 100, 1e-9, 't_up');
  close(r.lower.p, 7.08108105e-4, 1e-11, 'p_lo');
  close(r.upper.p, 2.142935563e-3, 1e-11, 'p_up');
  assert.equal(r.p, r.upper.p, 'p = max of the two');
  assert.equal(r.df, 5);
  assert.throws(() => pairedTost(d6, 0), /margin/);
  assert.throws(() => pairedTost([0.1], 0.02), /at least 2/);
});

test('equivalenceTest: intervals, the two-sided test and the verdict on the worked sample', () => {
  // 90% CI: 0.005 -+ t(0.95, 5) 0.00707107 = [-0.009248544, 0.019248544]
  // 95% CI: 0.005 -+ t(0.975, 5) 0.00707107 = [-0.013176758, 0.023176758]; two-sided p = 0.5110841 (t = 0.707107)
  const r = equivalenceTest(base6, arm6, { margin: 0.04 });
  close(r.ciEquivalence[0], -0.009248543692, 1e-10, '90% lo');
  close(r.ciEquivalence[1], 0.019248543692, 1e-10, '90% hi');
  close(r.ciDifference[0], -0.013176758476, 1e-10, '95% lo');
  close(r.ciDifference[1], 0.023176758476, 1e-10, '95% hi');
  close(r.difference.p, 0.5110840804, 1e-9, 'two-sided p');
  assert.deepEqual([r.verdict, r.equivalent, r.different], ['equivalent', true, false]);
  // at m = 0.015 the 90% CI's upper end 0.0192 is outside: not equivalent, not different -> inconclusive
  // (TOST agrees: t_up = -0.01 / 0.00707107 = -1.414214, p_up = t.cdf(-1.414214, 5) = 0.108 > 0.05)
  const narrow = equivalenceTest(base6, arm6, { margin: 0.015 });
  assert.equal(narrow.verdict, 'inconclusive');
  assert.ok(narrow.tost.p > 0.05);
  assert.equal(equivalenceTest(base6, base6, { margin: 0.01 }).verdict, 'equivalent', 'identical runs');
});

test('verdict: the four outcomes (Lakens et al. 2018) at m = 0.02', () => {
  const cases: [[number, number], [number, number], string, boolean, boolean][] = [
    [[-0.01, 0.01], [-0.012, 0.012], 'equivalent', true, false], // equivalent, not different
    [[0.005, 0.015], [0.003, 0.017], 'equivalent', true, true], // equivalent and (trivially) different
    [[0.01, 0.04], [0.005, 0.045], 'better', false, true],
    [[-0.05, -0.01], [-0.055, -0.005], 'worse', false, true],
    [[-0.025, -0.004], [-0.028, -0.001], 'worse', false, true], // below 0, not shown within the margin
    [[-0.03, 0.01], [-0.035, 0.015], 'inconclusive', false, false], // "not significant" is not "equivalent"
  ];
  for (const [equivalence, difference, want, eq, diff] of cases) {
    const r = verdict({ equivalence, difference }, 0.02);
    assert.deepEqual([r.verdict, r.equivalent, r.different], [want, eq, diff], `${equivalence} ${difference}`);
  }
  assert.throws(() => verdict({ equivalence: [0.1, 0], difference: [0, 0.1] }, 0.02), /reversed/);
});

test('TOST at alpha rejects exactly when the (1 - 2 alpha) t interval lies inside the margins', () => {
  const rng = new Random(17);
  let both = 0;
  for (let k = 0; k < 200; k++) {
    const n = 5 + rng.int(40);
    const shift = (rng.next() - 0.5) * 0.04;
    const d = Array.from({ length: n }, () => shift + (rng.next() - 0.5) * 0.1);
    const margin = 0.005 + rng.next() * 0.03;
    const r = equivalenceTest(new Array(n).fill(0), d, { margin, alpha: 0.05 });
    assert.equal(r.tost.p <= 0.05, r.equivalent, `n ${n} margin ${margin}: p ${r.tost.p}, CI ${r.ciEquivalence}`);
    if (r.equivalent) both++;
  }
  assert.ok(both > 20 && both < 180, `both outcomes occur: ${both} equivalent of 200`);
});

test('distributions: t quantile and normal CDF against scipy', () => {
  close(tQuantile(0.975, 42), 2.0180817028184443, 1e-11, 't.ppf(0.975, 42)');
  close(tQuantile(0.05, 3), -2.353363434801824, 1e-11, 't.ppf(0.05, 3)');
  close(normalCdf(1.96), 0.9750021048517795, 1e-8, 'norm.cdf(1.96)');
  close(normalCdf(-3), 0.0013498980316300933, 1e-9, 'norm.cdf(-3)');
});

test('paired t-test power and MDE: noncentral t, as scipy.stats.nct (statsmodels TTestPower)', () => {
  // nct.sf(c, 42, 0.03 sqrt(43) / 0.1) + nct.cdf(-c, ...), c = t.ppf(0.975, 42): 0.48497957444
  close(tTestPower({ sd: 0.1, n: 43 }, 0.03), 0.48497957444, 1e-6, 'power n=43');
  close(tTestPower({ sd: 1, n: 5 }, 1), 0.40138991737, 1e-6, 'power n=5, d_z = 1');
  close(tTestPower({ sd: 0.1, n: 43 }, 0), 0.05, 1e-6, 'at no effect the power is alpha');
  // brentq(power - 0.8): 0.0437321780 (alpha 0.05); 0.0594537832 (12 comparisons, alpha 0.05/12)
  close(minimumDetectableEffect({ sd: 0.1, n: 43 }), 0.043732178, 1e-7, 'MDE');
  close(minimumDetectableEffect({ sd: 0.1, n: 43, tests: 12 }), 0.0594537832, 1e-7, 'MDE, 12 tests');
  // the normal approximation (z_0.975 + z_0.8) 0.1 / sqrt(43) = 2.8016 * 0.0152499 = 0.04272 is smaller, as it should be
  assert.ok(minimumDetectableEffect({ sd: 0.1, n: 43 }) > 0.0427);
});

test('TOST power and the smallest margin it can show: Owen Q, as scipy quad over chi2 (and Monte Carlo)', () => {
  // quad: 0.8859733580 (true 0, m 0.05); 0.8121952354 (true 0.01); n=5, sd 1, m 1: 0.2938530722
  // Monte Carlo with 2e6 draws (numpy): 0.8863, 0.8123, 0.2942
  close(tostPower({ sd: 0.1, n: 43, margin: 0.05 }), 0.885973358, 1e-6, 'TOST power');
  close(tostPower({ sd: 0.1, n: 43, margin: 0.05 }, 0.01), 0.8121952354, 1e-6, 'TOST power, true 0.01');
  close(tostPower({ sd: 1, n: 5, margin: 1 }), 0.2938530722, 1e-6, 'TOST power, n = 5');
  // brentq(tost power - 0.8) over m: 0.0453662944
  close(minimumEquivalenceMargin({ sd: 0.1, n: 43 }), 0.0453662944, 1e-7, 'margin for 80% power');
  assert.ok(minimumEquivalenceMargin({ sd: 0.1, n: 43, tests: 6 }) > 0.0453662944, 'a correction widens it');
  assert.throws(() => tostPower({ sd: 0.1, n: 1, margin: 0.02 }), /2 queries/);
});
