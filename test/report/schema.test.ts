// The one schema of results.json: the published JSON Schema accepts what the reader
// accepts and refuses what it refuses; writeResults writes both files; a wrong value deep
// inside an analysis section is named by its JSON path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResults } from '../../src/report/read-results.ts';
import { writeResults } from '../../src/report/write-results.ts';
import { RESULTS_SCHEMA_FILE, resultsJsonSchema, type StudyResults } from '../../src/report/schema.ts';
import { UserError } from '../../src/errors.ts';
import { fixtureResults } from './fixture.ts';
import { runDirWith } from './helpers.ts';
import { jsonSchemaViolation } from './json-schema-check.ts';

/** The fixture as the JSON a study writes (what a JSON Schema validator sees). */
const asJson = (r: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(r)) as Record<string, unknown>;

function readError(results: unknown): string {
  try {
    readResults(runDirWith(results as StudyResults));
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  return assert.fail('expected the reader to refuse it');
}

/** The fixture with one deep value replaced, through a path of keys and indices. */
function withValue(path: (string | number)[], value: unknown): Record<string, unknown> {
  const r = asJson(fixtureResults());
  let at = r as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return r;
}

test('the published JSON Schema accepts the fixture, and a run that skipped its optional sections', () => {
  const schema = resultsJsonSchema();
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(jsonSchemaViolation(asJson(fixtureResults()), schema), null);
  const { geometry: _g, curves: _c, dose: _d, ...older } = fixtureResults();
  assert.equal(jsonSchemaViolation(asJson({ ...older, timing: null }), schema), null);
});

test('the JSON Schema and the reader refuse the same deep mistakes', () => {
  const schema = resultsJsonSchema();
  const cases: [(string | number)[], unknown, RegExp][] = [
    [
      ['retrieval', 1, 'table', 'rows', 2, 'metrics', 'nDCG@10', 'ci95'],
      [0.1],
      /results\.retrieval\[1\]\.table\.rows\[2\]\.metrics\.nDCG@10\.ci95: .*>=2 items/,
    ],
    [
      ['timing', 'rows', 1, 'stages', 0, 'medianSeconds'],
      null,
      /results\.timing\.rows\[1\]\.stages\[0\]\.medianSeconds: expected a number, got null/,
    ],
    [
      ['geometry', 'models', 2, 'umap', 5, 'kind'],
      'document',
      /results\.geometry\.models\[2\]\.umap\[5\]\.kind: expected one of "query", "passage", got "document"/,
    ],
    [['curves', 'series', 0, 'lr', 3], '2e-5', /results\.curves\.series\[0\]\.lr\[3\]: expected a number, got string/],
    [['config', 'arms', 1, 'method'], 'qlora', /results\.config\.arms\[1\]\.method: expected one of/],
    [
      ['training', 0, 'validation'],
      { metric: 'nDCG@10', value: 0.5 },
      /results\.training\[0\]\.validation: missing field "step"/,
    ],
  ];
  for (const [path, value, message] of cases) {
    const bad = withValue(path, value);
    assert.match(readError(bad), message);
    assert.match(readError(bad), /^.*results\.json: wrong format: /);
    assert.notEqual(jsonSchemaViolation(bad, schema), null, `JSON Schema accepted ${path.join('.')} = ${value}`);
  }
});

test('writeResults writes results.json pointing at results.schema.json beside it; it reads back equal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftlab-results-'));
  const results = fixtureResults();
  const path = writeResults(dir, results);
  assert.equal(path, join(dir, 'results.json'));
  const written = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(written.$schema, `./${RESULTS_SCHEMA_FILE}`);
  const schemaPath = join(dir, written.$schema as string);
  assert.ok(existsSync(schemaPath));
  const published = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(published, resultsJsonSchema());
  assert.equal(jsonSchemaViolation(written, published), null);
  assert.deepEqual(readResults(dir), { $schema: `./${RESULTS_SCHEMA_FILE}`, ...results });
});
