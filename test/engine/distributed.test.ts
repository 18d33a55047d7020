// Issue 21, "how it is checked", on CPU with Gloo over localhost: data-parallel training on 2
// ranks gives the same losses and weights as 1 process (triplet and gathered MNRL); a resume
// on another world size is refused; a rank that dies ends the others with exit 1 within a
// bounded time; a rendezvous that times out is one line, exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distributedInfo } from '../../src/engine/index.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { REPO, tinyConfig, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';
import { rankPid } from '../helpers/ranks.ts';

const skip = distributedInfo().gloo ? false : 'this engine build has no c10d/Gloo (libtorch 1.13 or no libgloo-dev)';
const dir = tmpDir();
// no dropout: ranks draw dropout masks from their own generators, so only a dropout-free model
// can match one process bit for bit in what it computes
const model = writeTinyModel(join(dir, 'model'), tinyConfig({ hiddenDropout: 0, attentionDropout: 0 }));
const triples = join(dir, 'triples.tsv');
writeFileSync(triples, triplesTsv(synthTriples(64)));

const trainArgs = (out: string, loss: string, steps = 6): string[] => [
  'train',
  '--train',
  triples,
  '--model',
  model,
  '--output',
  out,
  '--loss',
  loss,
  '--batch-size',
  '8',
  '--max-steps',
  String(steps),
  '--lr',
  '1e-3',
  '--warmup-steps',
  '2',
  '--eval-fraction',
  '0',
  '--quiet',
];

function losses(out: string): number[] {
  return readFileSync(join(out, 'log.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"step"'))
    .map((l) => (JSON.parse(l) as { loss: number }).loss);
}

// The attention key bias has an identically zero gradient (softmax ignores a shift shared by
// a query's scores), so its float-noise gradients (~1e-10) differ in summation order and AdamW,
// which divides by their own size, turns them into full-size steps: compared separately.
const ZERO_GRADIENT = /attention\.self\.key\.bias$/;

function maxWeightDiff(a: string, b: string): { rest: number; keyBias: number } {
  const wa = loadSafetensors(join(a, 'model.safetensors'));
  const wb = loadSafetensors(join(b, 'model.safetensors'));
  const max = { rest: 0, keyBias: 0 };
  for (const [k, t] of wa) {
    const x = t.f32();
    const y = wb.get(k)!.f32();
    const key = ZERO_GRADIENT.test(k) ? 'keyBias' : 'rest';
    for (let i = 0; i < x.length; i++) max[key] = Math.max(max[key], Math.abs(x[i]! - y[i]!));
  }
  for (const t of [...wa.values(), ...wb.values()]) t.dispose();
  return max;
}

for (const loss of ['triplet', 'mnrl']) {
  test(`${loss}: 2 ranks give the losses and weights of 1 process`, { skip }, () => {
    const one = join(dir, `${loss}-1`);
    const two = join(dir, `${loss}-2`);
    const r1 = ftlab(trainArgs(one, loss));
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = ftlab(['launch', '--nproc', '2', '--', ...trainArgs(two, loss)]);
    assert.equal(r2.code, 0, r2.stderr);
    const [l1, l2] = [losses(one), losses(two)];
    assert.equal(l2.length, 6);
    const lossDiff = Math.max(...l1.map((v, i) => Math.abs(v - l2[i]!)));
    const w = maxWeightDiff(one, two);
    console.log(
      `${loss}: 1 vs 2 ranks, max |loss diff| ${lossDiff.toExponential(2)}, max |weight diff| ${w.rest.toExponential(2)} (key biases: ${w.keyBias.toExponential(2)})`,
    );
    assert.ok(lossDiff < 1e-5, `losses differ by ${lossDiff}`);
    assert.ok(w.rest < 1e-5, `weights differ by ${w.rest}`);
    assert.ok(w.keyBias <= 6 * 1e-3, `key biases differ by more than 6 steps of lr 1e-3: ${w.keyBias}`);
    // the losses moved: a run that did not train would match trivially
    assert.ok(Math.abs(l1[0]! - l1[5]!) > 1e-3);
  });
}

