// Issue 8, "how it is checked": 200 randomly corrupted lines (seeded) across run, qrels,
// queries, collection and triples files; every one ends in exit 1 with a `file:line:`
// message and no output file. In-process (main()), so 200 runs take seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Random } from '../../src/data/random.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlabInProcess } from '../helpers/cli.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const N = 24;
const lines = {
  collection: Array.from({ length: N }, (_, i) => `${100 + i}\tpassage number ${i} about rivers`),
  queries: Array.from({ length: N }, (_, i) => `${i + 1}\tquery ${i}`),
  qrels: Array.from({ length: N }, (_, i) => `${(i % 6) + 1} 0 ${100 + i} ${i % 3}`),
  run: Array.from(
    { length: N },
    (_, i) => `${(i % 6) + 1} Q0 ${100 + i} ${Math.floor(i / 6) + 1} ${(10 - i / 6).toFixed(3)} bm25`,
  ),
  triples: triplesTsv(synthTriples(N)).trim().split('\n'),
};
type Kind = keyof typeof lines;
const good = Object.fromEntries(
  Object.entries(lines).map(([k, v]) => {
    const p = join(dir, `good.${k}`);
    writeFileSync(p, `${v.join('\n')}\n`);
    return [k, p];
  }),
) as Record<Kind, string>;

/** Corruptions that make a line invalid for its format, whatever line they hit. */
function corrupt(kind: Kind, all: string[], i: number, rng: Random): string {
  const line = all[i]!;
  const other = (pred: (j: number) => boolean): number => {
    const js = all.map((_, j) => j).filter((j) => j !== i && pred(j));
    return js[rng.int(js.length)]!;
  };
  const f = line.split(kind === 'run' || kind === 'qrels' ? ' ' : '\t');
  const pick = rng.int(3);
  switch (kind) {
    case 'run':
      if (pick === 0) return f.slice(0, 5).join(' ');
      if (pick === 1) return [...f.slice(0, 3), 'x', ...f.slice(4)].join(' ');
      return all[other((j) => all[j]!.split(' ')[0] === f[0])]!; // a document listed twice
    case 'qrels':
      if (pick === 0) return f.slice(0, 3).join(' ');
      if (pick === 1) return [...f.slice(0, 3), '1.5'].join(' ');
      {
        const g = all[other(() => true)]!.split(' ');
        return [...g.slice(0, 3), String(Number(g[3]) + 1)].join(' ');
      } // a conflicting grade
    case 'queries':
      if (pick === 0) return line.replace('\t', ' ');
      if (pick === 1) return `${line}\textra`;
      return `${all[other(() => true)]!.split('\t')[0]}\t${f[1]}`; // a repeated id
    case 'collection':
      if (pick === 0) return line.replace('\t', ' ');
      if (pick === 1) return `\t${f[1]}`;
      return `${all[other(() => true)]!.split('\t')[0]}\t${f[1]}`;
    case 'triples':
      if (pick === 0) return f.slice(0, 2).join('\t');
      if (pick === 1) return `${line}\tfourth`;
      return [f[0], '', f[2]].join('\t');
  }
}

function command(kind: Kind, bad: string, out: string, rng: Random): string[] {
  const model_ = ['--model', model, '--threads', '1', '--quiet'];
  switch (kind) {
    case 'run':
      return ['eval', '--qrels', good.qrels, '--run', bad, '--metrics', 'RR@10'];
    case 'qrels':
      return ['eval', '--qrels', bad, '--run', good.run, '--metrics', 'RR@10'];
    case 'queries':
      return [
        'search',
        '--collection',
        good.collection,
        '--queries',
        bad,
        '--rerank',
        good.run,
        '--output',
        out,
        '--no-cache',
        ...model_,
      ];
    case 'collection':
      return [
        'search',
        '--collection',
        bad,
        '--queries',
        good.queries,
        '--rerank',
        good.run,
        '--output',
        out,
        '--no-cache',
        ...model_,
      ];
    case 'triples':
      return rng.int(2) === 0
        ? ['sample', '--triples', bad, '--n', '5', '--output', out, '--quiet']
        : ['train', '--train', bad, '--output', out, '--max-steps', '1', '--batch-size', '2', ...model_];
  }
}

test('200 corrupted lines: each exits 1 with one `file:line:` line and writes no output', async () => {
  const rng = new Random([2026, 8, 200, 1]);
  const kinds = Object.keys(lines) as Kind[];
  const tally: Record<string, number> = {};
  for (let n = 0; n < 200; n++) {
    const kind = kinds[n % kinds.length]!;
    const all = [...lines[kind]];
    const i = rng.int(all.length);
    all[i] = corrupt(kind, all, i, rng);
    const bad = join(dir, `bad-${n}.${kind}`);
    writeFileSync(bad, `${all.join('\n')}\n`);
    const out = join(dir, `out-${n}`);
    const args = command(kind, bad, out, rng);
    const r = await ftlabInProcess(args);
    const msg = r.stderr.trim();
    const where = `#${n} ${kind} line ${i + 1} -> ${JSON.stringify(all[i])} (${args[0]}): exit ${r.code}, ${msg}`;
    assert.equal(r.code, 1, where);
    assert.equal(msg.split('\n').length, 1, where);
    assert.match(msg, new RegExp(`${basename(bad).replace('.', '\\.')}:\\d+:`), where);
    assert.equal(existsSync(out), false, `${where}: output written`);
    tally[kind] = (tally[kind] ?? 0) + 1;
  }
  assert.deepEqual(tally, { collection: 40, queries: 40, qrels: 40, run: 40, triples: 40 });
});
