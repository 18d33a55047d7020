// Each inference precision's vectors against fp32's on real passages (the TREC DL pool):
// the oneDNN fp32 path within 1e-5 cosine of MKL's, bf16 and int8 within measured bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forceFp32Path, matmulPaths, type Precision } from '../../src/engine/index.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { SHARED_MSMARCO, hasShared } from '../helpers/tiny-model.ts';
import { loadDl19 } from '../helpers/dl19-rerank.ts';

const SAMPLE = 160;
// all of DL19's judged queries: on 5 the int8 delta swung from +0.007 to -0.012 with the engine (noise, not the bound)
const RERANK_QUERIES = 43;

/** Every 180th passage of the pool: a fixed sample of real lengths and vocabulary. */
function poolSample(): string[] {
  const lines = readFileSync(join(SHARED_MSMARCO, 'trec-dl', 'collection.pool.tsv'), 'utf8').split('\n');
  const texts: string[] = [];
  for (let i = 0; i < lines.length && texts.length < SAMPLE; i += 180) {
    const text = lines[i]?.split('\t')[1];
    if (text) texts.push(text);
  }
  return texts;
}

/** Mean and minimum cosine between row i of a and row i of b (rows of width dim). */
function cosines(a: Float32Array, b: Float32Array, dim: number): { mean: number; min: number } {
  let sum = 0;
  let min = 1;
  const n = a.length / dim;
  for (let r = 0; r < n; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      ab += a[j]! * b[j]!;
      aa += a[j]! * a[j]!;
      bb += b[j]! * b[j]!;
    }
    const c = ab / Math.sqrt(aa * bb);
    sum += c;
    min = Math.min(min, c);
  }
  return { mean: sum / n, min };
}

test('fp32 on oneDNN, bf16 and int8 vectors against MKL fp32 on real passages', {
  skip: !hasShared && 'needs ../shared/data/msmarco',
}, () => {
  const texts = poolSample();
  assert.equal(texts.length, SAMPLE);
  const enc = SentenceEncoder.load('default');
  const paths = matmulPaths();
  forceFp32Path('mkl');
  const mkl = enc.encode(texts, 'passage');
  const results: string[] = [];
  const check = (name: string, v: Float32Array, meanBound: number, minBound: number): void => {
    const c = cosines(mkl, v, enc.dim);
    results.push(`${name}: mean cosine ${c.mean.toFixed(7)}, min ${c.min.toFixed(7)}`);
    assert.ok(
      c.mean >= meanBound && c.min >= minBound,
      `${name}: mean ${c.mean} (>= ${meanBound}), min ${c.min} (>= ${minBound})`,
    );
  };
  if (paths.figures.some((f) => f.path === 'fp32-onednn')) {
    forceFp32Path('onednn');
    check('fp32-onednn', enc.encode(texts, 'passage'), 1 - 1e-5, 1 - 1e-5);
    forceFp32Path('mkl');
  }
  if (paths.bf16Available) {
    enc.bert.precision = 'bf16';
    check('bf16', enc.encode(texts, 'passage'), 0.9995, 0.998);
  }
  if (paths.int8) {
    enc.bert.precision = 'int8';
    // the int8 recipe (src/model/inference-linears.ts) measured 0.99726 / 0.99405 here (recipe 2, FFN
    // output layers in bf16: 0.99786 / 0.99648); plain int8 everywhere measured 0.9944 / 0.9882 and
    // fails this bound.
    // 7-bit activations (fbgemm on CPUs without VNNI) keep the looser bound
    const sevenBit = paths.int8.kind === 'int8' && paths.int8.reduceRange;
    check('int8', enc.encode(texts, 'passage'), sevenBit ? 0.99 : 0.996, sevenBit ? 0.96 : 0.985);
  }
  enc.bert.releaseInference();
  process.stderr.write(`${results.join('\n')}\n`);
});

// The bounds on DL19 re-ranking (nDCG@10 within 0.002 of fp32 for bf16, 0.005 for int8),
// on all 43 queries. Measured (idle machine, 2026-12-05, unpadded inference): fp32 0.6424, bf16
// 0.6425; int8 on oneDNN 0.6376-0.6381 (-0.0048 to -0.0044), on fbgemm and x86 0.6395 (-0.0029).
// On 160 pool passages: bf16 mean cosine to fp32 0.999987 (min 0.999975), int8 0.9944 (min 0.9882).
// 2026-12-06, the int8 recipe 2 (FFN output layers bf16): re-rank 0.6413 vs fp32 0.6424 (-0.0011);
// recipe 3 (FFN output layers int8 with 2 outlier channels in fp32): 0.6438 (+0.0014).
test('bf16 and int8 re-rank DL19 within 0.002 and 0.005 nDCG@10 of fp32 (all 43 queries)', {
  skip: !hasShared && 'needs ../shared/data/msmarco',
}, async () => {
  const dl19 = await loadDl19(join(SHARED_MSMARCO, 'trec-dl'), RERANK_QUERIES);
  assert.equal(dl19.queries, RERANK_QUERIES);
  const enc = SentenceEncoder.load('default');
  const paths = matmulPaths();
  const fp32 = dl19.rerankNdcg10(enc).mean;
  assert.ok(fp32 > 0.3, `fp32 nDCG@10 ${fp32}: the re-ranking itself works`);
  const bounds: [Precision, number, boolean][] = [
    ['bf16', 0.002, paths.bf16Available],
    // 7-bit activations (fbgemm's guard on CPUs without VNNI) lose more: the 0.005 holds for 8-bit
    ['int8', paths.int8?.kind === 'int8' && paths.int8.reduceRange ? 0.01 : 0.005, paths.int8 !== null],
  ];
  for (const [precision, bound, available] of bounds) {
    if (!available) continue;
    enc.bert.precision = precision;
    const v = dl19.rerankNdcg10(enc).mean;
    process.stderr.write(`${precision}: DL19 nDCG@10 ${v.toFixed(4)} vs fp32 ${fp32.toFixed(4)}\n`);
    // int8 is held to a one-sided bound (no loss beyond 0.005), bf16 to a two-sided one
    const ok = precision === 'int8' ? fp32 - v <= bound : Math.abs(v - fp32) <= bound;
    assert.ok(ok, `${precision}: nDCG@10 ${v} vs fp32 ${fp32} (bound ${bound})`);
  }
  enc.bert.releaseInference();
});