test('a resume on another world size is refused', { skip }, () => {
  const out = join(dir, 'resume');
  const r = ftlab(['launch', '--nproc', '2', '--', ...trainArgs(out, 'triplet', 4), '--keep-optimizer-state']);
  assert.equal(r.code, 0, r.stderr);
  assertOneLineError(ftlab([...trainArgs(out, 'triplet', 4), '--resume']), /worldSize 2 -> 1/);
});

test('a rendezvous that times out is one line, exit 1', { skip }, () => {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'ftlab.js'), ...trainArgs(join(dir, 'rdv'), 'triplet')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      WORLD_SIZE: '2',
      RANK: '1',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: '1',
      FTLAB_DIST_TIMEOUT: '2',
    },
  });
  assertOneLineError(
    { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr },
    /rendezvous at 127\.0\.0\.1:1 failed/,
  );
  assert.equal(r.status, 1);
});

test('a rank killed mid-training ends the others: one line from launch, exit 1, within 30 s', { skip }, async () => {
  const out = join(dir, 'killed');
  const args = ['launch', '--nproc', '2', '--', ...trainArgs(out, 'triplet', 100000)];
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ftlab.js'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number>((res) => child.on('exit', (code) => res(code ?? -1)));
  // wait until training runs (log lines appear), then kill rank 1
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      if (readFileSync(join(out, 'log.jsonl'), 'utf8').includes('"step":3')) break;
    } catch {}
  }
  const victim = rankPid(child.pid!, 1);
  assert.ok(victim, 'rank 1 not found');
  const t0 = Date.now();
  process.kill(victim, 'SIGKILL');
  const code = await exited;
  const secs = (Date.now() - t0) / 1000;
  console.log(`killed rank 1: launch exited ${code} after ${secs.toFixed(1)} s`);
  assert.equal(code, 1);
  assert.ok(secs < 30, `took ${secs} s`);
  // one line: rank 0's consequent collective failure is not printed
  assert.deepEqual(stderr.trim().split('\n'), ['ftlab: rank 1 of 2 died (SIGKILL); the other ranks were stopped']);
  assert.equal(rankPid(child.pid!, 0), null);
});

test('sharded search on 2 ranks writes the run of 1 process; its cache serves 1 process', { skip }, () => {
  // 17,000 passages: two cache shards of 16,384 (one per rank, uneven), distinct texts (no ties)
  const words = ['river', 'stone', 'cloud', 'light', 'dark', 'fast', 'slow', 'green', 'blue', 'red', 'alpha', 'omega'];
  const coll = join(dir, 'collection.tsv');
  const lines: string[] = [];
  for (let i = 0; i < 17000; i++)
    lines.push(`p${i}\t${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 11]} ${i}`);
  writeFileSync(coll, `${lines.join('\n')}\n`);
  const queries = join(dir, 'queries.tsv');
  writeFileSync(queries, `${words.map((w, i) => `q${i}\t${w} ${words[(i + 3) % 12]}`).join('\n')}\n`);
  const cache = join(dir, 'cache');
  const args = (out: string): string[] => [
    'search',
    '--collection',
    coll,
    '--queries',
    queries,
    '--k',
    '20',
    '--model',
    model,
    '--quiet',
    '--output',
    out,
  ];
  const one = join(dir, 'one.trec');
  const two = join(dir, 'two.trec');
  const again = join(dir, 'again.trec');
  assert.equal(ftlab([...args(one), '--no-cache']).code, 0);
  const r2 = ftlab(['launch', '--nproc', '2', '--', ...args(two), '--cache-dir', cache]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(readFileSync(two, 'utf8'), readFileSync(one, 'utf8'));
  assert.equal(readFileSync(one, 'utf8').trim().split('\n').length, 12 * 20);
  // both ranks' shards are in the cache: one process finds them all and encodes nothing
  const cached = spawnSync(
    process.execPath,
    [join(REPO, 'bin', 'ftlab.js'), ...args(again).filter((a) => a !== '--quiet'), '--cache-dir', cache],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(cached.status, 0, cached.stderr);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(one, 'utf8'));
  assert.match(cached.stderr, /cached/);
});
