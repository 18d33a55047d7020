// npm run bench:precision — each inference precision's quality against fp32 on real data: mean
// and minimum cosine to the fp32 vectors over pool passages (BENCH_N, default 2000; 30005 for the
// whole pool), DL19 nDCG@10 re-ranking BM25's top 100 (BENCH_RERANK_QUERIES=n for the first n
// queries) and DL19 dense nDCG@10 over those BENCH_N passages (the whole pool: the figure),
// with the CPU/ISA/path line. Issue 18's bounds, checked and printed: both nDCG@10 within 0.002 of
// fp32 (bf16) and 0.005 (int8); a bound missed on the whole pool and all queries exits 1.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matmulPaths, pathLine, PRECISIONS, setThreads } from '../src/engine/index.ts';
import { kernelLabel } from '../src/model/inference-linears.ts';
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
if (paths.int8) console.log(`int8 layers: ${kernelLabel('int8')}`);
const texts = readFileSync(pool, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N)
  .map((l) => l.slice(l.indexOf('\t') + 1));
const dl19 = await loadDl19(dirname(pool), Number(process.env.BENCH_RERANK_QUERIES ?? Number.POSITIVE_INFINITY));
const enc = SentenceEncoder.load('default');
let fp32: Float32Array | null = null;
const ref = { rerank: 0, dense: 0 };
const BOUNDS: Record<string, number> = { bf16: 0.002, int8: 0.005 };
const poolSize = readFileSync(pool, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0).length;
const whole = texts.length === poolSize && !process.env.BENCH_RERANK_QUERIES;
const signed = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(4);
const failed: string[] = [];
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
  const rerank = dl19.rerankNdcg10(enc).mean;
  const dense = dl19.denseNdcg10(enc, v).mean;
  if (precision === 'fp32') Object.assign(ref, { rerank, dense });
  const bound = BOUNDS[precision];
  const check = (name: string, d: number): string => {
    if (bound === undefined) return '';
    const ok = Math.abs(d) <= bound;
    if (!ok) failed.push(`${precision} ${name} ${signed(d)}`);
    return ` ${ok ? 'within' : 'OUTSIDE'} ±${bound}`;
  };
  const dr = rerank - ref.rerank;
  const dd = dense - ref.dense;
  console.log(
    `${precision}: ${texts.length} passages in ${secs.toFixed(1)} s; cosine to fp32 mean ${(sum / texts.length).toFixed(6)}, ` +
      `min ${min.toFixed(6)}; DL19 nDCG@10 re-rank ${rerank.toFixed(4)} (${signed(dr)} vs fp32${check('re-rank', dr)}; ` +
      `${dl19.queries} queries, ${dl19.passages} passages), dense ${dense.toFixed(4)} ` +
      `(${signed(dd)} vs fp32${check('dense', dd)}; over ${texts.length} of ${poolSize} pool passages)`,
  );
}
if (failed.length > 0) {
  console.log(
    `bounds missed: ${failed.join(', ')}${whole ? '' : ' (a partial run: BENCH_N below the pool or fewer queries)'}`,
  );
  if (whole) process.exitCode = 1;
} else
  console.log(
    `bounds: every precision within its nDCG@10 bound${whole ? '' : ' (a partial run: not the issue figure)'}`,
  );
