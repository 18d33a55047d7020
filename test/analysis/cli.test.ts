// The analysis commands through the real CLI: outputs, and one-line errors with no output file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import type { CurvesResult, GeometryResult, TimingResult, TrainingSummary } from '../../src/analysis/types.ts';

const dir = tmpDir('ftlab-analysis-cli-');
const model = writeTinyModel(join(dir, 'model'));
writeFileSync(
  join(model, 'ftlab.json'),
  JSON.stringify({
    pooling: 'mean',
    normalize: false,
    maxLength: 64,
    training: { loss: 'triplet', distance: 'euclidean', margin: 5, lora: null },
  }),
);
writeFileSync(
  join(model, 'log.jsonl'),
  `${[1, 2, 3]
    .map((s) =>
      JSON.stringify({
        type: 'step',
        step: s,
        epoch: 0,
        loss: 4 - s,
        lr: 1e-5,
        gradNorm: 1,
        tokensPerSec: 1,
        rssMiB: 1,
      }),
    )
    .join('\n')}\n`,
);
const words = 'red green blue cyan magenta yellow black white grey brown pink orange purple'.split(' ');
writeFileSync(join(dir, 'q.tsv'), `${words.map((w, i) => `${i}\twhy is the sky ${w}`).join('\n')}\n`);
writeFileSync(
  join(dir, 'c.tsv'),
  `${words.map((w, i) => `${100 + i}\tthe sky looks ${w} at times ${i}`).join('\n')}\n`,
);
writeFileSync(join(dir, 'qrels.txt'), `${words.map((_, i) => `${i} 0 ${100 + i} 2`).join('\n')}\n`);
writeFileSync(
  join(dir, 'held-out.tsv'),
  'why is the sky red\tthe sky looks red at times\ta cat\nwhy is grass green\tgrass looks green\tthe sea\n',
);

test('timing: table on stdout and JSON; a missing model folder is a one-line error', () => {
  const out = join(dir, 't.json');
  const r = ftlab([
    'timing',
    '--model',
    model,
    '--model',
    `tiny2=${model}`,
    '--queries',
    join(dir, 'q.tsv'),
    '--n',
    '30',
    '--k',
    '3',
    '--repeats',
    '1',
    '--collection',
    join(dir, 'c.tsv'),
    '--cache-dir',
    join(dir, 'cache'),
    '--json',
    out,
    '--quiet',
    '--device',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const t = JSON.parse(readFileSync(out, 'utf8')) as TimingResult;
  assert.deepEqual(
    t.rows.map((x) => [x.model, x.variant]),
    [
      ['model', 'full'],
      ['tiny2', 'full'],
    ],
  );
  assert.match(r.stdout, /30 queries \(13 distinct\)/);
  assert.match(r.stdout, /note: .* cycled/);
  assertOneLineError(
    ftlab(['timing', '--model', join(dir, 'nope'), '--queries', join(dir, 'q.tsv'), '--synthetic', '100']),
    /--model .*nope: no such model folder/,
  );
  assertOneLineError(
    ftlab(['timing', '--model', model, '--queries', join(dir, 'q.tsv')]),
    /exactly one of --collection, --embeddings, --synthetic/,
  );
});

test('geometry: JSON written; no pair with passage text is a one-line error and writes nothing', () => {
  const out = join(dir, 'g.json');
  const r = ftlab([
    'geometry',
    '--model',
    model,
    '--queries',
    join(dir, 'q.tsv'),
    '--qrels',
    join(dir, 'qrels.txt'),
    '--collection',
    join(dir, 'c.tsv'),
    '--n',
    '50',
    '--json',
    out,
    '--quiet',
    '--device',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(readFileSync(out, 'utf8')) as GeometryResult;
  assert.equal(g.pairs, 13);
  assert.equal(g.models[0]!.umap.length, 26);
  assert.match(r.stdout, /note: asked for 50 pairs, 13 available: all used/);
  writeFileSync(join(dir, 'qrels-none.txt'), '0 0 999 2\n');
  const bad = join(dir, 'g-bad.json');
  assertOneLineError(
    ftlab([
      'geometry',
      '--model',
      model,
      '--queries',
      join(dir, 'q.tsv'),
      '--qrels',
      join(dir, 'qrels-none.txt'),
      '--collection',
      join(dir, 'c.tsv'),
      '--json',
      bad,
    ]),
    /no query \/ passage pairs left: 1 judged pairs with grade >= 2 in .*qrels-none\.txt, 1 without passage text in .*c\.tsv, 0 without query text in .*q\.tsv/,
  );
  assert.equal(existsSync(bad), false);
});

test('inspect (with --held-out) and curves', () => {
  const r = ftlab(['inspect', model, '--json', '--held-out', join(dir, 'held-out.tsv'), '--device', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as TrainingSummary;
  assert.equal(s.finalLoss, 1);
  assert.equal(s.heldOutTriples, 2);
  assert.equal(s.heldOutQueries, 2);
  assert.ok(s.tripletAccuracy !== null && [0, 0.5, 1].includes(s.tripletAccuracy));
  const c = ftlab(['curves', model, '--label', 'run', '--alpha', '0.5']);
  assert.equal(c.code, 0, c.stderr);
  const curves = JSON.parse(c.stdout) as CurvesResult;
  assert.deepEqual(curves.series[0]!.lossSmoothed, [3, 2.5, 1.75]);
  assertOneLineError(ftlab(['inspect', join(dir, 'q.tsv')]), /no log\.jsonl/);
});
