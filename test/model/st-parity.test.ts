// ftlab's vectors equal sentence-transformers' on tiny random BERT folders that the installed
// sentence-transformers saved (scripts/peers/st_parity.py): each pooling mode (mean, cls, max,
// mean-sqrt-len), with and without Normalize, with and without prompts (query only, both,
// default_prompt_name), a short max_seq_length, and one folder in the older layout (models.*
// names, boolean pooling keys, the Transformer in 0_Transformer/). Per text: cosine >= 0.99999
// and the norms within 1e-4 relative (mean and mean-sqrt-len differ only in scale). The export
// of prompted folders round-trips: sentence-transformers loading ftlab's export gives ftlab's
// vectors. Needs the peers venv (scripts/ci-peers.sh); skips with a message without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { resolveModelFiles } from '../../src/model/model-files.ts';
import { exportModel } from '../../src/export/export-model.ts';
import { REPO, tmpDir } from '../helpers/tiny-model.ts';

const python = process.env.FTLAB_PEERS_PYTHON ?? join(REPO, '.cache', 'peers-venv', 'bin', 'python');
const have = existsSync(python);
const script = join(REPO, 'scripts', 'peers', 'st_parity.py');

interface Vectors {
  query: number[][];
  passage: number[][];
  prompts?: { query: string; passage: string };
}
interface Expected {
  queries: string[];
  passages: string[];
  variants: Record<string, Vectors>;
}

/** The script's output, made once per version of the script (it takes ~30 s) under .cache. */
function fixtures(): string {
  const key = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = join(REPO, '.cache', `st-parity-${key}`);
  if (existsSync(join(dir, 'expected.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(python, [script, 'make', tmp, resolveModelFiles('default').tokenizer], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Worst cosine and worst relative norm difference of ftlab's rows against the reference rows. */
function compare(ours: Float32Array, want: number[][]): { minCos: number; maxNormDiff: number } {
  const C = want[0]!.length;
  let minCos = 1;
  let maxNormDiff = 0;
  want.forEach((w, i) => {
    const o = ours.subarray(i * C, (i + 1) * C);
    let dot = 0;
    for (let c = 0; c < C; c++) dot += o[c]! * w[c]!;
    minCos = Math.min(minCos, dot / (norm(o) * norm(w)));
    maxNormDiff = Math.max(maxNormDiff, Math.abs(norm(o) - norm(w)) / norm(w));
  });
  return { minCos, maxNormDiff };
}

function check(label: string, enc: SentenceEncoder, e: Expected, want: Vectors): string {
  const q = compare(enc.encode(e.queries, 'query'), want.query);
  const p = compare(enc.encode(e.passages, 'passage'), want.passage);
  const line = `${label}: pooling ${enc.info.pooling}, normalize ${enc.info.normalize}, prompts ${JSON.stringify(enc.info.prompts)}: queries cos >= ${q.minCos.toFixed(7)}, passages cos >= ${p.minCos.toFixed(7)}, norm diff <= ${Math.max(q.maxNormDiff, p.maxNormDiff).toExponential(1)}`;
  for (const [side, r] of [
    ['queries', q],
    ['passages', p],
  ] as const) {
    assert.ok(r.minCos >= 0.99999, `${label} ${side}: min cosine ${r.minCos}`);
    assert.ok(r.maxNormDiff <= 1e-4, `${label} ${side}: norms differ by ${r.maxNormDiff} (relative)`);
  }
  return line;
}

const skip = !have && `needs ${python} (bash scripts/ci-peers.sh)`;

test("ftlab's vectors equal sentence-transformers' for every pooling mode, Normalize and prompt setting", {
  skip,
}, (t) => {
  const dir = fixtures();
  const e = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const names = Object.keys(e.variants);
  assert.ok(names.length >= 10, `only ${names.length} variants`);
  const poolings = new Set<string>();
  for (const name of names) {
    const enc = SentenceEncoder.load(join(dir, name));
    try {
      const want = e.variants[name]!;
      assert.deepEqual(enc.info.prompts, want.prompts, `${name}: prompts resolved differently`);
      poolings.add(enc.info.pooling);
      t.diagnostic(check(name, enc, e, want));
    } finally {
      enc.dispose();
    }
  }
  assert.deepEqual([...poolings].sort(), ['cls', 'max', 'mean', 'mean-sqrt-len']);
  // the comparison can fail: without its prompts each prompted folder gives other vectors
  for (const name of names.filter((n) => e.variants[n]!.prompts!.query !== '')) {
    const plain = SentenceEncoder.load(join(dir, name), { prompts: { query: '', passage: '' } });
    const c = compare(plain.encode(e.queries, 'query'), e.variants[name]!.query).minCos;
    plain.dispose();
    assert.ok(c < 0.9999, `${name}: vectors without the prompt are as close as ${c}`);
  }
});

test('an exported folder keeps pooling and prompts: sentence-transformers loads it and gives the same vectors', {
  skip,
}, (t) => {
  const dir = fixtures();
  const e = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const names = ['cls-normalize-prompts', 'max-prompts', 'mean-sqrt-len-normalize-query-prompt', 'old-layout'];
  const root = tmpDir();
  const outs = names.map((n) => {
    const out = join(root, n);
    exportModel({ model: join(dir, n), format: 'st', output: out });
    return out;
  });
  const texts = join(root, 'texts.json');
  writeFileSync(texts, JSON.stringify({ queries: e.queries, passages: e.passages }));
  const r = spawnSync(python, [script, 'encode', texts, ...outs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const back = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, Vectors>;
  names.forEach((n, i) => {
    const enc = SentenceEncoder.load(join(dir, n));
    try {
      assert.deepEqual(back[outs[i]!]!.prompts, enc.info.prompts, `${n}: the export's prompts`);
      t.diagnostic(check(`${n} exported`, enc, e, back[outs[i]!]!));
    } finally {
      enc.dispose();
    }
  });
});
