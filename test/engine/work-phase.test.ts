// WorkPhase, the wait for peers' unbounded work, on a fake 2-rank world whose store is a Map
// (the real store's add/has semantics): it returns once both ranks are done, keeps waiting
// while a peer beats, and fails with one line when nobody beat for the timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkPhase, type World } from '../../src/engine/index.ts';
import { UserError } from '../../src/errors.ts';

function fakeWorld(rank: number, store: Map<string, string>): World {
  const add = (k: string, by: number): number => {
    const n = Number(store.get(k) ?? 0) + by;
    store.set(k, String(n));
    return n;
  };
  return {
    rank,
    size: 2,
    store: { set: (k, v) => void store.set(k, v), get: (k) => store.get(k)!, add, has: (k) => store.has(k) },
  } as World;
}

test('WorkPhase: done() returns once both ranks are done; a beating peer keeps it waiting past the timeout', async () => {
  const store = new Map<string, string>();
  const phase = new WorkPhase(fakeWorld(0, store), 'encode', 0.3);
  const t0 = Date.now();
  const waiting = phase.done(); // rank 0 done at once (its count is in the store before the first await)
  const done = [...store.keys()].find((k) => k.endsWith('/done'))!;
  assert.equal(store.get(done), '1');
  // rank 1 works ~0.9 s (three timeouts), beating every 100 ms, then is done
  const bump = (k: string): void => void store.set(k, String(Number(store.get(k) ?? 0) + 1));
  const beats = setInterval(() => bump(done.replace('/done', '/beats')), 100);
  await new Promise((r) => setTimeout(r, 900));
  clearInterval(beats);
  bump(done);
  await waiting;
  assert.ok(Date.now() - t0 >= 900);
});

test('WorkPhase: no beat from any rank for the timeout is one line naming the wait', async () => {
  const store = new Map<string, string>();
  const phase = new WorkPhase(fakeWorld(0, store), 'encode collection', 0.3);
  const t0 = Date.now();
  await assert.rejects(phase.done(), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^encode collection: rank 0 waited 0\.3 s for the other ranks without a sign of progress/);
    assert.equal(e.message.includes('\n'), false);
    return true;
  });
  const secs = (Date.now() - t0) / 1000;
  assert.ok(secs >= 0.3 && secs < 5, `${secs} s`);
});
