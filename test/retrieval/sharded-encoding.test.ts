// How work is cut across ranks, from worked examples: the cache shards a rank encodes
// (contiguous runs covering every shard once), the encoding batches a rank runs (contiguous
// runs by padded tokens), and that a rank's share re-planned gives one process's batches, so
// its vectors are one process's bit for bit (checked against encode on a tiny model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARD, shardsOf } from '../../src/retrieval/embedding-cache.ts';
import { batchRuns, encodeShare, shardOwner } from '../../src/retrieval/sharded-encoding.ts';
import { planBatches, SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import type { World } from '../../src/engine/index.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

test('shardsOf: contiguous runs in rank order, every shard once, lengths within one', () => {
  // 5 shards on 2 ranks: rank 0 floor(0*5/2)..floor(1*5/2) = 0..2 -> [0, 1]; rank 1 2..5 -> [2, 3, 4]
  assert.deepEqual(shardsOf(5, { rank: 0, size: 2 }), [0, 1]);
  assert.deepEqual(shardsOf(5, { rank: 1, size: 2 }), [2, 3, 4]);
  assert.deepEqual(shardsOf(1, { rank: 0, size: 3 }), []); // more ranks than shards: some idle
  assert.deepEqual(shardsOf(1, { rank: 2, size: 3 }), [0]);
  for (const [shards, size] of [
    [7, 3],
    [2, 5],
    [64, 8],
  ] as const) {
    const runs = Array.from({ length: size }, (_, rank) => shardsOf(shards, { rank, size }));
    assert.deepEqual(
      runs.flat(),
      Array.from({ length: shards }, (_, s) => s),
    );
    const lengths = runs.map((r) => r.length);
    assert.ok(Math.max(...lengths) - Math.min(...lengths) <= 1, `${shards} on ${size}: ${lengths}`);
    runs.forEach((r, rank) => {
      for (const s of r) assert.equal(shardOwner(s, shards, size), rank);
    });
  }
  assert.equal(SHARD, 16384);
});

test('batchRuns: a batch goes to the run its padded-token midpoint falls in', () => {
  // lengths 3, 3 | 2, 2 | 2: with batchSize 2 the plan is [0, 1], [2, 3], [4]; costs 2*3 = 6,
  // 2*2 = 4, 1*2 = 2, total 12; midpoints 3, 8, 11 -> runs floor(2*3/12) = 0, floor(16/12) = 1,
  // floor(22/12) = 1
  const lists = [
    [1, 2, 3],
    [1, 2, 3],
    [1, 2],
    [1, 2],
    [1, 2],
  ];
  const plan = planBatches(
    lists.map((l) => l.length),
    { batchSize: 2 },
  );
  assert.deepEqual(plan, [[0, 1], [2, 3], [4]]);
  assert.deepEqual(batchRuns(plan, lists, 2), [[[0, 1]], [[2, 3], [4]]]);
  // one rank: everything; more ranks than batches: the rest get none
  assert.deepEqual(batchRuns(plan, lists, 1), [plan]);
  assert.deepEqual(
    batchRuns(plan, lists, 6).map((r) => r.length),
    [0, 1, 0, 0, 1, 1],
  );
});

test("encodeShare: each rank's rows are one process's vectors, bit for bit, and the ranks cover every text", () => {
  const enc = SentenceEncoder.load(writeTinyModel(tmpDir()));
  try {
    const texts = Array.from({ length: 37 }, (_, i) => `text ${i} ${'word '.repeat((i * 7) % 13)}`);
    const opts = { batchSize: 4 };
    const whole = enc.encode(texts, 'passage', opts);
    const C = enc.dim;
    const covered: number[] = [];
    for (let rank = 0; rank < 3; rank++) {
      const w = { rank, size: 3 } as World; // encodeShare reads only rank and size
      const { rows, vectors } = encodeShare(enc, texts, 'passage', opts, w);
      assert.ok(rows.length > 0, `rank ${rank} has work`);
      rows.forEach((i, k) =>
        assert.deepEqual(vectors.subarray(k * C, (k + 1) * C), whole.subarray(i * C, (i + 1) * C)),
      );
      covered.push(...rows);
    }
    assert.deepEqual(
      covered.sort((a, b) => a - b),
      texts.map((_, i) => i),
    );
  } finally {
    enc.dispose();
  }
});
