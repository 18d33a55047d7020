// The negatives' profile on a small set worked by hand (type-7 quantiles: h = (n - 1) p).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Run } from '../../src/data/run.ts';
import { firstStageRanks, negativesProfile, type Distribution } from '../../src/analysis/negatives-profile.ts';

const close = (got: number, want: number, what: string): void =>
  assert.ok(Math.abs(got - want) < 1e-12, `${what}: ${got} vs ${want}`);

function assertDistribution(got: Distribution | null, want: number[], what: string): void {
  assert.ok(got, `${what}: a distribution`);
  const keys = ['count', 'min', 'p10', 'p25', 'median', 'p75', 'p90', 'max', 'mean'] as const;
  keys.forEach((k, i) => close(got[k], want[i]!, `${what} ${k}`));
}

test('a worked set of five hard triples', () => {
  const profile = negativesProfile([
    { negativeScore: 0.2, positiveScore: 0.7, bm25Rank: 3 },
    { negativeScore: 0.5, positiveScore: 0.6, bm25Rank: null },
    { negativeScore: 0.35, positiveScore: 0.9, bm25Rank: 57 },
    { negativeScore: 0.8, positiveScore: 0.75, bm25Rank: 12 },
    { negativeScore: 0.1, positiveScore: 0.65, bm25Rank: null },
  ]);
  assert.equal(profile.triples, 5);
  // scores sorted 0.1 0.2 0.35 0.5 0.8; h = 4p: p10 h 0.4 -> 0.1 + 0.4 * 0.1 = 0.14; p25 h 1 -> 0.2;
  // median 0.35; p75 0.5; p90 h 3.6 -> 0.5 + 0.6 * 0.3 = 0.68; mean 1.95 / 5 = 0.39
  assertDistribution(profile.score, [5, 0.1, 0.14, 0.2, 0.35, 0.5, 0.68, 0.8, 0.39], 'score');
  // ranks found: 3 12 57 (two not in the run); h = 2p: p10 h 0.2 -> 3 + 0.2 * 9 = 4.8; p25 h 0.5 -> 7.5;
  // median 12; p75 h 1.5 -> 12 + 0.5 * 45 = 34.5; p90 h 1.8 -> 12 + 0.8 * 45 = 48; mean 72 / 3 = 24
  assertDistribution(profile.bm25Rank, [3, 3, 4.8, 7.5, 12, 34.5, 48, 57, 24], 'BM25 rank');
  assert.equal(profile.notInRun, 2);
  // margins 0.5 0.1 0.55 -0.05 0.55, sorted -0.05 0.1 0.5 0.55 0.55: p10 -0.05 + 0.4 * 0.15 = 0.01;
  // p25 0.1; median 0.5; p75 0.55; p90 0.55; mean 1.65 / 5 = 0.33
  assertDistribution(profile.margin, [5, -0.05, 0.01, 0.1, 0.5, 0.55, 0.55, 0.55, 0.33], 'margin');
});

test('random triples: no positive scores, no margin; none in the run, no rank distribution', () => {
  const p = negativesProfile([
    { negativeScore: 0.3, bm25Rank: null },
    { negativeScore: 0.1, bm25Rank: null },
  ]);
  assert.equal(p.margin, null);
  assert.equal(p.bm25Rank, null);
  assert.equal(p.notInRun, 2);
  assert.equal(p.score.median, 0.2);
});

test('bad input: empty, mixed positive scores, a rank of 0, a NaN score', () => {
  assert.throws(() => negativesProfile([]), /no triples/);
  assert.throws(
    () =>
      negativesProfile([
        { negativeScore: 0.3, positiveScore: 0.5, bm25Rank: 1 },
        { negativeScore: 0.3, bm25Rank: 1 },
      ]),
    /1 of 2 triples/,
  );
  assert.throws(() => negativesProfile([{ negativeScore: 0.3, bm25Rank: 0 }]), /rank 0/);
  assert.throws(() => negativesProfile([{ negativeScore: NaN, bm25Rank: 1 }]), /non-finite/);
});

test('first-stage ranks follow the evaluation order (TREC: score desc, ties by docid desc)', () => {
  const run: Run = {
    format: 'trec',
    source: 'bm25.trec',
    queries: new Map([
      [
        'q1',
        [
          { docid: 'd1', score: 5, rank: 1 },
          { docid: 'd3', score: 9, rank: 2 }, // written out of order: the file's rank column is not used
          { docid: 'd2', score: 5, rank: 3 }, // ties d1 at 5: d2 > d1 as strings, so d2 first
        ],
      ],
    ]),
  };
  const ranks = firstStageRanks(run, [
    { qid: 'q1', docid: 'd3' },
    { qid: 'q1', docid: 'd2' },
    { qid: 'q1', docid: 'd1' },
    { qid: 'q1', docid: 'd9' },
    { qid: 'q2', docid: 'd1' },
  ]);
  assert.deepEqual(ranks, [1, 2, 3, null, null]);
});
