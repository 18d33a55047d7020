// Native memory is released deterministically: 10,000 forward passes (with a backward every
// 10th) leave resident memory flat and no live tensor behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int64, tensor, tidy, noGrad, liveTensors } from '../../src/engine/index.ts';
import { Bert } from '../../src/model/bert.ts';
import { meanPool } from '../../src/model/pooling.ts';
import { randomWeights, tinyConfig } from '../helpers/tiny-model.ts';

test('10,000 forward passes keep resident memory flat', () => {
  const cfg = tinyConfig({ vocabSize: 1000 });
  const bert = Bert.fromWeights(cfg, randomWeights(cfg, 1));
  for (const p of bert.params.values()) p.setRequiresGrad(true);
  const ids = int64(
    Array.from({ length: 4 * 16 }, (_, i) => (i * 7) % 1000),
    [4, 16],
  );
  const mask = tensor(new Float32Array(64).fill(1), [4, 16]);
  const step = (i: number): void => {
    if (i % 10 === 0) {
      tidy(() => meanPool(bert.forward(ids, mask), mask).sum().backward());
      for (const p of bert.params.values()) p.clearGrad();
    } else {
      noGrad(() => tidy(() => meanPool(bert.forward(ids, mask), mask).f32()));
    }
  };
  for (let i = 0; i < 1000; i++) step(i);
  global.gc?.();
  const rssWarm = process.memoryUsage().rss;
  const live = liveTensors(); // after the warm-up: the model keeps its prepared inference weights
  for (let i = 0; i < 10000; i++) step(i);
  global.gc?.();
  const growthMiB = (process.memoryUsage().rss - rssWarm) / 2 ** 20;
  assert.equal(liveTensors(), live, 'every tensor made in the loop was released');
  assert.ok(growthMiB < 24, `resident memory grew by ${growthMiB.toFixed(1)} MiB over 10,000 passes`);
});
