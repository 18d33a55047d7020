// The claiming logic of work-units.ts on two workers in one process, sharing a store as two ranks
// share rank 0's TCPStore: every unit runs exactly once, on the worker that claimed it; a shared
// stage runs on rank 0 before the others read it; a fold's shared stages run once each, where
// claimed; rank 0 ends with every unit's timings; a failure on one worker ends the other with
// the same line; a second launch claims afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { World } from '../../src/engine/index.ts';
import type { StageTiming } from '../../src/experiment/stage-cache.ts';
import { ONE_PROCESS, studyWork } from '../../src/experiment/work-units.ts';

/** A world of `size` ranks whose store is `m` (collectives are not used by the study). */
function fakeWorld(rank: number, size: number, m: Map<string, string>): World {
  const none = (): never => {
    throw new Error('the study uses no collective');
  };
  return {
    rank,
    size,
    allReduce: none,
    allReduceMany: none,
    allGather: none,
    broadcast: none,
    barrier: none,
    store: {
      set: (k, v) => void m.set(k, v),
      get: (k) => m.get(k) ?? none(),
      add: (k, by) => {
        const n = Number(m.get(k) ?? 0) + by;
        m.set(k, String(n));
        return n;
      },
      has: (k) => m.has(k),
    },
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('two workers: each unit runs once; shared stages first on rank 0; rank 0 gets every timing', async () => {
  const store = new Map<string, string>();
  const timings: StageTiming[][] = [[], []];
  const works = [0, 1].map((r) => studyWork(fakeWorld(r, 2, store), timings[r]!));
  const units = ['a', 'b', 'c', 'd', 'e'];
  const ran: string[][] = [[], []];
  const order: string[] = [];
  // the first unit waits until the other worker has claimed one too: otherwise a worker that
  // polls late (100 ms) can find every unit taken, and the test would time the poll, not the claims
  let release = (): void => {};
  const both = new Promise<void>((r) => {
    release = r;
  });
  await Promise.all(
    works.map(async (w, r) => {
      const negatives = await w.shared('negatives', async () => {
        order.push(`negatives on ${r}`);
        await tick(30);
        return 7;
      });
      assert.equal(negatives, 7);
      await w.spread(
        'units',
        units,
        (u) => u,
        async (u) => {
          ran[r]!.push(u);
          timings[r]!.push({ name: `train.${u}`, seconds: 1, cached: false });
          if (ran[0]!.length > 0 && ran[1]!.length > 0) release();
          await Promise.race([both, tick(5000)]);
        },
      );
    }),
  );
  // rank 0 computes first; rank 1 runs it after (in the study: a read of rank 0's cached stage)
  assert.deepEqual(order, ['negatives on 0', 'negatives on 1']);
  assert.deepEqual([...ran[0]!, ...ran[1]!].sort(), units);
  assert.ok(ran[0]!.length > 0 && ran[1]!.length > 0, `rank 0 ran ${ran[0]}, rank 1 ran ${ran[1]}`);
  assert.deepEqual(timings[0]!.map((t) => t.name).sort(), units.map((u) => `train.${u}`).sort());
  assert.deepEqual(timings[1]!.map((t) => t.name).sort(), ran[1]!.map((u) => `train.${u}`).sort());
  assert.equal(works[0]!.lead && !works[1]!.lead, true);

  // a second launch on the same store (torchrun's may outlive the ranks) claims every unit again
  const again = [0, 1].map((r) => studyWork(fakeWorld(r, 2, store), []));
  const rerun: string[] = [];
  await Promise.all(
    again.map((w) =>
      w.spread(
        'units',
        units,
        (u) => u,
        async (u) => void rerun.push(u),
      ),
    ),
  );
  assert.deepEqual(rerun.sort(), units);
});

test('shared stages one per item: each computed once, where claimed; every worker reads all; rank 0 keeps each computed time once; a long stage trips no watchdog', async () => {
  const store = new Map<string, string>();
  const timings: StageTiming[][] = [[], []];
  const works = [0, 1].map((r) => studyWork(fakeWorld(r, 2, store), timings[r]!));
  const cache = new Map<string, number>(); // the stage cache both workers see
  const computed: string[] = [];
  // as the stage cache does: a stored value is a read (cached), else computed and stored
  const stage = (r: number) => async (fold: string) => {
    const t = timings[r]!;
    if (cache.has(fold)) {
      t.push({ name: fold, seconds: 0, cached: true });
      return cache.get(fold)!;
    }
    computed.push(`${fold} on ${r}`);
    await tick(fold === 'cde' ? 300 : 20); // the other worker waits ~280 ms with no beat: 5 x the timeout below
    cache.set(fold, fold.length);
    t.push({ name: fold, seconds: 1, cached: false });
    return fold.length;
  };
  const was = process.env.FTLAB_DIST_TIMEOUT;
  process.env.FTLAB_DIST_TIMEOUT = '0.05';
  try {
    const values = await Promise.all(works.map((w, r) => w.sharedEach('prepare', ['ab', 'cde'], String, stage(r))));
    assert.deepEqual(values, [
      [2, 3],
      [2, 3],
    ]);
  } finally {
    if (was === undefined) delete process.env.FTLAB_DIST_TIMEOUT;
    else process.env.FTLAB_DIST_TIMEOUT = was;
  }
  assert.equal(computed.length, 2, computed.join(', '));
  assert.deepEqual(computed.map((c) => c.split(' ')[0]).sort(), ['ab', 'cde']);
  assert.deepEqual(
    timings[0]!.map((t) => `${t.name} ${t.cached}`).sort(),
    ['ab false', 'cde false'],
    "rank 0: each stage's computed time, no reads",
  );
  // one process: each in order; data-parallel: rank 0 computes each, then the others read it
  assert.deepEqual(await ONE_PROCESS.sharedEach('p', [1, 2], String, async (x) => x * 10), [10, 20]);
  const order: string[] = [];
  const dataStore = new Map<string, string>();
  const data = [0, 1].map((r) => studyWork(fakeWorld(r, 2, dataStore), [], 'data'));
  await Promise.all(
    data.map((w, r) =>
      w.sharedEach('p', ['x', 'y'], String, async (u) => {
        order.push(`${u} on ${r}`);
        if (r === 0) await tick(30);
      }),
    ),
  );
  assert.ok(order.indexOf('x on 0') < order.indexOf('x on 1') && order.indexOf('y on 0') < order.indexOf('y on 1'));
});

test('a failure on one worker ends the waiting one with the same line', async () => {
  const store = new Map<string, string>();
  const [w0, w1] = [0, 1].map((r) => studyWork(fakeWorld(r, 2, store), []));
  const lead = w0!.run(async () => {
    await w0!.spread(
      'units',
      ['x', 'y'],
      (u) => u,
      async () => {},
    );
    return 'done';
  });
  const other = w1!.run(() =>
    w1!.spread(
      'units',
      ['x', 'y'],
      (u) => u,
      async () => {
        throw new Error('x.tsv: no such file');
      },
    ),
  );
  await assert.rejects(other, /^Error: x\.tsv: no such file$/);
  await assert.rejects(lead, (e: Error) => e.message === 'x.tsv: no such file');
});

test('one process: shared stages run, spread leaves the units to the fold', async () => {
  let ran = 0;
  assert.equal(await ONE_PROCESS.shared('s', async () => 3), 3);
  await ONE_PROCESS.spread('u', [1, 2], String, async () => void ran++);
  assert.equal(ran, 0);
  assert.equal(studyWork(fakeWorld(0, 1, new Map()), []), ONE_PROCESS);
});

test('data-parallel: every worker runs every unit, in the same order, and trains with the whole world', async () => {
  const store = new Map<string, string>();
  const works = [0, 1].map((r) => studyWork(fakeWorld(r, 2, store), [], 'data'));
  const ran: string[][] = [[], []];
  await Promise.all(works.map((w, r) => w.spread('units', ['a', 'b', 'c'], String, async (u) => void ran[r]!.push(u))));
  assert.deepEqual(ran, [
    ['a', 'b', 'c'],
    ['a', 'b', 'c'],
  ]);
  assert.deepEqual(
    works.map((w) => w.trainingRanks),
    [2, 2],
  );
  assert.equal(studyWork(fakeWorld(0, 2, new Map()), []).trainingRanks, 1);
});
