// The fused CPU search step (native/search.cc through exactSearch) against a double-precision
// brute force: exact ids in order (ties: lower position first), across tile, chunk and
// query-block boundaries; and the bf16 scan, whose fp32 re-scoring must return the exact top-k.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, noGrad, tidy } from '../../src/engine/index.ts';
import { exactSearchSync, type SearchOptions, type TopK } from '../../src/retrieval/exact-search.ts';
import { rowDot } from '../../src/retrieval/similarity.ts';

const unit = (n: number, dim: number): Float32Array => noGrad(() => tidy(() => randn([n, dim]).normalize().f32()));

/** Each query's top-k by double-precision inner product, ties to the lower position; and the scores. */
function bruteForce(q: Float32Array, d: Float32Array, dim: number, k: number): { ids: number[][]; scores: number[][] } {
  const Q = q.length / dim;
  const D = d.length / dim;
  const ids: number[][] = [];
  const scores: number[][] = [];
  for (let i = 0; i < Q; i++) {
    const s = Array.from({ length: D }, (_, j) => {
      let x = 0;
      for (let c = 0; c < dim; c++) x += q[i * dim + c]! * d[j * dim + c]!;
      return { j, x };
    }).sort((a, b) => b.x - a.x || a.j - b.j);
    ids.push(s.slice(0, k).map((e) => e.j));
    scores.push(s.slice(0, k + 1).map((e) => e.x));
  }
  return { ids, scores };
}

function* chunksOf(d: Float32Array, dim: number, rows: number): Generator<Float32Array> {
  for (let s = 0; s * dim < d.length; s += rows) yield d.subarray(s * dim, Math.min(d.length, (s + rows) * dim));
}

function search(q: Float32Array, d: Float32Array, dim: number, k: number, chunk: number, o: SearchOptions): TopK {
  return exactSearchSync(q, dim, chunksOf(d, dim, chunk), k, o);
}

/** [n, dim] small integers (-3..3): every inner product is exact in fp32 whatever the GEMM's order, so ties are exact. */
function integers(n: number, dim: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n * dim }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return (x % 7) - 3;
  });
}

test('fused search equals brute force across tiles, chunks and query blocks; ties keep the lower position', () => {
  const dim = 16;
  const k = 12;
  const q = integers(23, dim, 1);
  // 300 documents of small integers (many equal scores), the last 40 copies of the first 40
  const d = new Float32Array(300 * dim);
  d.set(integers(260, dim, 2));
  d.set(d.subarray(0, 40 * dim), 260 * dim);
  const ref = bruteForce(q, d, dim, k);
  for (const [tile, chunk, queryBlock] of [
    [{ rowsPerBlock: 3, docsPerTile: 7 }, 64, 5],
    [{ rowsPerBlock: 128, docsPerTile: 1024 }, 300, undefined],
    [{ rowsPerBlock: 1, docsPerTile: 1 }, 17, 23],
  ] as const) {
    const top = search(q, d, dim, k, chunk, { tile, queryBlock });
    for (let i = 0; i < ref.ids.length; i++) {
      assert.deepEqual(
        [...top.indices.slice(i * k, (i + 1) * k)],
        ref.ids[i],
        `query ${i}, tile ${JSON.stringify(tile)}`,
      );
      for (let j = 0; j < k; j++) assert.equal(top.scores[i * k + j], ref.scores[i]![j]);
    }
  }
  // fewer documents than k: the rest is -1 / -inf
  const few = search(q, d.subarray(0, 5 * dim), dim, k, 2, {});
  assert.deepEqual([...few.indices.slice(5, k)], new Array(k - 5).fill(-1));
  assert.equal(few.scores[k - 1], Number.NEGATIVE_INFINITY);
});

