// The MNRL batch sampler: never one query (or one text) twice in a batch, every item once per
// epoch or reported as a leftover, seeded; the plain shuffle when nothing clashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/data/random.ts';
import { batchPlan } from '../../src/train/batch-order.ts';
import {
  batchesInOrder,
  noDuplicateBatches,
  noDuplicateBatchPlan,
  tripleItems,
  type BatchItem,
} from '../../src/train/no-duplicate-batches.ts';

const byKeys = (keys: string): BatchItem[] => [...keys].map((k, i) => ({ key: k, texts: [`q${k}`, `p${i}`] }));
const plain = (bs: Uint32Array[]): number[][] => bs.map((b) => Array.from(b));

test('worked example: keys A A B A C B D A in this order, batch 3', () => {
  // batch 1: 0(A) 1(A waits) 2(B) 3(A waits) 4(C) -> [0 2 4]; waiting 1 3
  // batch 2: 1(A) 3(A waits) 5(B) 6(D) -> [1 5 6]; waiting 3
  // batch 3: 3(A) 7(A waits), nothing left -> partial [3]; batch 4: [7] partial
  const items = byKeys('AABACBDA');
  const order = [0, 1, 2, 3, 4, 5, 6, 7];
  const drop = batchesInOrder(items, order, 3, true);
  assert.deepEqual(plain(drop.batches), [
    [0, 2, 4],
    [1, 5, 6],
  ]);
  assert.deepEqual(drop.leftover, [3, 7], 'the two A items that could only go into partial batches');
  assert.deepEqual(plain(batchesInOrder(items, order, 3, false).batches), [[0, 2, 4], [1, 5, 6], [3], [7]]);
});

test('an identical text clashes like a query: a passage that is one query positive and another negative', () => {
  // items 0 (A, positive P) and 1 (B, negative P) cannot share a batch; 2 (C) fills batch 1
  const items: BatchItem[] = [
    { key: 'A', texts: ['qa', 'P', 'n0'] },
    { key: 'B', texts: ['qb', 'p1', 'P'] },
    { key: 'C', texts: ['qc', 'p2', 'n2'] },
    { key: 'D', texts: ['qd', 'p3', 'n3'] },
  ];
  assert.deepEqual(plain(batchesInOrder(items, [0, 1, 2, 3], 2, true).batches), [
    [0, 2],
    [1, 3],
  ]);
  const self: BatchItem[] = [{ key: 'A', texts: ['same', 'same'] }];
  assert.deepEqual(plain(batchesInOrder(self, [0], 1, true).batches), [[0]], 'an item never clashes with itself');
});

/** 43 queries with 1 to 60 positives each (skewed like DL20's judgments), some passages shared. */
function skewedItems(rng: Random): BatchItem[] {
  const items: BatchItem[] = [];
  for (let q = 0; q < 43; q++) {
    const count = 1 + Math.floor(60 * rng.next() ** 3);
    for (let k = 0; k < count; k++)
      items.push({ key: `q${q}`, texts: [`query ${q}`, `passage ${rng.int(2000)}`, `passage ${rng.int(2000)}`] });
  }
  return items;
}

function assertNoDuplicates(items: readonly BatchItem[], batches: Uint32Array[], what: string): void {
  for (const b of batches) {
    const keys = new Set<string>();
    const texts = new Set<string>();
    for (const i of b) {
      const it = items[i]!;
      assert.ok(!keys.has(it.key), `${what}: query ${it.key} twice in a batch`);
      keys.add(it.key);
      for (const t of new Set(it.texts)) {
        assert.ok(!texts.has(t), `${what}: text "${t}" twice in a batch`);
        texts.add(t);
      }
    }
  }
}

test('over 50 seeds: no duplicate in any batch, every item once (or a leftover), seeded', () => {
  const items = skewedItems(new Random(5));
  let leftovers = 0;
  for (let seed = 0; seed < 50; seed++) {
    const r = noDuplicateBatches(items, { batchSize: 16, seed });
    assertNoDuplicates(items, r.batches, `seed ${seed}`);
    assert.ok(
      r.batches.every((b) => b.length === 16),
      'only full batches',
    );
    const used = [...r.batches.flatMap((b) => Array.from(b)), ...r.leftover].sort((a, b) => a - b);
    assert.deepEqual(
      used,
      items.map((_, i) => i),
      `seed ${seed}: each item exactly once`,
    );
    leftovers += r.leftover.length;
    const kept = noDuplicateBatches(items, { batchSize: 16, seed, dropLast: false });
    assertNoDuplicates(items, kept.batches, `seed ${seed}, kept`);
    assert.equal(kept.leftover.length, 0);
    assert.equal(
      kept.batches.reduce((s, b) => s + b.length, 0),
      items.length,
    );
  }
  assert.ok(leftovers < 50 * items.length * 0.2, `leftovers stay a small share: ${leftovers} over 50 epochs`);
  assert.deepEqual(
    noDuplicateBatches(items, { batchSize: 16, seed: 7 }),
    noDuplicateBatches(items, { batchSize: 16, seed: 7 }),
  );
  assert.notDeepEqual(
    noDuplicateBatches(items, { batchSize: 16, seed: 7 }).batches,
    noDuplicateBatches(items, { batchSize: 16, seed: 8 }).batches,
  );
  assert.notDeepEqual(
    noDuplicateBatches(items, { batchSize: 16, seed: 7, epoch: 1 }).batches,
    noDuplicateBatches(items, { batchSize: 16, seed: 7, epoch: 0 }).batches,
    'each epoch its own order',
  );
});

