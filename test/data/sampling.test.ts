import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/data/random.ts';
import { Reservoir } from '../../src/data/reservoir.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tiny-model.ts';

test('reservoir sampling is uniform (chi-square over 20,000 seeded runs)', () => {
  const N = 10;
  const counts = new Array<number>(N).fill(0);
  const trials = 20000;
  for (let t = 0; t < trials; t++) {
    const r = new Reservoir<number>(3, new Random(t));
    for (let i = 0; i < N; i++) r.offer(() => i);
    for (const x of r.items) counts[x]!++;
  }
  const expected = (trials * 3) / N;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.88, `chi-square ${chi2.toFixed(2)} (9 df, p = 0.001 critical value 27.88); counts ${counts}`);
  const r = new Reservoir<number>(5, new Random(1));
  for (let i = 0; i < 3; i++) r.offer(() => i);
  assert.deepEqual(r.inStreamOrder(), [0, 1, 2], 'fewer items than n: all kept');
});

test('ftlab sample: same seed same file, other seed other file, lines from the source in order', () => {
  const dir = tmpDir();
  const src = join(dir, 'triples.tsv');
  const lines = Array.from({ length: 1000 }, (_, i) => `query ${i}\tpositive ${i}\tnegative ${i}`);
  writeFileSync(src, `${lines.join('\n')}\n`);
  const run = (seed: string, out: string): string => {
    const r = ftlab(['sample', '--triples', src, '--n', '100', '--seed', seed, '--output', join(dir, out), '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(join(dir, out), 'utf8');
  };
  const a = run('1', 'a.tsv');
  assert.equal(run('1', 'b.tsv'), a);
  assert.notEqual(run('2', 'c.tsv'), a);
  const got = a.trim().split('\n');
  assert.equal(got.length, 100);
  assert.equal(new Set(got).size, 100);
  const pos = got.map((l) => lines.indexOf(l));
  assert.ok(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1]!)));
  writeFileSync(join(dir, 'bad.tsv'), 'q\tp\tn\nq\tp\n');
  assertOneLineError(
    ftlab(['sample', '--triples', join(dir, 'bad.tsv'), '--n', '1', '--output', join(dir, 'o.tsv')]),
    /bad\.tsv:2: expected query<TAB>positive<TAB>negative/,
  );
  assert.equal(existsSync(join(dir, 'o.tsv')), false);
});
