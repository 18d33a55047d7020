// The one hard-negative miner (ftlab mine and the study): ranks lo..hi of the model's own
// search, judged-relevant never, several negatives per positive without replacement, the
// false-negative guard, and `ftlab mine`'s counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Collection } from '../../src/data/collection.ts';
import type { Qrels } from '../../src/data/qrels.ts';
import type { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { emptyStats, hardNegatives } from '../../src/retrieval/mining.ts';

// d1..d20 at angles 0, 0.1, ..., 1.9 rad from the query [1, 0]: rank i+1 scores cos(0.1 i)
// (d1 1.0, d2 0.995, d3 0.980, d4 0.955, d5 0.921, ...): the ranking is d1, d2, ..., d20.
const N = 20;
const c = new Collection('pool');
for (let i = 1; i <= N; i++) c.add(`d${i}`, `p${i}`);
const vec = (text: string): number[] => {
  if (text === 'q') return [1, 0];
  const a = 0.1 * (Number(text.slice(1)) - 1);
  return [Math.cos(a), Math.sin(a)];
};
const encoder = {
  dim: 2,
  device: 'cpu',
  info: { normalize: true, similarity: 'cosine' },
  encode: (texts: string[]) => Float32Array.from(texts.flatMap(vec)),
} as unknown as SentenceEncoder;
const docs = [Float32Array.from(Array.from({ length: N }, (_, i) => vec(`p${i + 1}`)).flat())];
// d1 the positive; d6, d7, d12 judged relevant too
const qrels: Qrels = new Map([['q1', new Map(['d1', 'd6', 'd7', 'd12'].map((d) => [d, d === 'd1' ? 2 : 1]))]]);

function mine(o: { count: number; lo: number; hi: number; guardMargin: number | null; seed?: number }) {
  const stats = emptyStats();
  return hardNegatives({
    positives: [{ qid: 'q1', position: 0 }],
    queries: new Map([['q1', 'q']]),
    qrels,
    collection: c,
    encoder,
    docs,
    rows: null,
    excluded: new Set(),
    depth: N,
    seed: o.seed ?? 1,
    stats,
    ...o,
  }).then((triples) => ({ triples, stats }));
}

test('one negative per positive: always from ranks 5-15, never judged relevant', async () => {
  for (let seed = 0; seed < 30; seed++) {
    const { triples } = await mine({ count: 1, lo: 5, hi: 15, guardMargin: null, seed });
    assert.equal(triples.length, 1);
    const t = triples[0]!;
    assert.ok(t.rank! >= 5 && t.rank! <= 15, `rank ${t.rank}`);
    assert.equal(t.negative, t.rank! - 1, 'the ranking is d1, d2, ...: rank r is position r-1');
    assert.ok(![5, 6, 11].includes(t.negative), 'd6, d7, d12 are judged relevant');
  }
});

test('several per positive: drawn without replacement; fewer than asked is a short pool', async () => {
  // ranks 5..15 = d5..d15, 11 candidates less the judged d6, d7, d12: 8
  const { triples, stats } = await mine({ count: 100, lo: 5, hi: 15, guardMargin: null });
  assert.deepEqual(
    triples.map((t) => t.negative + 1).sort((a, b) => a - b),
    [5, 8, 9, 10, 11, 13, 14, 15],
  );
  assert.equal(stats.judgedDropped, 3);
  assert.equal(stats.shortPools, 1);
  assert.equal(stats.triples, 8);
});

test('the guard drops candidates scoring above the positive minus the margin', async () => {
  // positive d1 scores 1; margin 0.05 keeps scores <= 0.95: cos(0.3) = 0.955 (d4) is dropped, cos(0.4) = 0.921 (d5) kept
  const { triples, stats } = await mine({ count: 100, lo: 2, hi: 20, guardMargin: 0.05 });
  const got = triples.map((t) => t.negative + 1).sort((a, b) => a - b);
  assert.equal(got[0], 5);
  assert.equal(stats.guardDropped, 3, 'd2, d3, d4');
  assert.equal(got.length, 20 - 1 - 3 - 3, '19 ranks 2-20, less 3 guarded, less d6, d7, d12');
});
