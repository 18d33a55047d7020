import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResults } from '../../src/report/read-results.ts';
import { InputError, UserError } from '../../src/errors.ts';
import { fixtureResults } from './fixture.ts';
import { runDirWith } from './helpers.ts';

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  assert.fail('expected a UserError');
}

test('a complete results.json reads back equal to what was written', () => {
  const r = fixtureResults();
  assert.deepEqual(readResults(runDirWith(r)), r);
});

test('missing folder, missing file, empty file: one-line errors naming the path', () => {
  const none = join(tmpdir(), 'ftlab-no-such-run-dir');
  assert.match(errorOf(() => readResults(none)).message, /ftlab-no-such-run-dir: no such folder/);
  const empty = mkdtempSync(join(tmpdir(), 'ftlab-report-'));
  const e = errorOf(() => readResults(empty));
  assert.ok(e instanceof InputError);
  assert.match(e.message, /results\.json: not found/);
  assert.match(errorOf(() => readResults(runDirWith(''))).message, /results\.json: empty file/);
  for (const err of [e]) assert.ok(!err.message.includes('\n'));
});

test('broken JSON names the line', () => {
  const e = errorOf(() => readResults(runDirWith('{\n  "format": "ftlab-study-results",\n  "version": 1,\n  oops\n}')));
  assert.match(e.message, /results\.json:4: not JSON/);
  assert.ok(!e.message.includes('\n'));
});

test('another format, a future version, a bad version: refused in one line', () => {
  assert.match(
    errorOf(() => readResults(runDirWith({ format: 'something-else', version: 1 }))).message,
    /not a study's results/,
  );
  const future = { ...fixtureResults(), version: 99 };
  assert.match(
    errorOf(() => readResults(runDirWith(future))).message,
    /format version 99 is newer than this ftlab reads \(1\)/,
  );
  assert.match(errorOf(() => readResults(runDirWith({ ...fixtureResults(), version: '1' }))).message, /bad version/);
  assert.match(errorOf(() => readResults(runDirWith('[1, 2]'))).message, /expected a JSON object/);
});

test('a wrong field is named by its path', () => {
  const r = fixtureResults() as unknown as {
    retrieval: { table: { rows: { metrics: Record<string, { mean: unknown }> }[] } }[];
  };
  r.retrieval[1]!.table.rows[2]!.metrics['nDCG@10']!.mean = 'high';
  assert.match(
    errorOf(() => readResults(runDirWith(r as never))).message,
    /wrong format: results\.retrieval\[1\]\.table\.rows\[2\]\.metrics\.nDCG@10\.mean: expected a number, got string/,
  );
  const noConfig = { ...fixtureResults(), config: undefined };
  assert.match(errorOf(() => readResults(runDirWith(noConfig as never))).message, /results: missing field "config"/);
});

test('sections a run did not compute (absent or null) come back as null / empty', () => {
  const { geometry: _g, curves: _c, dose: _d, ...older } = fixtureResults();
  const r = readResults(runDirWith({ ...older, timing: null }));
  assert.equal(r.geometry, null);
  assert.equal(r.curves, null);
  assert.equal(r.timing, null);
  assert.deepEqual(r.dose, []);
  assert.equal(r.retrieval.length, 4);
});
