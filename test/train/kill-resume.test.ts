// Issue 8, "how it is checked": kill -9 during training at a random step, 5 times, then
// --resume: the final loss and weights equal an uninterrupted run. The checkpoints come
// from the time-based schedule (a tiny --save-every-minutes), not from --save-every.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/data/random.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { REPO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const triples = join(dir, 'triples.tsv');
writeFileSync(triples, triplesTsv(synthTriples(64)));
const STEPS = 80;
const args = (out: string): string[] => [
  join(REPO, 'bin', 'ftlab.js'),
  'train',
  '--train',
  triples,
  '--output',
  out,
  '--model',
  model,
  '--threads',
  '1',
  '--batch-size',
  '4',
  '--max-steps',
  String(STEPS),
  '--lr',
  '1e-3',
  '--warmup-steps',
  '5',
  '--eval-fraction',
  '0',
  '--save-every-minutes',
  '0.00001',
  '--quiet',
];

function stepsLogged(out: string): number {
  try {
    return readFileSync(join(out, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"step"')).length;
  } catch {
    return 0;
  }
}

/** Starts (or resumes) the run and kills it once it has logged step `step` (and a step the last process had not). */
async function killAtStep(out: string, step: number): Promise<number> {
  const want = Math.max(step, stepsLogged(out) + 1);
  const child = spawn(process.execPath, [...args(out), '--resume'], { stdio: 'ignore' });
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!done && stepsLogged(out) < want) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  return stepsLogged(out);
}

function finalLoss(out: string): number {
  const steps = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; loss: number })
    .filter((l) => l.type === 'step');
  assert.deepEqual(
    steps.map((s) => s.step),
    Array.from({ length: STEPS }, (_, i) => i + 1),
    'the log reads as one run',
  );
  return steps[steps.length - 1]!.loss;
}

test('kill -9 at 5 random steps, then --resume: final loss and weights equal an uninterrupted run', async () => {
  const straight = join(dir, 'straight');
  const r = spawnSync(process.execPath, args(straight), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = join(dir, 'killed');
  const rng = new Random([8, 9, 2026, 5]);
  const targets = Array.from({ length: 5 }, (_, i) => 1 + i * 12 + rng.int(10)); // one in each of 5 spans of 12 steps
  const killedAt: number[] = [];
  for (const t of targets) killedAt.push(await killAtStep(out, t));
  assert.equal(
    existsSync(join(out, 'model.safetensors')),
    false,
    `the kills (at logged steps ${killedAt.join(', ')}) stopped the run before its end`,
  );
  assert.ok(
    killedAt.every((s, i) => i === 0 || s > killedAt[i - 1]!),
    `each kill came after new steps: ${killedAt.join(', ')}`,
  );
  const fin = spawnSync(process.execPath, [...args(out), '--resume'], { encoding: 'utf8' });
  assert.equal(fin.status, 0, fin.stderr);
  assert.equal(finalLoss(out), finalLoss(straight));
  const a = loadSafetensors(join(straight, 'model.safetensors'));
  const b = loadSafetensors(join(out, 'model.safetensors'));
  const bytes = (x: Float32Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  assert.equal(b.size, a.size);
  for (const [k, t] of a) assert.ok(bytes(b.get(k)!.f32()).equals(bytes(t.f32())), `${k}: weights differ`);
});
