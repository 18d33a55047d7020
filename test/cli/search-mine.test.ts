// search, rerank, cache and mining on a synthetic collection with a tiny random model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const cache = join(dir, 'cache');
const words = ['river', 'bank', 'money', 'loan', 'fish', 'water', 'city', 'tax', 'school', 'music', 'piano', 'guitar'];
const collection = join(dir, 'collection.tsv');
writeFileSync(
  collection,
  `${Array.from(
    { length: 120 },
    (_, i) => `${1000 + i}\t${words[i % 12]} ${words[(i * 7) % 12]} passage ${i} about ${words[(i * 5) % 12]}`,
  ).join('\n')}\n`,
);
const queries = join(dir, 'queries.tsv');
writeFileSync(queries, '1\triver water\n2\tpiano music\n3\ttax money loan\n');
const qrels = join(dir, 'qrels.txt');
writeFileSync(qrels, '1 0 1000 1\n1 0 1005 2\n1 0 1010 0\n2 0 1011 1\n3 0 1002 1\n3 0 9999 1\n');
const common = ['--model', model, '--cache-dir', cache, '--quiet', '--threads', '1'];

function readRun(path: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of readFileSync(path, 'utf8').trim().split('\n')) {
    const [q, , d, rank] = l.split(' ');
    if (!out.has(q!)) out.set(q!, []);
    assert.equal(Number(rank), out.get(q!)!.length + 1);
    out.get(q!)!.push(d!);
  }
  return out;
}

test('search writes a ranked TREC run and caches the collection embeddings', () => {
  const out = join(dir, 'run.trec');
  const r = ftlab([
    'search',
    '--collection',
    collection,
    '--queries',
    queries,
    '--k',
    '50',
    '--output',
    out,
    ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const run = readRun(out);
  assert.deepEqual([...run.keys()], ['1', '2', '3']);
  assert.equal(run.get('1')!.length, 50);
  const scores = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('1 '))
    .map((l) => Number(l.split(' ')[4]));
  assert.ok(
    scores.every((s, i) => i === 0 || s <= scores[i - 1]!),
    'scores descend',
  );
  const shards = readdirSync(join(cache, 'embeddings')).flatMap((k) => readdirSync(join(cache, 'embeddings', k)));
  assert.ok(shards.includes('shard-00000.npy') && shards.includes('manifest.json'));
  // a second search reads the cache and gives the same run
  const out2 = join(dir, 'run2.trec');
  assert.equal(
    ftlab(['search', '--collection', collection, '--queries', queries, '--k', '50', '--output', out2, ...common]).code,
    0,
  );
  assert.equal(readFileSync(out2, 'utf8'), readFileSync(out, 'utf8'));
  // re-ranking: the same candidates, re-ordered by the model
  const rr = join(dir, 'rerank.trec');
  const bm = join(dir, 'bm.trec');
  writeFileSync(bm, '1 Q0 1003 1 9 bm25\n1 Q0 1000 2 8 bm25\n1 Q0 1005 3 7 bm25\n');
  assert.equal(
    ftlab(['search', '--collection', collection, '--queries', queries, '--rerank', bm, '--output', rr, ...common]).code,
    0,
  );
  const rerun = readRun(rr);
  assert.deepEqual([...rerun.get('1')!].sort(), ['1000', '1003', '1005']);
  const full = run.get('1')!.filter((d) => ['1000', '1003', '1005'].includes(d));
  assert.deepEqual(rerun.get('1'), full, 'rerank order agrees with full retrieval order');
});

test('mine: hard negatives come from ranks LO-HI of that query and are never judged relevant', () => {
  const out = join(dir, 'hard.tsv');
  const r = ftlab([
    'mine',
    '--collection',
    collection,
    '--queries',
    queries,
    '--qrels',
    qrels,
    '--depth',
    '30',
    '--range',
    '11-30',
    '--negatives-per-query',
    '2',
    '--ids',
    '--output',
    out,
    ...common,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const runPath = join(dir, 'run30.trec');
  assert.equal(
    ftlab(['search', '--collection', collection, '--queries', queries, '--k', '30', '--output', runPath, ...common])
      .code,
    0,
  );
  const run = readRun(runPath);
  const triples = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  // positives (grade >= 1, in the collection): q1 1000, 1005; q2 1011; q3 1002 (9999 missing) -> 4 pairs x 2
  assert.equal(triples.length, 8);
  const relevant = new Set(['1000', '1005', '1011', '1002']);
  for (const [q, pos, neg] of triples) {
    const rank = run.get(q!)!.indexOf(neg!) + 1;
    assert.ok(rank >= 11 && rank <= 30, `query ${q} negative ${neg} at rank ${rank}`);
    assert.ok(!relevant.has(neg!) && pos !== neg);
  }
  const again = join(dir, 'hard2.tsv');
  ftlab([
    'mine',
    '--collection',
    collection,
    '--queries',
    queries,
    '--qrels',
    qrels,
    '--depth',
    '30',
    '--range',
    '11-30',
    '--negatives-per-query',
    '2',
    '--ids',
    '--output',
    again,
    ...common,
  ]);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'), 'same seed, same triples');
  const text = join(dir, 'random.tsv');
  assert.equal(
    ftlab([
      'mine',
      '--strategy',
      'random',
      '--min-grade',
      '2',
      '--collection',
      collection,
      '--queries',
      queries,
      '--qrels',
      qrels,
      '--output',
      text,
      '--quiet',
    ]).code,
    0,
  );
  const rows = readFileSync(text, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  assert.equal(rows.length, 1, 'only q1 has a grade-2 positive');
  assert.equal(rows[0]![0], 'river water');
  assert.match(rows[0]![1]!, /passage 5 /);
});

test('search and mine reject bad input with one line and write nothing', () => {
  const out = join(dir, 'never.trec');
  writeFileSync(join(dir, 'badq.tsv'), 'no tab\n');
  assertOneLineError(
    ftlab(['search', '--collection', collection, '--queries', join(dir, 'badq.tsv'), '--output', out, ...common]),
    /badq\.tsv:1: expected qid<TAB>query/,
  );
  assertOneLineError(
    ftlab([
      'mine',
      '--collection',
      collection,
      '--queries',
      queries,
      '--qrels',
      qrels,
      '--range',
      '5-300',
      '--output',
      out,
      ...common,
    ]),
    /--range 5-300 reaches past --depth 200/,
  );
  assert.equal(existsSync(out), false);
});
