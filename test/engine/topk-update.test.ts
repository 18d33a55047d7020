import { test } from 'node:test';
import assert from 'node:assert/strict';
import { full, tensor, topkUpdate, manualSeed, randn, noGrad, tidy } from '../../src/engine/index.ts';

test('topkUpdate folds chunks into the same top-k as one topk over everything', () =>
  noGrad(() =>
    tidy(() => {
      manualSeed(3);
      const Q = 5,
        N = 300,
        K = 17;
      const all = randn([Q, N]);
      const want = all.topk(K, 1);
      const values = full([Q, K], -Infinity);
      const indices = full([Q, K], -1, { dtype: 'int64' });
      for (let s = 0; s < N; s += 64) topkUpdate(values, indices, all.slice(1, s, Math.min(N, s + 64)), s);
      assert.deepEqual([...values.f32()], [...want.values.f32()]);
      assert.deepEqual([...indices.i64()], [...want.indices.i64()]);
    }),
  ));

test('topkUpdate: ties keep the lower index; fewer entries than k leave -inf / -1', () =>
  noGrad(() =>
    tidy(() => {
      const values = full([1, 4], -Infinity);
      const indices = full([1, 4], -1, { dtype: 'int64' });
      topkUpdate(values, indices, tensor(new Float32Array([0.5, 0.9]), [1, 2]), 0);
      assert.deepEqual([...values.f32()], [Math.fround(0.9), 0.5, -Infinity, -Infinity]);
      assert.deepEqual([...indices.i64()].map(Number), [1, 0, -1, -1]);
      topkUpdate(values, indices, tensor(new Float32Array([0.5, 0.9, 0.1]), [1, 3]), 10);
      assert.deepEqual(
        [...values.f32()].map((v) => Number(v.toFixed(3))),
        [0.9, 0.9, 0.5, 0.5],
      );
      assert.deepEqual([...indices.i64()].map(Number), [1, 11, 0, 10]);
      assert.throws(
        () => topkUpdate(values, indices, tensor(new Float32Array([1]), [1, 1]).to('cpu', 'float64'), 0),
        /float32/,
      );
    }),
  ));
