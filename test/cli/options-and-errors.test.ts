// Issue 8, items 4-6: options checked before the expensive part, user mistakes exit 1 with
// one line, empty input is never success, duplicates and conflicts name both lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlab, ftlabInProcess, assertOneLineError } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const words = ['river', 'bank', 'money', 'loan', 'fish', 'water', 'city', 'tax'];
const collection = join(dir, 'collection.tsv');
writeFileSync(
  collection,
  Array.from({ length: 40 }, (_, i) => `${100 + i}\t${words[i % 8]} ${words[(i * 3) % 8]} passage ${i}`).join('\n') +
    '\n',
);
const queries = join(dir, 'queries.tsv');
writeFileSync(queries, '1\triver water\n2\ttax money\n');
const qrels = join(dir, 'qrels.txt');
writeFileSync(qrels, '1 0 100 1\n2 0 107 1\n');
const empty = join(dir, 'empty.tsv');
writeFileSync(empty, '\n\n');
const missing = join(dir, 'not-there.tsv'); // read after the option checks: its error would show a late check
const common = ['--model', model, '--threads', '1', '--quiet', '--no-cache'];
const embedCommon = ['--model', model, '--threads', '1', '--quiet'];

test('search: bad options fail before anything is loaded', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  const cases: [string[], RegExp][] = [
    [['--k', '0', '--output', join(dir, 'r.trec')], /--k must be an integer >= 1, got '0'/],
    [['--output', dir], /--output .* is a folder; give a file name/],
    [['--output', join(file, 'run.trec')], /--output .*a-file\/run\.trec: .*a-file is a file, not a folder/],
    [['--device', 'foo', '--output', join(dir, 'r.trec')], /--device must be auto, cpu or cuda\[:N\], got 'foo'/],
    [['--precision', 'fp16', '--output', join(dir, 'r.trec')], /--precision must be fp32, bf16 or int8, got 'fp16'/],
    [
      ['--max-length', '100000', '--output', join(dir, 'r.trec')],
      /--max-length 100000 exceeds the model's position limit of 512 tokens/,
    ],
  ];
  if (process.getuid?.() !== 0)
    cases.push([['--output', join(locked, 'r.trec')], /cannot write in .*locked \(permission denied\)/]);
  for (const [flags, re] of cases) {
    const r = await ftlabInProcess(['search', '--collection', collection, '--queries', missing, ...common, ...flags]);
    assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stderr}`);
    assertOneLineError(r, re);
  }
  chmodSync(locked, 0o755);
});

test('negative numbers as option values: accepted as values, and checked', async () => {
  const r = await ftlabInProcess([
    'mine',
    '--collection',
    collection,
    '--queries',
    queries,
    '--qrels',
    qrels,
    '--output',
    join(dir, 'm.tsv'),
    '--margin',
    '-1',
    ...common,
  ]);
  assertOneLineError(r, /--margin must be >= 0, got -1/);
  const t = await ftlabInProcess(['sample', '--triples', missing, '--n', '-5', '--output', join(dir, 's.tsv')]);
  assertOneLineError(t, /--n must be an integer >= 1, got '-5'/);
});

test('--rerank honours --k; a truncated or foreign cache shard is reported, re-encoded, and gives the same run', () => {
  const cands = join(dir, 'cands.trec');
  writeFileSync(cands, Array.from({ length: 10 }, (_, i) => `1 Q0 ${100 + i} ${i + 1} ${10 - i} bm25\n`).join(''));
  const out = join(dir, 'rr.trec');
  const cache = join(dir, 'cache');
  const args = [
    'search',
    '--collection',
    collection,
    '--queries',
    queries,
    '--model',
    model,
    '--threads',
    '1',
    '--quiet',
    '--cache-dir',
    cache,
  ];
  const r = ftlab([...args, '--rerank', cands, '--k', '3', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 3);
  const full = join(dir, 'full.trec');
  assert.equal(ftlab([...args, '--k', '5', '--output', full]).code, 0);
  const key = readdirSync(join(cache, 'embeddings'))[0]!;
  const shard = join(cache, 'embeddings', key, 'shard-00000.npy');
  truncateSync(shard, statSync(shard).size - 100);
  const again = join(dir, 'again.trec');
  const t = ftlab([...args, '--k', '5', '--output', again]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /embedding cache: .*shard-00000\.npy: \d+ bytes, expected \d+ \(truncated\); re-encoding it/);
  assert.equal(readFileSync(again, 'utf8'), readFileSync(full, 'utf8'));
  writeFileSync(shard, Buffer.alloc(statSync(shard).size, 7)); // right size, foreign bytes
  const f = ftlab([...args, '--rerank', cands, '--k', '3', '--output', join(dir, 'rr2.trec')]);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stderr, /shard-00000\.npy: its header is not this cache's .*not used/);
  assert.equal(readFileSync(join(dir, 'rr2.trec'), 'utf8'), readFileSync(out, 'utf8'));
});

test('user mistakes exit 1 with one line: EISDIR and existing-file outputs, invalid LoRA dropout, --device foo', async () => {
  const outDir = join(dir, 'out.npy');
  mkdirSync(outDir);
  assertOneLineError(
    await ftlabInProcess(['embed', '--text', 'a', '--output', outDir, ...embedCommon]),
    /--output .*out\.npy is a folder/,
  );
  const blocker = join(dir, 'blocker');
  writeFileSync(blocker, '');
  assertOneLineError(
    await ftlabInProcess(['embed', '--text', 'a', '--output', join(blocker, 'x.npy'), ...embedCommon]),
    /blocker is a file, not a folder/,
  );
  assertOneLineError(
    await ftlabInProcess(['embed', '--text', 'a', '--json', '--device', 'foo', ...embedCommon]),
    /--device must be auto, cpu or cuda/,
  );
  const r = await ftlabInProcess([
    'train',
    '--train',
    missing,
    '--output',
    join(dir, 't'),
    '--lora',
    'r=4,dropout=2',
    ...common.slice(0, 4),
  ]);
  assert.equal(r.code, 1);
  assertOneLineError(r, /--lora: dropout must be in \[0, 1\), got 2/);
});

test('empty input is an error for embed, search, mine, sample and train; so are 0 mined triples', async () => {
  const runs: [string[], RegExp][] = [
    [['embed', '--input', empty, '--output', join(dir, 'e.npy'), ...embedCommon], /empty\.tsv: no id<TAB>text lines/],
    [
      ['search', '--collection', empty, '--queries', queries, '--output', join(dir, 'e.trec'), ...common],
      /empty\.tsv: no pid<TAB>text lines/,
    ],
    [
      ['search', '--collection', collection, '--queries', empty, '--output', join(dir, 'e.trec'), ...common],
      /empty\.tsv: no queries/,
    ],
    [
      [
        'mine',
        '--collection',
        collection,
        '--queries',
        queries,
        '--qrels',
        empty,
        '--output',
        join(dir, 'e.tsv'),
        ...common,
      ],
      /empty\.tsv: no judgments/,
    ],
    [
      ['sample', '--triples', empty, '--n', '5', '--output', join(dir, 'e.tsv')],
      /empty\.tsv: no triples; nothing written/,
    ],
    [['train', '--train', empty, '--output', join(dir, 'e'), ...common.slice(0, 4)], /empty\.tsv: no triples/],
  ];
  for (const [args, re] of runs) {
    const r = await ftlabInProcess(args);
    assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
    assertOneLineError(r, re);
  }
  const far = join(dir, 'qrels-elsewhere.txt');
  writeFileSync(far, '1 0 99999 1\n');
  const m = await ftlabInProcess([
    'mine',
    '--strategy',
    'random',
    '--collection',
    collection,
    '--queries',
    queries,
    '--qrels',
    far,
    '--output',
    join(dir, 'none.tsv'),
    ...common,
  ]);
  assertOneLineError(m, /mine: 0 triples \(0 queries .*1 positives missing.*\); nothing written/);
  for (const f of ['e.npy', 'e.trec', 'e.tsv', 'none.tsv']) assert.equal(existsSync(join(dir, f)), false, f);
});

test('duplicates and conflicting judgments name both lines', async () => {
  const dupC = join(dir, 'dup-collection.tsv');
  writeFileSync(dupC, '7\ta\n8\tb\n9\tc\n7\td\n');
  const dupQ = join(dir, 'dup-queries.tsv');
  writeFileSync(dupQ, '1\tx\n2\ty\n1\tz\n');
  const conflict = join(dir, 'conflict.qrels');
  writeFileSync(conflict, '1 0 100 1\n1 0 101 0\n1 0 100 1\n1 0 100 2\n');
  const dupRun = join(dir, 'dup.trec');
  writeFileSync(dupRun, '1 Q0 100 1 3 x\n1 Q0 101 2 2 x\n2 Q0 100 1 3 x\n1 Q0 100 3 1 x\n');
  const s = (c: string, q: string): string[] => [
    'search',
    '--collection',
    c,
    '--queries',
    q,
    '--output',
    join(dir, 'd.trec'),
    ...common,
  ];
  assertOneLineError(
    await ftlabInProcess(s(dupC, queries)),
    /dup-collection\.tsv:1 and .*dup-collection\.tsv:4: id 7 appears twice/,
  );
  assertOneLineError(
    await ftlabInProcess(s(collection, dupQ)),
    /dup-queries\.tsv:1 and .*dup-queries\.tsv:3: query id 1 appears twice/,
  );
  assertOneLineError(
    await ftlabInProcess(['eval', '--qrels', conflict, '--run', dupRun]),
    /conflict\.qrels:1 and .*conflict\.qrels:4: query 1, document 100 is judged twice with different grades \(1 and 2\)/,
  );
  assertOneLineError(
    await ftlabInProcess(['eval', '--qrels', qrels, '--run', dupRun]),
    /dup\.trec:1 and .*dup\.trec:4: query 1 lists document 100 twice/,
  );
});

test('a 3-column MS MARCO run over fewer queries than the qrels: a notice with the count', () => {
  const many = join(dir, 'many.qrels');
  writeFileSync(many, Array.from({ length: 10 }, (_, i) => `${i + 1}\t0\t${100 + i}\t1\n`).join(''));
  const run = join(dir, 'run.msmarco');
  writeFileSync(run, '1\t100\t1\n2\t105\t1\n');
  const r = ftlab(['eval', '--qrels', many, '--run', run, '--metrics', 'RR@10']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /the run answers 2 of the 10 judged queries; as the official evaluator, the mean divides by all 10/,
  );
  assert.match(r.stdout, /all \(10 queries\)\s+0\.1000/);
});
