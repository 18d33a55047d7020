// Issue 21 item 3 for embed and re-ranking, with 2 Gloo ranks on localhost: `ftlab embed` on
// 2 ranks writes the file 1 process writes (ids identical, same order, vectors within 1e-6),
// its shards land in the embedding cache and a rerun on 1 process takes them all from there
// (its summary line counts the cache hits); `search --rerank` on 2 ranks writes the run file
// of 1 process, byte for byte, whether the candidates are encoded or come from the cache; a
// rank killed mid-embed ends the other with exit 1, one line, and no output file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distributedInfo } from '../../src/engine/index.ts';
import { readNpyF32 } from '../../src/io/npy.ts';
import { REPO, tinyConfig, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';
import { rankPid } from '../helpers/ranks.ts';

const skip = distributedInfo().gloo ? false : 'this engine build has no c10d/Gloo (libtorch 1.13 or no libgloo-dev)';
const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'), tinyConfig({ hiddenDropout: 0, attentionDropout: 0 }));
// 17,000 passages: two cache shards of 16,384 (one per rank, uneven), distinct texts, ids not in order
const words = ['river', 'stone', 'cloud', 'light', 'dark', 'fast', 'slow', 'green', 'blue', 'red', 'alpha', 'omega'];
const N = 17000;
const coll = join(dir, 'collection.tsv');
const ids = Array.from({ length: N }, (_, i) => `p${(i * 7919) % N}`);
writeFileSync(
  coll,
  `${ids.map((id, i) => `${id}\t${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 11]} ${i}`).join('\n')}\n`,
);
const queries = join(dir, 'queries.tsv');
writeFileSync(queries, `${words.map((w, i) => `q${i}\t${w} ${words[(i + 3) % 12]} ${'x '.repeat(i)}`).join('\n')}\n`);
// 40 candidates a query, spread over the whole collection (both ranks' shards), some shared
const candidates = join(dir, 'candidates.trec');
writeFileSync(
  candidates,
  words
    .flatMap((_, q) =>
      Array.from({ length: 40 }, (_, j) => `q${q} Q0 ${ids[(q * 1301 + j * 421) % N]} ${j + 1} ${-j} bm25\n`),
    )
    .join(''),
);
const cache = join(dir, 'cache');

const embedArgs = (out: string): string[] => ['embed', '--input', coll, '--model', model, '--output', out];

test('embed on 2 ranks writes the file of 1 process; a rerun on 1 process takes every shard from the cache', {
  skip,
}, () => {
  const one = join(dir, 'one.npy');
  const two = join(dir, 'two.npy');
  const again = join(dir, 'again.npy');
  const r1 = ftlab([...embedArgs(one), '--no-cache', '--quiet']);
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = ftlab(['launch', '--nproc', '2', '--', ...embedArgs(two), '--cache-dir', cache]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /embed: 17000 texts in 2 cache shards, 0 of them from the cache, 2 encoded on 2 ranks/);
  const [a, b] = [readNpyF32(one), readNpyF32(two)];
  assert.deepEqual(b.shape, [N, 16]);
  assert.deepEqual(b.shape, a.shape);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  console.log(`embed, 1 vs 2 ranks: largest |difference| ${worst}`);
  assert.ok(worst <= 1e-6, `largest difference ${worst}`);
  assert.equal(readFileSync(`${two}.ids.txt`, 'utf8'), `${ids.join('\n')}\n`);
  assert.equal(readFileSync(`${two}.ids.txt`, 'utf8'), readFileSync(`${one}.ids.txt`, 'utf8'));
  // one process, the same cache: both shards found (the count is the cache's, not a timing)
  const r3 = ftlab([...embedArgs(again), '--cache-dir', cache]);
  assert.equal(r3.code, 0, r3.stderr);
  assert.match(r3.stderr, /embed: 17000 texts in 2 cache shards, 2 of them from the cache, 0 encoded\n/);
  assert.deepEqual(readFileSync(again), readFileSync(two));
});

test('search --rerank on 2 ranks writes the run of 1 process, candidates encoded or cached', { skip }, () => {
  const args = (out: string): string[] => [
    'search',
    '--collection',
    coll,
    '--queries',
    queries,
    '--rerank',
    candidates,
    '--k',
    '25',
    '--model',
    model,
    '--batch-size',
    '4',
    '--quiet',
    '--output',
    out,
  ];
  const one = join(dir, 'rerank-one.trec');
  const r1 = ftlab([...args(one), '--no-cache']);
  assert.equal(r1.code, 0, r1.stderr);
  const text = readFileSync(one, 'utf8');
  assert.equal(text.trim().split('\n').length, 12 * 25);
  assert.notEqual(text, readFileSync(candidates, 'utf8'), 're-ranked, not copied');
  const encoded = join(dir, 'rerank-two.trec');
  const r2 = ftlab(['launch', '--nproc', '2', '--', ...args(encoded), '--no-cache']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(readFileSync(encoded, 'utf8'), text);
  // the embed test above filled the cache with this collection's passage vectors
  const fromCache = join(dir, 'rerank-cached.trec');
  const r3 = ftlab(['launch', '--nproc', '2', '--', ...args(fromCache), '--cache-dir', cache]);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(readFileSync(fromCache, 'utf8'), text);
});

test('embed --input - across ranks is one line, exit 1', { skip }, () => {
  const r = ftlab(['launch', '--nproc', '2', '--', 'embed', '--input', '-', '--json', '--model', model]);
  assertOneLineError(r, /^ftlab: ranks 0, 1 of 2: --input - \(stdin\) runs as one process/);
  assert.equal(r.code, 1);
});

test('a rank killed mid-embed ends the other: one line, exit 1, no output file', { skip }, async () => {
  const out = join(dir, 'killed.npy');
  const fresh = join(dir, 'cache-killed');
  const child = spawn(
    process.execPath,
    [join(REPO, 'bin', 'ftlab.js'), 'launch', '--nproc', '2', '--', ...embedArgs(out), '--cache-dir', fresh],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number>((res) => child.on('exit', (code) => res(code ?? -1)));
  // wait until encoding runs (the cache folder's manifest is written first), then kill rank 1
  let victim: number | null = null;
  for (let i = 0; i < 600 && victim === null; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const started = existsSync(fresh) && readdirSync(join(fresh, 'embeddings')).length > 0;
    if (started) victim = rankPid(child.pid!, 1);
  }
  assert.ok(victim, 'rank 1 not found');
  process.kill(victim, 'SIGKILL');
  assert.equal(await exited, 1);
  assert.deepEqual(
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('ftlab:')),
    ['ftlab: rank 1 of 2 died (SIGKILL); the other ranks were stopped'],
  );
  assert.equal(existsSync(out), false);
  assert.equal(existsSync(`${out}.ids.txt`), false);
});