test('the plain shuffle puts one query twice in most batches; the sampler in none', () => {
  const items = skewedItems(new Random(9));
  const p = batchPlan(items.length, 16, 1, 42);
  let clashing = 0;
  for (let m = 0; m < p.microPerEpoch; m++) {
    const keys = Array.from(p.batch(m), (i) => items[i]!.key);
    if (new Set(keys).size < keys.length) clashing++;
  }
  assert.ok(clashing > 0.5 * p.microPerEpoch, `plain: ${clashing} of ${p.microPerEpoch} batches hold a query twice`);
  assertNoDuplicates(items, noDuplicateBatches(items, { batchSize: 16, seed: 42 }).batches, 'sampler');
});

test('nothing clashes: the same batches as the trainer plain order', () => {
  const items = Array.from({ length: 37 }, (_, i) => ({ key: `q${i}`, texts: [`q${i}`, `p${i}`, `n${i}`] }));
  const plan = batchPlan(items.length, 8, 1, 3);
  for (const epoch of [0, 1]) {
    const r = noDuplicateBatches(items, { batchSize: 8, seed: 3, epoch });
    assert.equal(r.batches.length, plan.microPerEpoch);
    r.batches.forEach((b, m) =>
      assert.deepEqual(
        Array.from(b),
        Array.from(plan.batch(epoch * plan.microPerEpoch + m)),
        `epoch ${epoch} batch ${m}`,
      ),
    );
    assert.equal(r.leftover.length, 37 % 8, 'the last partial batch is the leftover');
  }
});

test('as a BatchPlan: fixed batches per epoch, duplicate-free across epochs, from text triples', () => {
  const rng = new Random(2);
  const triples = Array.from({ length: 200 }, (_, i) => ({
    query: `query ${rng.int(25)}`,
    positive: `positive ${i}`,
    negative: `negative ${rng.int(500)}`,
  }));
  const items = tripleItems(triples);
  const plan = noDuplicateBatchPlan(items, 8, 2, 11, 3);
  assert.ok(plan.microPerEpoch >= 20 && plan.microPerEpoch <= 25, `${plan.microPerEpoch} batches of 8 from 200`);
  assert.equal(plan.stepsPerEpoch, Math.floor(plan.microPerEpoch / 2));
  const all = Array.from({ length: 4 * plan.microPerEpoch }, (_, m) => plan.batch(m)); // one epoch past the plan
  assertNoDuplicates(items, all, 'plan');
  assert.ok(all.every((b) => b.length === 8));
  const again = noDuplicateBatchPlan(items, 8, 2, 11, 3);
  assert.deepEqual(plain(all), plain(all.map((_, m) => again.batch(m))), 'same seed, same batches');
});

test('a run measured in steps plans every epoch it reaches: no epoch short of batches stops it midway', () => {
  // skewed queries: epochs make different numbers of duplicate-free batches (the study's recipe at 200 steps)
  const rng = new Random(5);
  const triples = Array.from({ length: 60 }, (_, i) => ({
    query: `query ${rng.int(3) === 0 ? 0 : rng.int(12)}`,
    positive: `positive ${i}`,
    negative: `negative ${i}`,
  }));
  const items = tripleItems(triples);
  const counts = Array.from(
    { length: 40 },
    (_, e) => noDuplicateBatches(items, { batchSize: 4, seed: 0, epoch: e, dropLast: true }).batches.length,
  );
  // epoch 0 makes more than a later one: a plan of one epoch would run out there
  assert.ok(counts[0]! > Math.min(...counts), `epochs: ${counts.join(' ')}`);
  assert.throws(() => {
    const short = noDuplicateBatchPlan(items, 4, 1, 0, 1);
    for (let m = 0; m < 20 * counts[0]!; m++) short.batch(m);
  }, /duplicate-free batches, fewer than/);
  const micros = 20 * Math.max(...counts);
  const plan = noDuplicateBatchPlan(items, 4, 1, 0, 1, micros);
  const all = Array.from({ length: micros }, (_, m) => plan.batch(m)); // threw past the first short epoch
  assertNoDuplicates(items, all, 'plan over many epochs');
});