test('fused search at 384-d equals brute force (fp32 rounding may swap only scores within 1e-6)', () => {
  manualSeed(12);
  const dim = 384;
  const k = 50;
  const q = unit(40, dim);
  const d = unit(3000, dim);
  const ref = bruteForce(q, d, dim, k);
  const top = search(q, d, dim, k, 1000, {});
  let same = 0;
  for (let i = 0; i < ref.ids.length; i++) {
    const got = [...top.indices.slice(i * k, (i + 1) * k)];
    assert.equal(new Set(got).size, k);
    for (let j = 0; j < k; j++) {
      if (got[j] === ref.ids[i]![j]) same++;
      // a swapped position holds a document whose exact score equals the reference's at that rank to 1e-6
      else assert.ok(Math.abs(rowDot(q, i, d, got[j]!, dim) - ref.scores[i]![j]!) < 1e-6, `query ${i} rank ${j}`);
    }
  }
  assert.ok(same >= 0.99 * 40 * k, `${same} of ${40 * k} positions equal`);
});

test('the bf16 scan, re-scored in fp32 within its error bound, returns the exact top-k and fp32 scores', () => {
  manualSeed(13);
  const dim = 384;
  const k = 50;
  const q = unit(40, dim);
  // documents of norms 0.1 to 10 (the bound scales with ||q|| max ||d||), and a chunk of duplicates (ties)
  const d = unit(6000, dim);
  for (let j = 0; j < 6000; j++) {
    const scale = 0.1 + (j % 97) / 9.7;
    for (let c = 0; c < dim; c++) d[j * dim + c] = d[j * dim + c]! * scale;
  }
  d.copyWithin(5000 * dim, 0, 1000 * dim);
  for (const chunk of [6000, 2048]) {
    const exact = search(q, d, dim, k, chunk, {});
    const scan = search(q, d, dim, k, chunk, { scan: 'bf16' });
    assert.deepEqual([...scan.indices], [...exact.indices]);
    for (let i = 0; i < exact.scores.length; i++)
      assert.ok(Math.abs(scan.scores[i]! - exact.scores[i]!) <= 1e-5 * Math.abs(exact.scores[i]!));
  }
});

test('a NaN score never enters the top-k (the selection needs a strict weak ordering)', () => {
  const dim = 16;
  const k = 5;
  const q = integers(4, dim, 3);
  const d = new Float32Array(200 * dim);
  d.set(integers(200, dim, 4));
  const poisoned = [0, 7, 50, 51, 199];
  for (const row of poisoned) d[row * dim + 2] = Number.NaN; // every score of these rows is NaN
  const full = bruteForce(
    q,
    d.map((x) => (Number.isNaN(x) ? 0 : x)),
    dim,
    200,
  );
  const ref = { ids: full.ids.map((ids) => ids.filter((j) => !poisoned.includes(j)).slice(0, k)) };
  const top = search(q, d, dim, k, 64, { tile: { rowsPerBlock: 2, docsPerTile: 8 } });
  for (let i = 0; i < ref.ids.length; i++) {
    assert.deepEqual([...top.indices.slice(i * k, (i + 1) * k)], ref.ids[i], `query ${i}`);
    assert.ok([...top.scores.slice(i * k, (i + 1) * k)].every((s) => Number.isFinite(s)));
  }
});

test('scores of -0 and +0 are equal: ties by position, as the brute force ranks them', () => {
  // 1-d: query -1 against 0 gives -0, against -0 gives +0; negative and positive scores around them
  const q = Float32Array.from([-1]);
  const d = Float32Array.from([0, -0, 2, 0, -3, -0, 1]);
  const top = search(q, d, 1, 7, 4, { tile: { rowsPerBlock: 1, docsPerTile: 2 } });
  // scores: -0, +0, -2, -0, 3, +0, -1 -> 3 first, then the four zeros by position, then -1, -2
  assert.deepEqual([...top.indices], [4, 0, 1, 3, 5, 6, 2]);
  assert.deepEqual(
    [...top.scores].map((s) => s + 0),
    [3, 0, 0, 0, 0, -1, -2],
  );
});
