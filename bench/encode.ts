// npm run bench:encode — passages/s, real tokens/s and padding for length-sorted and file-order
// batching, against the matmul bound and the peers measured in the same run on the same token
// ids and batches: transformers.js (onnxruntime-node) and PyTorch eager, when they can be had
// (an ONNX export needs PyTorch: .cache/bench-venv or python3); otherwise no ratio is printed.
// Each inference precision (fp32 on the probed path, bf16, int8) runs the same length-sorted
// batches; transformers.js also runs q8, the int8 ONNX that `ftlab export --format onnx` writes
// (dynamic quantisation of the same weights, onnxruntime's MatMulInteger).
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { kernelLabel } from '../src/model/inference-linears.ts';
import { setThreads, engineReport, matmulPaths, pathLine, PRECISIONS, type Precision } from '../src/engine/index.ts';
import { native } from '../src/engine/native.ts';
import { exportModel } from '../src/export/export-model.ts';
import { SentenceEncoder, planBatches } from '../src/model/sentence-encoder.ts';
import { matmulGflops, linearMacsPerToken } from './matmul-bound.ts';
import { sharedFile } from './shared-data.ts';
import { onnxModel, transformersJsTokensPerSec } from './peers/transformers-js.ts';
import { hasPythonModule, runPeer, PEER_SETUP_HINT } from './peers/python.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const MAX_TOKENS = process.env.BENCH_MAX_TOKENS ? Number(process.env.BENCH_MAX_TOKENS) : undefined;
const path = sharedFile('trec-dl/collection.pool.tsv');
if (!path) {
  console.log('bench:encode skipped: ../shared/data/msmarco/trec-dl/collection.pool.tsv is absent');
  process.exit(0);
}
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const texts = readFileSync(path, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .slice(0, N)
  .map((l) => l.slice(l.indexOf('\t') + 1));
const enc = SentenceEncoder.load('default');
const lists = enc.tokenize(texts, 'passage');
const realTokens = lists.reduce((a, l) => a + l.length, 0);
const gflops = matmulGflops();
const boundTokensPerSec = (gflops * 1e9) / (2 * linearMacsPerToken());
const eng = engineReport();
console.log(
  `libtorch ${eng.torch} (${eng.blas}), ${threads} threads; ${texts.length} passages, ${realTokens} real tokens, batch ${BATCH}`,
);
console.log(
  `matmul bound: ${gflops.toFixed(1)} GFLOP/s -> ${boundTokensPerSec.toFixed(0)} tokens/s at 21.2 MFLOP/token`,
);
for (const w of eng.warnings) console.log(`warning: ${w}`);
const paths = matmulPaths(true); // measured now, in this run
console.log(pathLine(paths));
if (paths.int8) console.log(`int8 layers: ${kernelLabel('int8')}`);

enc.encodeTokenized(lists.slice(0, 64)); // warm-up
let sortedTps = 0;
for (const sort of [true, false]) {
  const batches = planBatches(
    lists.map((l) => l.length),
    { batchSize: BATCH, maxTokens: MAX_TOKENS, sort },
  );
  const padded = batches.reduce((a, b) => a + b.length * Math.max(...b.map((i) => lists[i]!.length)), 0);
  const t0 = performance.now();
  enc.encodeTokenized(lists, { batchSize: BATCH, maxTokens: MAX_TOKENS, sort });
  const secs = (performance.now() - t0) / 1000;
  const tps = realTokens / secs;
  if (sort) sortedTps = tps;
  console.log(
    `ftlab ${sort ? 'length-sorted' : 'file order   '}: ${(texts.length / secs).toFixed(1)} passages/s, ${tps.toFixed(0)} real tokens/s, ` +
      `padding ${(100 * (1 - realTokens / padded)).toFixed(1)}%, ${((100 * tps) / boundTokensPerSec).toFixed(1)}% of the matmul bound`,
  );
}

// The same fp32 batches with libtorch's attention ops instead of the hand-written kernel.
if (native.fusedAttentionIsa(enc.bert.config.hiddenSize / enc.bert.config.numHeads)) {
  native.setFusedAttention(false);
  const t0 = performance.now();
  enc.encodeTokenized(lists, { batchSize: BATCH, maxTokens: MAX_TOKENS, sort: true });
  native.setFusedAttention(true);
  const tps = realTokens / ((performance.now() - t0) / 1000);
  console.log(
    `ftlab length-sorted, libtorch attention ops: ${tps.toFixed(0)} real tokens/s -> the kernel ${(sortedTps / tps).toFixed(2)}x`,
  );
}

// Each precision, and each peer, on the same length-sorted batches, in BENCH_ROUNDS interleaved
// rounds (default 3): on a shared VM one slow moment otherwise lands on whichever runs then
// (single runs moved by ~10-20%). Each round starts one contender later (no one always first
// or last). Each contender's median round counts; its range is printed.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${ROUNDS}`);
const versions = new Set<string>(); // the peers' versions, as they report them
const batches = planBatches(
  lists.map((l) => l.length),
  { batchSize: BATCH, maxTokens: MAX_TOKENS, sort: true },
).map((b) => b.map((i) => lists[i]!));
const ftlab = (precision: Precision) => async (): Promise<number> => {
  enc.bert.precision = precision;
  enc.encodeTokenized(lists.slice(0, 64)); // warm-up: packs this precision's weights (one set is kept)
  const t0 = performance.now();
  enc.encodeTokenized(lists, { batchSize: BATCH, maxTokens: MAX_TOKENS, sort: true });
  return realTokens / ((performance.now() - t0) / 1000);
};
const contenders: { name: string; ftlab: boolean; run: () => Promise<number> }[] = [
  { name: 'ftlab fp32', ftlab: true, run: ftlab('fp32') },
];
for (const precision of PRECISIONS.filter((p) => p !== 'fp32')) {
  if ((precision === 'bf16' && !paths.bf16Available) || (precision === 'int8' && !paths.int8)) {
    console.log(`ftlab ${precision}: not available in this libtorch`);
    continue;
  }
  contenders.push({ name: `ftlab ${precision}`, ftlab: true, run: ftlab(precision) });
}
const files = enc.files!;
/** transformers.js on the ONNX folder `dir` (fp32, or the int8 q8), as a contender. */
const transformersJs = (dtype: 'fp32' | 'q8', dir: string) => ({
  name: `transformers.js ${dtype}`,
  ftlab: false,
  run: async () => {
    const peer = await transformersJsTokensPerSec(dir, batches, threads, dtype);
    versions.add(`transformers.js ${peer.version}`);
    return peer.tokensPerSec;
  },
});
const onnx = onnxModel(files);
if (onnx) contenders.push(transformersJs('fp32', onnx));
else
  console.log(
    `transformers.js peer: no ONNX of the model at hand (exporting it needs PyTorch: ${PEER_SETUP_HINT}); no ratio printed`,
  );
const q8Dir = mkdtempSync(join(tmpdir(), 'ftlab-bench-q8-'));
exportModel({ model: 'default', format: 'onnx', output: join(q8Dir, 'minilm') });
contenders.push(transformersJs('q8', join(q8Dir, 'minilm')));
const idsDir = mkdtempSync(join(tmpdir(), 'ftlab-bench-'));
if (hasPythonModule('torch') && hasPythonModule('numpy')) {
  writeFileSync(join(idsDir, 'ids.json'), JSON.stringify(batches));
  contenders.push({
    name: 'PyTorch eager',
    ftlab: false,
    run: async () => {
      const args = ['encode', files.weights, join(idsDir, 'ids.json'), String(threads)];
      const peer = runPeer<{ tokensPerSec: number; torch: string }>('minilm_torch.py', args);
      versions.add(`PyTorch ${peer.torch}`);
      return peer.tokensPerSec;
    },
  });
} else console.log('PyTorch peer: torch is not importable; no ratio printed');

const rounds = contenders.map((): number[] => []);
try {
  for (let r = 0; r < ROUNDS; r++)
    for (let k = 0; k < contenders.length; k++) {
      const i = (r + k) % contenders.length;
      rounds[i]!.push(await contenders[i]!.run());
    }
} finally {
  enc.bert.precision = 'fp32';
  enc.bert.releaseInference();
  rmSync(q8Dir, { recursive: true });
  rmSync(idsDir, { recursive: true });
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const tps = rounds.map(median);
const fp32 = tps[0]!;
console.log(
  `${ROUNDS} interleaved rounds, median (range) real tokens/s; peers: ${[...versions].join(', ')} ` +
    '(transformers.js on onnxruntime-node; fp32: an ONNX of the same weights, q8: the int8 ONNX of `ftlab export`)',
);
for (const [i, c] of contenders.entries()) {
  const range = `${Math.min(...rounds[i]!).toFixed(0)}-${Math.max(...rounds[i]!).toFixed(0)}`;
  const vs = c.ftlab
    ? ` -> ${(tps[i]! / fp32).toFixed(2)}x ftlab fp32`
    : ` -> ${contenders
        .map((f, j) => (f.ftlab ? `${f.name} ${(tps[j]! / tps[i]!).toFixed(2)}x` : ''))
        .filter((x) => x)
        .join(', ')}`;
  console.log(`${c.name.padEnd(21)} ${tps[i]!.toFixed(0).padStart(6)} (${range})${vs}`);
}
