// npm run bench:encode — passages/s, real tokens/s and padding for length-sorted and
// file-order batching, against the matmul bound measured in the same process.
import { readFileSync } from 'node:fs';
import { setThreads, engineInfo } from '../src/engine/index.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { planBatches } from '../src/model/sentence-encoder.ts';
import { matmulGflops, linearMacsPerToken } from './matmul-bound.ts';
import { sharedFile } from './shared-data.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const MAX_TOKENS = process.env.BENCH_MAX_TOKENS ? Number(process.env.BENCH_MAX_TOKENS) : undefined;
const path = sharedFile('trec-dl/collection.pool.tsv');
if (!path) {
  console.log('bench:encode skipped: ../shared/data/msmarco/trec-dl/collection.pool.tsv is absent');
  process.exit(0);
}
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const texts = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).slice(0, N).map((l) => l.slice(l.indexOf('\t') + 1));
const enc = SentenceEncoder.load('default');
const lists = enc.tokenize(texts);
const realTokens = lists.reduce((a, l) => a + l.length, 0);
const gflops = matmulGflops();
const boundTokensPerSec = (gflops * 1e9) / (2 * linearMacsPerToken());
console.log(`libtorch ${engineInfo().torch}, ${threads} threads; ${texts.length} passages, ${realTokens} real tokens`);
console.log(`matmul bound: ${gflops.toFixed(1)} GFLOP/s -> ${boundTokensPerSec.toFixed(0)} tokens/s at 21.2 MFLOP/token`);

enc.encodeTokenized(lists.slice(0, 64)); // warm-up
for (const sort of [true, false]) {
  const batches = planBatches(lists.map((l) => l.length), { batchSize: BATCH, maxTokens: MAX_TOKENS, sort });
  const padded = batches.reduce((a, b) => a + b.length * Math.max(...b.map((i) => lists[i]!.length)), 0);
  const t0 = performance.now();
  enc.encodeTokenized(lists, { batchSize: BATCH, maxTokens: MAX_TOKENS, sort });
  const secs = (performance.now() - t0) / 1000;
  const tps = realTokens / secs;
  console.log(`${sort ? 'length-sorted' : 'file order   '}: ${(texts.length / secs).toFixed(1)} passages/s, ${tps.toFixed(0)} real tokens/s, `
    + `padding ${(100 * (1 - realTokens / padded)).toFixed(1)}%, ${(100 * tps / boundTokensPerSec).toFixed(1)}% of the matmul bound`
    + (sort ? `, ${(tps / 4700).toFixed(2)}x transformers.js (4,700 tokens/s)` : `, ${(tps / 2000).toFixed(2)}x transformers.js (2,000 tokens/s)`));
}
