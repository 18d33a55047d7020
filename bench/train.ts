// npm run bench:train — training throughput on the shared real triples: real tokens/s
// through the three encoder passes for full fine-tuning and LoRA at batch 16 and 32, the
// fraction of the matmul bound (forward + backward ~ 3 x 21.2 MFLOP per token), peak RSS.
import { setThreads, manualSeed, tidy } from '../src/engine/index.ts';
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
const STEPS = Number(process.env.BENCH_STEPS ?? 4);
const { triples } = await loadTextTriples(path);
const gflops = matmulGflops();
const bound = (gflops * 1e9) / (3 * 2 * linearMacsPerToken());
console.log(`${threads} threads; matmul ${gflops.toFixed(1)} GFLOP/s -> training bound ${bound.toFixed(0)} tokens/s (3 x 21.2 MFLOP/token)`);
let peak = 0;
for (const mode of ['full', 'lora'] as const) {
  for (const B of [16, 32]) {
    manualSeed(1);
    const enc = SentenceEncoder.load('default');
    const lora = mode === 'lora' ? Lora.create(enc.bert, PAPER_LORA) : null;
    const params = lora ? lora.parameters() : enc.bert.params;
    if (!lora) for (const p of params.values()) p.setRequiresGrad(true);
    const opt = new AdamW(params);
    enc.bert.training = true;
    let tokens = 0;
    let secs = 0;
    for (let s = 0; s <= STEPS; s++) {
      const batch = Array.from({ length: B }, (_, i) => triples[(s * B + i) % triples.length]!);
      const t0 = performance.now();
      const n = tidy(() => {
        const [q, p, ng] = [batch.map((t) => t.query), batch.map((t) => t.positive), batch.map((t) => t.negative)].map((x) => enc.tokenize(x));
        const e = [q!, p!, ng!].map((l) => (process.env.BENCH_NO_CHUNK ? enc.embedBatch(enc.pad(l)) : enc.embedLists(l)));
        tripletLoss(e[0]!, e[1]!, e[2]!, { distance: 'cosine', margin: 0.2 }).backward();
        return [q!, p!, ng!].reduce((a, l) => a + l.reduce((x, y) => x + y.length, 0), 0);
      });
      clipGradNorm(params.values(), 1);
      opt.update(2e-5);
      opt.zeroGrad();
      if (s > 0) { // step 0 warms up
        secs += (performance.now() - t0) / 1000;
        tokens += n;
      }
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const tps = tokens / secs;
    console.log(`${mode.padEnd(4)} batch ${B}: ${tps.toFixed(0)} real tokens/s, ${(100 * tps / bound).toFixed(1)}% of the bound, `
      + `${(tps / 605).toFixed(2)}x PyTorch 1.13 eager (605 tokens/s at batch 16); peak RSS so far ${(peak / 2 ** 30).toFixed(2)} GiB`);
    opt.dispose();
    enc.dispose();
  }
}
