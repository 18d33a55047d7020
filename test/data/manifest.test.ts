// Dataset manifests: the example in test/fixtures/manifest loads into typed values, and each
// kind of bad manifest fails with one line naming the manifest's line or the data file's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, readManifest } from '../../src/data/manifest.ts';
import { REPO, tmpDir } from '../helpers/tiny-model.ts';

const EXAMPLE = join(REPO, 'test', 'fixtures', 'manifest');

/** A copy of the example to break; `edit` gets and returns the manifest object. */
function copy(edit?: (m: Record<string, unknown>) => unknown): string {
  const dir = join(tmpDir(), 'data');
  cpSync(EXAMPLE, dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  if (edit) {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify(edit(m) ?? m, null, 2));
  }
  return path;
}

/** The 1-based line of the first line of `path` containing `needle`. */
function lineWith(path: string, needle: string): number {
  return (
    readFileSync(path, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1
  );
}

type Splits = Record<string, Record<string, unknown>>;

test('the example manifest loads: files resolved beside it, every file read, counts per split', async () => {
  const d = await loadDataset(join(EXAMPLE, 'manifest.json'));
  assert.equal(d.manifest.name, 'manifest-example');
  assert.equal(d.manifest.collection, join(EXAMPLE, 'collection.tsv'));
  assert.equal(d.collection.size, 6);
  assert.equal(d.splits.validation, null);
  assert.deepEqual([...d.splits.train.queries.keys()], ['q1', 'q2']);
  assert.equal(d.splits.train.qrels.get('q2')!.get('p2'), 3);
  assert.equal(d.splits.train.run!.format, 'trec');
  assert.equal(d.splits.test.run!.format, 'msmarco'); // MS MARCO qrels and run formats both read
  assert.equal(d.splits.test.qrels.get('q3')!.get('p6'), 1);
  assert.equal(d.splits.train.judgedQueries, 2);
  assert.equal(d.splits.test.judgmentsWithoutPassage, 0);
});

test('a validation split and a run-less split load; judged passages missing from the collection are counted', async () => {
  const path = copy((m) => {
    const s = m.splits as Splits;
    s.validation = { queries: 'test/queries.tsv', qrels: 'test/qrels.tsv' };
    s.test = { queries: 'train/queries.tsv', qrels: 'train/qrels.txt' };
    s.train = { queries: 'v.tsv', qrels: 'v.qrels' };
  });
  writeFileSync(join(path, '..', 'v.tsv'), 'q9\tviolin strings\n');
  writeFileSync(join(path, '..', 'v.qrels'), 'q9 0 p4 1\nq9 0 p404 1\n');
  const d = await loadDataset(path);
  assert.equal(d.splits.validation!.judgedQueries, 1);
  assert.equal(d.splits.test.run, null);
  assert.equal(d.splits.train.judgmentsWithoutPassage, 1);
});

test('bad manifests: one line naming the manifest line or the data file line', async () => {
  // a missing file: the manifest's line that names it
  let path = copy((m) => {
    (m.splits as Splits).train!.qrels = 'train/nope.txt';
  });
  assert.throws(
    () => readManifest(path),
    (e: Error) =>
      e.message ===
      `${path}:${lineWith(path, 'nope.txt')}: splits.train.qrels: ${join(path, '..', 'train', 'nope.txt')}: no such file`,
  );
  // a bad qrels line: the qrels file's line, before anything else is read
  path = copy();
  writeFileSync(join(path, '..', 'train', 'qrels.txt'), 'q1 0 p1 2\nq1 0 p4 high\n');
  await assert.rejects(loadDataset(path), (e: Error) =>
    e.message.startsWith(`${join(path, '..', 'train', 'qrels.txt')}:2: grade must be an integer`),
  );
  // a bad collection line
  path = copy();
  writeFileSync(join(path, '..', 'collection.tsv'), 'p1\tone\np2 two\n');
  await assert.rejects(loadDataset(path), /collection\.tsv:2: expected pid<TAB>text/);
  // invalid JSON: its line
  path = copy();
  writeFileSync(path, '{\n  "collection": "collection.tsv",\n  "splits": {,\n}\n');
  assert.throws(() => readManifest(path), new RegExp(`${path.replace(/[.]/g, '\\.')}:3: invalid JSON`));
  // unknown fields, missing splits, wrong types
  path = copy((m) => {
    (m.splits as Splits).test!.qrles = 'x';
  });
  assert.throws(() => readManifest(path), /:\d+: splits\.test\.qrles: unknown field \(expected queries, qrels, run\)/);
  path = copy((m) => {
    delete (m.splits as Splits).test;
  });
  assert.throws(() => readManifest(path), /splits: needs a "test" split/);
  path = copy((m) => {
    m.collection = 42;
  });
  assert.throws(() => readManifest(path), /:4: collection: must be a file path/);
  path = copy((m) => {
    (m.splits as Splits).train!.queries = 'train';
  });
  assert.throws(() => readManifest(path), /splits\.train\.queries: .*train is a folder, not a file/);
  // minGrade: an integer >= 1, default 1
  assert.equal(readManifest(copy()).minGrade, 1);
  assert.equal(readManifest(copy((m) => ({ minGrade: 2, ...m }))).minGrade, 2);
  path = copy((m) => ({ minGrade: 0.5, ...m }));
  assert.throws(
    () => readManifest(path),
    new RegExp(`:${lineWith(path, 'minGrade')}: minGrade: must be an integer >= 1`),
  );
});

test('cross-file checks: run passages in the collection, judged queries with text, no query in two splits', async () => {
  let path = copy();
  writeFileSync(join(path, '..', 'test', 'bm25.tsv'), 'q3\tp3\t1\nq3\tp77\t2\n');
  await assert.rejects(loadDataset(path), /bm25\.tsv: passage p77 \(query q3\) is not in .*collection\.tsv/);
  path = copy();
  writeFileSync(join(path, '..', 'test', 'queries.tsv'), 'q8\tunjudged\n');
  await assert.rejects(loadDataset(path), /test\/qrels\.tsv: no judged query has text in .*split test/);
  path = copy();
  writeFileSync(join(path, '..', 'test', 'queries.tsv'), 'q3\tflu\nq1\twhat is a piano\n');
  writeFileSync(join(path, '..', 'test', 'qrels.tsv'), 'q3\t0\tp6\t1\nq1\t0\tp1\t1\n');
  await assert.rejects(
    loadDataset(path),
    /query q1 is judged in both train .* and test: splits must not share queries/,
  );
  rmSync(join(path, '..'), { recursive: true });
});
