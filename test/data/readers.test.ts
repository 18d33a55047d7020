import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { loadCollection, Collection } from '../../src/data/collection.ts';
import { loadQueries } from '../../src/data/queries.ts';
import { loadQrels } from '../../src/data/qrels.ts';
import { loadRun } from '../../src/data/run.ts';
import { loadTextTriples, loadIdTriples } from '../../src/data/triples.ts';
import { readLines } from '../../src/data/lines.ts';
import { tmpDir } from '../helpers/tiny-model.ts';

const dir = tmpDir();
const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

test('collection: compact store, byte-faithful text, ids, .gz, CRLF', async () => {
  const text = '0\tplain text\r\n7\tÃ©tÃ© â€™ mis-encoded\n3\t東京 and tabs?\n';
  for (const p of [file('c.tsv', text), file('c.tsv.gz', gzipSync(text))]) {
    const { collection: c } = await loadCollection(p);
    assert.equal(c.size, 3);
    assert.equal(c.text(0), 'plain text');
    assert.equal(c.text(1), 'Ã©tÃ© â€™ mis-encoded');
    assert.equal(c.id(2), '3');
    assert.equal(c.indexOf('7'), 1);
    assert.equal(c.indexOf('8'), -1);
  }
  const s = new Collection();
  s.add('D1', 'x');
  s.add('D2', 'y');
  assert.equal(s.indexOf('D2'), 1);
});

test('collection: malformed line and repeated id are errors at file:line; --skip-bad counts', async () => {
  const bad = file('bad.tsv', '1\tok\nno-tab-here\n');
  await assert.rejects(loadCollection(bad), /bad\.tsv:2: expected pid<TAB>text/);
  assert.equal((await loadCollection(bad, { skipBad: true })).skipped, 1);
  await assert.rejects(loadCollection(file('dup.tsv', '1\ta\n1\tb\n')), /id 1 appears twice/);
});

test('queries, qrels (tabs or spaces), runs (TREC and MS MARCO detected)', async () => {
  const q = await loadQueries(file('q.tsv', '11\twhat is x\n12\twho is y\n'));
  assert.equal(q.get('12'), 'who is y');
  const qr = await loadQrels(file('qr.txt', '11 0 7 2\n11\t0\t3\t0\n12 Q0 1 1\n'));
  assert.equal(qr.get('11')!.get('7'), 2);
  assert.equal(qr.get('11')!.get('3'), 0);
  const trec = await loadRun(file('r.trec', '11 Q0 7 1 2.5 tag\n11 Q0 3 2 1.5 tag\n'));
  assert.equal(trec.format, 'trec');
  const ms = await loadRun(file('r.tsv', '11\t7\t1\n11\t3\t2\n'));
  assert.equal(ms.format, 'msmarco');
  assert.equal(ms.queries.get('11')!.length, 2);
});

test('bad inputs in each format name file and line', async () => {
  await assert.rejects(loadQueries(file('bq.tsv', '1\tok\nbroken\n')), /bq\.tsv:2: expected qid<TAB>query/);
  await assert.rejects(
    loadQrels(file('bqr.txt', '1 0 7 1\n1 0 8 x\n')),
    /bqr\.txt:2: grade must be an integer, got 'x'/,
  );
  await assert.rejects(
    loadQrels(file('bqr2.txt', '1 0 7\n')),
    /bqr2\.txt:1: expected 'qid 0 docid grade' \(4 fields\), got 3/,
  );
  await assert.rejects(loadRun(file('empty.trec', '')), /empty\.trec: empty run/);
  await assert.rejects(loadRun(file('br.trec', '1 Q0 7 1 2.5 t\n1 Q0 8 2 t\n')), /br\.trec:2: expected 6 fields/);
  await assert.rejects(loadRun(file('bs.trec', '1 Q0 7 1 high t\n')), /bs\.trec:1: score must be a number/);
  await assert.rejects(loadRun(file('dupr.trec', '1 Q0 7 1 2 t\n1 Q0 7 2 1 t\n')), /lists document 7 twice/);
  await assert.rejects(
    loadTextTriples(file('bt.tsv', 'q\tp\tn\nq\tp\n')),
    /bt\.tsv:2: expected query<TAB>positive<TAB>negative/,
  );
  await assert.rejects(loadQueries(join(dir, 'missing.tsv')), /missing\.tsv: no such file/);
  await assert.rejects(
    loadIdTriples(file('bid.tsv', '1\t2\t3\n1\t2 x\t3\n')),
    /bid\.tsv:2: expected qid<TAB>pid\+<TAB>pid-/,
  );
  assert.deepEqual(await loadIdTriples(file('id.tsv.gz', gzipSync('5\t7\t9\n'))), [
    { qid: '5', positive: '7', negative: '9' },
  ]);
});

test('the triples archive as distributed (.tar.gz) streams its first file', async () => {
  const inner = join(dir, 'tar-src');
  mkdirSync(inner, { recursive: true });
  writeFileSync(join(inner, 'triples.train.small.tsv'), 'q1\tp1\tn1\nq2\tp2\tn2\n');
  const archive = join(dir, 'triples.train.small.tar.gz');
  await tarCreate({ gzip: true, file: archive, cwd: inner }, ['triples.train.small.tsv']);
  const lines: string[] = [];
  for await (const l of readLines(archive)) lines.push(l.text);
  assert.deepEqual(lines, ['q1\tp1\tn1', 'q2\tp2\tn2']);
  const { triples } = await loadTextTriples(archive);
  assert.equal(triples[1]!.negative, 'n2');
});
