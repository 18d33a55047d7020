// npm run bench:export — transformers.js on ftlab's exported ONNX (fp32 and int8) against
// ftlab's own libtorch encoder, in one process: passages/s on 200 pool passages, and
// (BENCH_RERANK=0 skips it) DL19 nDCG@10 re-ranking BM25's top 100 with each ONNX graph
// (BENCH_RERANK_QUERIES=n: the first n queries only, for a quick, indicative number).
// No reference ONNX export of all-MiniLM-L6-v2 (Xenova's) is available offline here.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline, env } from '@huggingface/transformers';
import { setThreads } from '../src/engine/index.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { exportModel } from '../src/export/export-model.ts';
import { loadRun, rankedList } from '../src/data/run.ts';
import { loadQrels } from '../src/data/qrels.ts';
import { loadQueries } from '../src/data/queries.ts';
import { loadCollection } from '../src/data/collection.ts';
import { measure } from '../src/eval/evaluate.ts';
import { parseMetric } from '../src/eval/metric.ts';
import { sharedFile } from './shared-data.ts';

const N = Number(process.env.BENCH_N ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const BATCH = 32;
const pool = sharedFile('trec-dl/collection.pool.tsv');
if (!pool) {
  console.log('bench:export skipped: ../shared/data/msmarco/trec-dl/collection.pool.tsv is absent');
  process.exit(0);
}
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const out = join(mkdtempSync(join(tmpdir(), 'ftlab-bench-export-')), 'minilm');
exportModel({ model: 'default', format: 'onnx', output: out });
env.allowRemoteModels = false;
env.localModelPath = '/';

type Encode = (texts: string[]) => Promise<Float32Array>;
const ftlab = SentenceEncoder.load('default');
async function onnxEncoder(dtype: 'fp32' | 'q8'): Promise<Encode> {
  const extract = await pipeline('feature-extraction', out, { local_files_only: true, dtype });
  return async (texts) => {
    const res = new Float32Array(texts.length * 384);
    for (let i = 0; i < texts.length; i += BATCH)
      res.set(
        (await extract(texts.slice(i, i + BATCH), { pooling: 'mean', normalize: true })).data as Float32Array,
        i * 384,
      );
    return res;
  };
}
const encoders: Record<string, Encode> = {
  'ftlab libtorch': async (texts) => ftlab.encode(texts, 'passage', { batchSize: BATCH }),
  'transformers.js ONNX fp32': await onnxEncoder('fp32'),
  'transformers.js ONNX int8': await onnxEncoder('q8'),
};

const texts = readFileSync(pool, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N)
  .map((l) => l.slice(l.indexOf('\t') + 1));
console.log(
  `${N} pool passages, batch ${BATCH}, ${threads} libtorch threads, median of ${REPS} (shared machine: noisy)`,
);
const vectors: Record<string, Float32Array> = {};
for (const [name, enc] of Object.entries(encoders)) {
  await enc(texts.slice(0, BATCH)); // warm-up
  const secs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    vectors[name] = await enc(texts);
    secs.push((performance.now() - t0) / 1000);
  }
  const med = secs.sort((a, b) => a - b)[Math.floor(REPS / 2)]!;
  console.log(
    `${name.padEnd(26)} ${(N / med).toFixed(1)} passages/s (runs: ${secs.map((s) => s.toFixed(2)).join(', ')} s)`,
  );
}
const cos = (a: Float32Array, b: Float32Array, i: number): number => {
  let s = 0;
  for (let c = 0; c < 384; c++) s += a[i * 384 + c]! * b[i * 384 + c]!;
  return s;
};
for (const name of ['transformers.js ONNX fp32', 'transformers.js ONNX int8']) {
  const c = Array.from({ length: N }, (_, i) => cos(vectors['ftlab libtorch']!, vectors[name]!, i));
  console.log(
    `${name} vs ftlab: cosine min ${Math.min(...c).toFixed(6)}, mean ${(c.reduce((a, b) => a + b, 0) / N).toFixed(6)}`,
  );
}

if (process.env.BENCH_RERANK !== '0') {
  const { collection } = await loadCollection(pool);
  const run = await loadRun(sharedFile('trec-dl/run.dl19.bm25.top100.trec')!);
  const qrels = await loadQrels(sharedFile('trec-dl/qrels.dl19-passage.txt')!);
  const queries = await loadQueries(sharedFile('trec-dl/queries.dl19.tsv')!);
  const qids = [...run.queries.keys()]
    .filter((q) => qrels.has(q) && queries.has(q))
    .slice(0, Number(process.env.BENCH_RERANK_QUERIES ?? Infinity));
  const pids = [...new Set(qids.flatMap((q) => rankedList(run, q)))].filter((p) => collection.has(p));
  const ndcg10 = parseMetric('nDCG@10');
  console.log(`DL19 re-ranking of BM25 top 100: ${qids.length} queries, ${pids.length} passages`);
  // ftlab libtorch is left out: the fp32 graph gives its vectors to cosine 0.9999
  for (const [name, enc] of Object.entries(encoders).filter(([n]) => n.includes('ONNX'))) {
    const t0 = performance.now();
    const docs = await enc(pids.map((p) => collection.text(collection.indexOf(p))));
    const qv = await enc(qids.map((q) => queries.get(q)!));
    const row = new Map(pids.map((p, i) => [p, i]));
    let sum = 0;
    qids.forEach((q, qi) => {
      const cands = rankedList(run, q).filter((p) => row.has(p));
      const score = (p: string): number => {
        let s = 0;
        const d = row.get(p)!;
        for (let c = 0; c < 384; c++) s += qv[qi * 384 + c]! * docs[d * 384 + c]!;
        return s;
      };
      const ranked = cands
        .map((p) => ({ p, s: score(p) }))
        .sort((a, b) => b.s - a.s || (a.p < b.p ? 1 : -1))
        .map((x) => x.p);
      sum += measure(ndcg10, ranked, qrels.get(q)!);
    });
    console.log(
      `${name.padEnd(26)} nDCG@10 ${(sum / qids.length).toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
}
rmSync(dirname(out), { recursive: true, force: true });
