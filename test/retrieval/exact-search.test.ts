import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, noGrad, tidy } from '../../src/engine/index.ts';
import { exactSearch } from '../../src/retrieval/exact-search.ts';

test('exactSearch over chunks and query blocks equals brute force', async () => {
  manualSeed(5);
  const dim = 8,
    D = 250,
    Q = 7,
    k = 10;
  const docs = noGrad(() => tidy(() => randn([D, dim]).f32()));
  const queries = noGrad(() => tidy(() => randn([Q, dim]).f32()));
  const chunks = function* (): Generator<Float32Array> {
    for (let s = 0; s < D; s += 64) yield docs.subarray(s * dim, Math.min(D, s + 64) * dim);
  };
  const top = await exactSearch(queries, dim, chunks(), k, { queryBlock: 3 });
  for (let q = 0; q < Q; q++) {
    const scores = Array.from({ length: D }, (_, d) => {
      let s = 0;
      for (let c = 0; c < dim; c++) s += queries[q * dim + c]! * docs[d * dim + c]!;
      return { d, s };
    })
      .sort((a, b) => b.s - a.s)
      .slice(0, k);
    assert.deepEqual(
      [...top.indices.slice(q * k, (q + 1) * k)],
      scores.map((x) => x.d),
    );
    for (let j = 0; j < k; j++) assert.ok(Math.abs(top.scores[q * k + j]! - scores[j]!.s) < 1e-4);
  }
  const few = await exactSearch(queries, dim, [docs.subarray(0, 3 * dim)], k);
  assert.deepEqual([...few.indices.slice(3, k)], new Array(k - 3).fill(-1));
});
