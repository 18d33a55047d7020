// The flags added with precision and own models, probed with bad values as a new user would:
// each is one line naming the flag, exit 1 (not 2: a user's mistake is not a bug), and nothing
// is written, also by commands that used to check their output path only at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers/tiny-model.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';

const dir = tmpDir();
const queries = join(dir, 'queries.tsv');
writeFileSync(queries, 'q1\tpiano lessons\nq2\triver stones\n');

test('bad --device, --precision, --role and --json values: one line naming the flag, exit 1, nothing written', () => {
  const json = join(dir, 'timing.json');
  const timing = ['timing', '--model', 'default', '--queries', queries, '--synthetic', '10', '--json', json];
  const cases: [string[], RegExp][] = [
    [[...timing, '--device', 'gpu'], /^ftlab: --device must be auto, cpu or cuda\[:N\], got 'gpu'$/],
    [
      [
        'geometry',
        '--model',
        'default',
        '--queries',
        queries,
        '--qrels',
        queries,
        '--collection',
        queries,
        '--json',
        join(dir, 'g.json'),
        '--device',
        'tpu',
      ],
      /^ftlab: --device must be auto, cpu or cuda/,
    ],
    [[...timing, '--precision', 'fp16'], /^ftlab: --precision must be fp32, bf16 or int8, got 'fp16'$/],
    [['embed', '--text', 'x', '--json', '--precision', 'int4'], /^ftlab: --precision must be fp32, bf16 or int8/],
    [['embed', '--text', 'x', '--json', '--role', 'Query'], /^ftlab: --role must be query or passage, got 'Query'$/],
    [['embed', '--text', 'x', '--json', '--query-prompt'], /^ftlab: Option '--query-prompt <value>' argument missing/],
  ];
  for (const [args, re] of cases) {
    const r = ftlab(args);
    assertOneLineError(r, re);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(existsSync(json), false);
});

test('timing refuses a --json path that is a folder before timing anything', () => {
  const t0 = Date.now();
  const r = ftlab(['timing', '--model', 'default', '--queries', queries, '--synthetic', '10', '--json', dir]);
  assertOneLineError(r, /^ftlab: --json .* is a folder; give a file name$/);
  assert.equal(r.code, 1);
  // the run itself (model load, probe, 10,000 timed queries) would print its table to stdout first
  assert.equal(r.stdout, '', `ran before refusing (${Date.now() - t0} ms)`);
});
