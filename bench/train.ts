// npm run bench:train — training throughput on the shared real triples: real tokens/s
// through the three encoder passes for full fine-tuning and LoRA at batch 16 and 32, the
// fraction of the matmul bound (forward + backward ~ 3 x 21.2 MFLOP per token), peak RSS, and
// PyTorch eager on the same batches (full fine-tuning) measured in the same run when torch is
// importable (.cache/bench-venv or python3); otherwise no ratio is printed. Padded and packed
// (BENCH_PACKED=padded,packed), modes (BENCH_MODES=full,lora) and batches (BENCH_BATCHES) can be narrowed.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { hasPythonModule, runPeer, PEER_SETUP_HINT } from './peers/python.ts';
import { hasFusedAdamW, setThreads, manualSeed, matmulPaths, pathLine, tidy } from '../src/engine/index.ts';
import { native } from '../src/engine/native.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { loadTextTriples } from '../src/data/triples.ts';
import { tripletLoss } from '../src/train/losses/triplet-loss.ts';
import { AdamW, clipGradNorm } from '../src/train/adamw.ts';
import { Lora, PAPER_LORA } from '../src/model/lora.ts';
import { matmulGflops, linearMacsPerToken } from './matmul-bound.ts';
import { sharedFile } from './shared-data.ts';

const path = sharedFile('train-sample/triples.train.small.head100.tsv');
if (!path) {
  console.log('bench:train skipped: ../shared/data/msmarco/train-sample is absent');
  process.exit(0);
}
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
console.log(pathLine(matmulPaths(true))); // training runs fp32: its matmuls follow the probed matmul precision
const STEPS = Number(process.env.BENCH_STEPS ?? 4);
const { triples } = await loadTextTriples(path);
const gflops = matmulGflops();
const bound = (gflops * 1e9) / (3 * 2 * linearMacsPerToken());
console.log(
  `optimizer: AdamW, ${hasFusedAdamW() ? "libtorch's fused kernel" : 'single ops (this libtorch has no fused kernel)'}; ` +
    `${threads} threads; matmul ${gflops.toFixed(1)} GFLOP/s -> training bound ${bound.toFixed(0)} tokens/s (3 x 21.2 MFLOP/token)`,
);
let peak = 0;
const torchPeer = hasPythonModule('torch') && hasPythonModule('numpy');
if (!torchPeer)
  console.log(`PyTorch peer: torch is not importable (no ratio printed); to measure it: ${PEER_SETUP_HINT}`);
// Each setting runs padded (length-sorted chunks of 8, the trainer's path before packing) and packed
// (no padding: Bert.forwardPacked) on the same batches, then PyTorch eager once.
// BENCH_PACKED=padded,packed,single adds packed with AdamW in single ops (the step before the fused kernel);
// libtorch-attention: packed with libtorch's attention ops in the forward (before the hand-written kernel).
// Each variant trains on batches of its own (the triples from another offset): a batch shape seen
// before runs ~20% faster (allocator and oneDNN warm), and in training every step's shapes are new.
const variants = (process.env.BENCH_PACKED ?? 'padded,packed').split(',');
function measure(
  mode: 'full' | 'lora',
  B: number,
  packed: boolean,
  fused: boolean,
  offset: number,
): { tps: number; enc: SentenceEncoder } {
  manualSeed(1);
  const enc = SentenceEncoder.load('default');
  const lora = mode === 'lora' ? Lora.create(enc.bert, PAPER_LORA) : null;
  const params = lora ? lora.parameters() : enc.bert.params;
  if (!lora) for (const p of params.values()) p.setRequiresGrad(true);
  const opt = new AdamW(params, undefined, fused);
  enc.bert.training = true;
  let tokens = 0;
  let secs = 0;
  for (let s = 0; s <= STEPS; s++) {
    const batch = Array.from({ length: B }, (_, i) => triples[(offset + s * B + i) % triples.length]!);
    const t0 = performance.now();
    const n = tidy(() => {
      const [q, p, ng] = [batch.map((t) => t.query), batch.map((t) => t.positive), batch.map((t) => t.negative)].map(
        (x, i) => enc.tokenize(x, i === 0 ? 'query' : 'passage'),
      );
      const e = [q!, p!, ng!].map((l) =>
        process.env.BENCH_NO_CHUNK && !packed ? enc.embedBatch(enc.pad(l)) : enc.embedLists(l, { packed }),
      );
      tripletLoss(e[0]!, e[1]!, e[2]!, { distance: 'cosine', margin: 0.2 }).backward();
      return [q!, p!, ng!].reduce((a, l) => a + l.reduce((x, y) => x + y.length, 0), 0);
    });
    clipGradNorm(params.values(), 1);
    opt.update(2e-5);
    opt.zeroGrad();
    if (s > 0) {
      // step 0 warms up
      secs += (performance.now() - t0) / 1000;
      tokens += n;
    }
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  opt.dispose();
  return { tps: tokens / secs, enc };
}

function pytorchEager(enc: SentenceEncoder, B: number): { tokensPerSec: number; torch: string; optimizer: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ftlab-bench-'));
  const steps = Array.from({ length: STEPS + 1 }, (_, s) => {
    const batch = Array.from({ length: B }, (_, i) => triples[(s * B + i) % triples.length]!);
    return [batch.map((t) => t.query), batch.map((t) => t.positive), batch.map((t) => t.negative)].map((x, i) =>
      enc.tokenize(x, i === 0 ? 'query' : 'passage'),
    );
  });
  writeFileSync(join(dir, 'steps.json'), JSON.stringify(steps));
  const p = runPeer<{ tokensPerSec: number; torch: string; optimizer: string }>('minilm_torch.py', [
    'train',
    enc.files!.weights,
    join(dir, 'steps.json'),
    String(threads),
  ]);
  rmSync(dir, { recursive: true });
  return p;
}

for (const mode of (process.env.BENCH_MODES ?? 'full,lora').split(',') as ('full' | 'lora')[]) {
  for (const B of (process.env.BENCH_BATCHES ?? '16,32').split(',').map(Number)) {
    const rows: { name: string; tps: number }[] = [];
    let enc: SentenceEncoder | null = null;
    for (const [i, v] of variants.entries()) {
      // the first variant trains on the PyTorch peer's batches
      native.setFusedAttention(v !== 'libtorch-attention');
      const r = measure(mode, B, v !== 'padded', v !== 'single' && hasFusedAdamW(), i * (STEPS + 1) * B + i);
      native.setFusedAttention(true);
      rows.push({ name: v, tps: r.tps });
      enc?.dispose();
      enc = r.enc;
    }
    const peer = mode === 'full' && torchPeer && enc ? pytorchEager(enc, B) : null;
    for (const r of rows) {
      const vsPeer = peer
        ? `, ${(r.tps / peer.tokensPerSec).toFixed(2)}x PyTorch ${peer.torch} eager, ${peer.optimizer} AdamW (${peer.tokensPerSec.toFixed(0)} tokens/s on the same batches)`
        : '';
      const vsPadded =
        r.name === 'packed' && rows[0]!.name === 'padded' ? `, ${(r.tps / rows[0]!.tps).toFixed(2)}x padded` : '';
      console.log(
        `${mode.padEnd(4)} batch ${B} ${r.name.padEnd(6)}: ${r.tps.toFixed(0)} real tokens/s, ${((100 * r.tps) / bound).toFixed(1)}% of the bound${vsPadded}${vsPeer}; ` +
          `peak RSS so far ${(peak / 2 ** 30).toFixed(2)} GiB`,
      );
    }
    enc?.dispose();
  }
}
