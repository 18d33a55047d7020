import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { readNpyF32 } from '../../src/io/npy.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { SentenceEncoder } from '../../src/index.ts';

test('ftlab embed --text ... --json prints the reference vector', () => {
  const r = ftlab(['embed', '--text', 'This is an example sentence', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout) as number[][];
  assert.equal(v.length, 1);
  assert.equal(v[0]!.length, 384);
  [0.06766, 0.0635, 0.04871, 0.0793, 0.03745].forEach((x, i) => assert.ok(Math.abs(v[0]![i]! - x) <= 2e-4));
  assert.ok(Math.abs(Math.hypot(...v[0]!) - 1) < 1e-5);
});

/** Largest |a - b| over two equal-length vectors (a length mismatch fails). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('--input FILE: --json, .npy (+ ids), .safetensors and .jsonl hold the library API vectors, every value', () => {
  const dir = tmpDir();
  const input = join(dir, 'in.tsv');
  const texts = ['This is an example sentence', 'Each sentence is converted', 'Ã©tÃ© mis-encoded'];
  writeFileSync(input, ['7', '3', '12'].map((id, i) => `${id}\t${texts[i]}\n`).join(''));
  const api = SentenceEncoder.load('default'); // the package entry point's encoder, one text at a time
  const ref = texts.flatMap((t) => Array.from(api.encode([t], 'passage'))); // embed's default --role
  api.dispose();
  const json = ftlab(['embed', '--input', input, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.ok(maxDiff((JSON.parse(json.stdout) as number[][]).flat(), ref) < 1e-6, '--json');
  const npy = join(dir, 'out.npy');
  assert.equal(ftlab(['embed', '--input', input, '--output', npy, '--batch-size', '2']).code, 0);
  const { data, shape } = readNpyF32(npy);
  assert.deepEqual(shape, [3, 384]);
  assert.ok(maxDiff(data, ref) < 1e-6, '.npy');
  assert.equal(readFileSync(`${npy}.ids.txt`, 'utf8'), '7\n3\n12\n');
  const st = join(dir, 'out.safetensors');
  assert.equal(ftlab(['embed', '--input', input, '--output', st]).code, 0);
  const t = loadSafetensors(st);
  assert.deepEqual(t.get('embeddings')!.shape, [3, 384]);
  assert.ok(maxDiff(t.get('embeddings')!.f32(), ref) < 1e-6, '.safetensors');
  assert.deepEqual(Array.from(t.get('ids')!.i64()), [7n, 3n, 12n]);
  const jl = join(dir, 'out.jsonl');
  assert.equal(ftlab(['embed', '--input', input, '--output', jl]).code, 0);
  const rows = readFileSync(jl, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; vector: number[] });
  assert.deepEqual(
    rows.map((r) => r.id),
    ['7', '3', '12'],
  );
  assert.ok(
    maxDiff(
      rows.flatMap((r) => r.vector),
      ref,
    ) < 1e-6,
    '.jsonl',
  );
});

test('--input - reads stdin', () => {
  const r = ftlab(['embed', '--input', '-', '--json'], 'a\tThis is an example sentence\n');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Math.abs((JSON.parse(r.stdout) as number[][])[0]![0]! - 0.06766) <= 2e-4);
});

test('bad inputs: one-line error, non-zero exit, no output file', () => {
  const dir = tmpDir();
  const out = join(dir, 'out.npy');
  const good = join(dir, 'good.tsv');
  writeFileSync(good, '1\thello\n');
  const malformed = join(dir, 'bad.tsv');
  writeFileSync(malformed, '1\tfine\nno tab on this line\n');
  assertOneLineError(ftlab(['embed', '--input', malformed, '--output', out]), /bad\.tsv:2: expected id<TAB>text/);
  assertOneLineError(
    ftlab(['embed', '--input', join(dir, 'missing.tsv'), '--output', out]),
    /missing\.tsv: no such file/,
  );
  assertOneLineError(
    ftlab(['embed', '--input', good, '--output', out, '--model', join(dir, 'nope')]),
    /no such model folder/,
  );
  const corrupt = writeTinyModel(join(dir, 'corrupt'));
  writeFileSync(join(corrupt, 'model.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  assertOneLineError(
    ftlab(['embed', '--input', good, '--output', out, '--model', corrupt]),
    /model\.safetensors: not a valid safetensors file/,
  );
  const wrong = writeTinyModel(join(dir, 'wrong'));
  const cfg = JSON.parse(readFileSync(join(wrong, 'config.json'), 'utf8')) as Record<string, number>;
  writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 64 }));
  assertOneLineError(
    ftlab(['embed', '--input', good, '--output', out, '--model', wrong]),
    /intermediate\.dense\.weight' has shape \[32,16\] but config\.json implies \[64,16\]/,
  );
  assertOneLineError(ftlab(['embed', '--text', 'x', '--output', join(dir, 'out.csv')]), /must end in \.npy/);
  assertOneLineError(ftlab(['embed', '--text', 'x', '--json', '--bogus']), /Unknown option '--bogus'/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('out')),
    [],
  );
});

test('a tiny HF model folder works end to end', () => {
  const dir = writeTinyModel(tmpDir());
  const r = ftlab(['embed', '--model', dir, '--text', 'hello world', '--json', '--max-length', '16', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as number[][])[0]!.length, 16);
});

test('--help explains the command', () => {
  const r = ftlab(['embed', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--input FILE/);
  assert.match(ftlab(['--help']).stdout, /embed\s+encode texts/);
});
