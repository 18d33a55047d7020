// npm run bench:precision — each inference precision's quality against fp32 on real data: mean
// and minimum cosine to the fp32 vectors over pool passages (BENCH_N, default 2000; 30005 for the
// whole pool) and DL19 nDCG@10 re-ranking BM25's top 100 (BENCH_RERANK_QUERIES=n for the first n
// queries), with the CPU/ISA/path line. The targets: nDCG@10 within 0.002 (bf16), 0.005 (int8).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matmulPaths, pathLine, PRECISIONS, setThreads } from '../src/engine/index.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { loadDl19 } from '../test/helpers/dl19-rerank.ts';
import { sharedFile } from './shared-data.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const pool = sharedFile('trec-dl/collection.pool.tsv');
if (!pool) {
  console.log('bench:precision skipped: ../shared/data/msmarco/trec-dl is absent');
  process.exit(0);
}
setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const paths = matmulPaths();
console.log(pathLine(paths));
const texts = readFileSync(pool, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N)
  .map((l) => l.slice(l.indexOf('\t') + 1));
const dl19 = await loadDl19(dirname(pool), Number(process.env.BENCH_RERANK_QUERIES ?? Number.POSITIVE_INFINITY));
const enc = SentenceEncoder.load('default');
let fp32: Float32Array | null = null;
let fp32Ndcg = 0;
for (const precision of PRECISIONS) {
  if ((precision === 'bf16' && !paths.bf16Available) || (precision === 'int8' && !paths.int8)) continue;
  enc.bert.precision = precision;
  const t0 = performance.now();
  const v = enc.encode(texts, 'passage');
  const secs = (performance.now() - t0) / 1000;
  fp32 ??= v;
  let sum = 0;
  let min = 1;
  for (let r = 0; r < texts.length; r++) {
    let ab = 0;
    for (let c = 0; c < enc.dim; c++) ab += fp32[r * enc.dim + c]! * v[r * enc.dim + c]!; // unit vectors
    sum += ab;
    min = Math.min(min, ab);
  }
  const ndcg = dl19.rerankNdcg10(enc).mean;
  if (precision === 'fp32') fp32Ndcg = ndcg;
  console.log(
    `${precision}: ${texts.length} passages in ${secs.toFixed(1)} s; cosine to fp32 mean ${(sum / texts.length).toFixed(6)}, ` +
      `min ${min.toFixed(6)}; DL19 re-rank nDCG@10 ${ndcg.toFixed(4)} (${dl19.queries} queries, ${dl19.passages} passages; ` +
      `${(ndcg - fp32Ndcg >= 0 ? '+' : '') + (ndcg - fp32Ndcg).toFixed(4)} vs fp32)`,
  );
}
