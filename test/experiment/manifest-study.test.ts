// `ftlab study --data DIR` on generated datasets described by a manifest (ftlab-dataset.json),
// with a tiny model and a few steps: with first-stage runs (re-ranking protocol, the manifest's
// validation split, minGrade 2) and without (dense retrieval over the collection, validation
// held out by query, uniform random negatives); and bad manifests refused before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';
import { writeManifestMiniature } from '../helpers/manifest-miniature.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import type { StudyResults } from '../../src/report/schema.ts';

const TINY = ['--steps', '4', '--batch-size', '4', '--no-umap', '--threads', '1', '--device', 'cpu'];

function tsv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(/\t| /));
}

/** pid -> text of the generated collection, and the passages judged (any grade) or listed for a split's queries. */
function texts(dir: string): Map<string, string> {
  return new Map(tsv(join(dir, 'collection.tsv')).map(([p, ...t]) => [p!, t.join(' ')]));
}

function touched(dir: string, split: string, runs: boolean): Set<string> {
  const out = new Set(tsv(join(dir, split, 'qrels.txt')).map((l) => l[2]!));
  if (runs) for (const l of tsv(join(dir, split, 'run.txt'))) out.add(l.length === 3 ? l[1]! : l[2]!);
  return out;
}

test('manifest with runs: re-ranking protocol, the manifest validation split, metrics at minGrade 2', () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { minGrade: 2, validation: true });
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const t0 = performance.now();
  const r = ftlab(
    ['study', '--data', data.dir, '--output', out, '--model', model, ...TINY].concat([
      '--timing-queries',
      '8',
      '--geometry-pairs',
      '6',
    ]),
  );
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'report.md')));
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(res.config.preset, 'manifest');
  assert.deepEqual(res.config.metrics, ['nDCG@10', 'RR(rel=2)@10', 'R(rel=2)@100']);
  assert.deepEqual(res.config.folds, [{ name: 'train->test', train: 'train', test: 'test' }]);
  assert.deepEqual(
    res.retrieval.map((s) => [s.protocol, s.table.queries]),
    [['rerank', data.queries.test.length]],
  );
  // re-ranking a 10-passage list cannot change recall at 100: marked so, not tested
  assert.equal(res.retrieval[0]!.table.rows[1]!.metrics['R(rel=2)@100']!.identicalByConstruction, true);
  assert.equal(res.dose.filter((d) => d.arm === 'full-hard').length, 4);
  assert.ok(res.timing && res.geometry && res.training.length === 6);
  // every file the manifest names is recorded with its hash
  assert.equal(res.config.data.length, 11);
  assert.ok(res.config.notes.some((n) => /manifest .*grade >= 2; validation is the manifest's split/.test(n)));
  // hygiene: no test-judged passage nor test candidate in any training triple
  const text = texts(data.dir);
  const banned = new Set([...touched(data.dir, 'test', true)].map((p) => text.get(p)!));
  for (const kind of ['random', 'hard']) {
    const rows = readFileSync(join(out, 'triples', `train-test.train.${kind}.tsv`), 'utf8')
      .trim()
      .split('\n');
    assert.ok(rows.length >= 4, `${kind}: ${rows.length} triples`);
    for (const line of rows) {
      const [, pos, neg] = line.split('\t');
      assert.ok(!banned.has(pos!) && !banned.has(neg!), `${kind} triple uses a test passage: ${line}`);
    }
  }
  process.stderr.write(`# manifest study (runs, 6 arms, 4 steps): ${seconds.toFixed(1)} s wall\n`);
});

test('manifest without runs: dense retrieval over the collection, uniform random negatives never judged', () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { runs: false });
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const args = ['study', '--data', data.manifest, '--output', out, '--model', model, ...TINY];
  const r = ftlab([...args, '--arms', 'full-random,lora-hard', '--timing-queries', '0', '--geometry-pairs', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'report.html')));
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.deepEqual(res.config.metrics, ['nDCG@10', 'RR@10', 'R@100']);
  assert.deepEqual(
    res.retrieval.map((s) => [s.protocol, s.table.queries, s.table.rows.length]),
    [['dense', data.queries.test.length, 3]],
  );
  assert.deepEqual(res.dose, []);
  assert.ok(res.config.notes.some((n) => /no first-stage run: dense retrieval over the whole collection/.test(n)));
  assert.ok(res.config.notes.some((n) => /Random negatives: uniform over the collection/.test(n)));
  // a random negative is never a passage judged (any grade) for its query, nor one judged for a test query
  const text = texts(data.dir);
  const qidOf = new Map(tsv(join(data.dir, 'train', 'queries.tsv')).map(([q, ...t]) => [t.join(' '), q!]));
  const judged = new Map<string, Set<string>>();
  for (const [q, , p] of tsv(join(data.dir, 'train', 'qrels.txt')))
    judged.set(q!, (judged.get(q!) ?? new Set()).add(text.get(p!)!));
  const testTexts = new Set([...touched(data.dir, 'test', false)].map((p) => text.get(p)!));
  const rows = readFileSync(join(out, 'triples', 'train-test.train.random.tsv'), 'utf8')
    .trim()
    .split('\n');
  assert.ok(rows.length >= 4);
  for (const line of rows) {
    const [query, , neg] = line.split('\t');
    assert.ok(!judged.get(qidOf.get(query!)!)!.has(neg!), `judged negative: ${line}`);
    assert.ok(!testTexts.has(neg!), `test-judged negative: ${line}`);
  }
  // flags the dataset cannot honour fail before any work
  assertOneLineError(ftlab([...args, '--protocol', 'both', '--output', join(root, 'x')]), /has no "run" to re-rank/);
  assertOneLineError(ftlab([...args, '--folds', 'both', '--output', join(root, 'x')]), /describes one fold/);
  assert.ok(!existsSync(join(root, 'x')));
});

test('bad manifests fail before any work with file:line and leave no run folder', () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  // not --quiet: a single stderr line also shows that no plan was printed and nothing encoded
  const study = (dir: string, out: string) =>
    ftlab(['study', '--data', dir, '--output', out, '--model', model, ...TINY]);
  // a missing file: the manifest's line naming it
  const a = writeManifestMiniature(join(root, 'a'));
  const m = JSON.parse(readFileSync(a.manifest, 'utf8'));
  m.splits.test.qrels = 'test/missing.txt';
  writeFileSync(a.manifest, JSON.stringify(m, null, 2));
  const line =
    readFileSync(a.manifest, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('missing.txt')) + 1;
  const missing = study(a.dir, join(root, 'run-a'));
  assertOneLineError(
    missing,
    new RegExp(`ftlab-dataset\\.json:${line}: splits\\.test\\.qrels: .*missing\\.txt: no such`),
  );
  assert.equal(missing.code, 1);
  assert.ok(!existsSync(join(root, 'run-a')));
  // a bad qrels line: that file's line
  const b = writeManifestMiniature(join(root, 'b'));
  const qrels = join(b.dir, 'train', 'qrels.txt');
  writeFileSync(qrels, readFileSync(qrels, 'utf8').replace(/\n/, '\ntr0 0 d1\n'));
  const bad = study(b.manifest, join(root, 'run-b'));
  assertOneLineError(bad, /train\/qrels\.txt:2: expected 'qid 0 docid grade' \(4 fields\), got 3/);
  assert.equal(bad.code, 1);
  assert.ok(!existsSync(join(root, 'run-b')));
});
