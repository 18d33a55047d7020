// npm run bench:memory — oneDNN's primitive cache against memory and speed: packed training
// (full fine-tuning, batch 16, the shared real triples; BENCH_STEPS steps, default 60) then
// encoding the triples' passages (3 passes), each in its own process with the cache at 1024
// (oneDNN's default, which ftlab keeps), 64 and 16 (BENCH_CAPACITIES to change), in the same
// run, in both orders. Prints the CPU line and, per capacity, s/step, encode tokens/s and RSS.
// Packed batches give nearly every batch its own shape, so the cache fills with primitives
// used once: a smaller one saves memory and costs re-compiling the shapes that recur.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setThreads, manualSeed, matmulPaths, pathLine, tidy } from '../src/engine/index.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { loadTextTriples } from '../src/data/triples.ts';
import { tripletLoss } from '../src/train/losses/triplet-loss.ts';
import { AdamW, clipGradNorm } from '../src/train/adamw.ts';
import { sharedFile } from './shared-data.ts';

interface Measured {
  capacity: string;
  secondsPerStep: number;
  trainRssMiB: number;
  encodeTokensPerSec: number;
  peakRssMiB: number;
}

const path = sharedFile('train-sample/triples.train.small.head100.tsv');
const STEPS = Number(process.env.BENCH_STEPS ?? 60);

async function child(): Promise<Measured> {
  setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
  matmulPaths(true);
  const { triples } = await loadTextTriples(path!);
  manualSeed(1);
  const enc = SentenceEncoder.load('default');
  const params = enc.bert.params;
  for (const p of params.values()) p.setRequiresGrad(true);
  const opt = new AdamW(params);
  enc.bert.training = true;
  const B = 16;
  let secs = 0;
  for (let s = 0; s <= STEPS; s++) {
    const batch = Array.from({ length: B }, (_, i) => triples[(s * B + i) % triples.length]!);
    const t0 = performance.now();
    tidy(() => {
      const lists = [batch.map((t) => t.query), batch.map((t) => t.positive), batch.map((t) => t.negative)].map(
        (x, i) => enc.tokenize(x, i === 0 ? 'query' : 'passage'),
      );
      const e = lists.map((l) => enc.embedLists(l, { packed: true }));
      tripletLoss(e[0]!, e[1]!, e[2]!, { distance: 'cosine', margin: 0.2 }).backward();
    });
    clipGradNorm(params.values(), 1);
    opt.update(2e-5);
    opt.zeroGrad();
    if (s > 0) secs += (performance.now() - t0) / 1000; // step 0 warms up
  }
  const trainRssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  enc.bert.training = false;
  const texts = triples.flatMap((t) => [t.positive, t.negative]);
  const tokens = enc.tokenize(texts, 'passage').reduce((a, l) => a + l.length, 0);
  const t1 = performance.now();
  for (let r = 0; r < 3; r++) enc.encode(texts, 'passage');
  return {
    capacity: process.env.ONEDNN_PRIMITIVE_CACHE_CAPACITY ?? '?',
    secondsPerStep: secs / STEPS,
    trainRssMiB,
    encodeTokensPerSec: (3 * tokens) / ((performance.now() - t1) / 1000),
    peakRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

function run(capacity: string): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_CHILD: '1', ONEDNN_PRIMITIVE_CACHE_CAPACITY: capacity },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`capacity ${capacity}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measured;
}

if (!path) {
  console.log('bench:memory skipped: ../shared/data/msmarco/train-sample is absent');
} else if (process.env.BENCH_CHILD) {
  console.log(JSON.stringify(await child()));
} else {
  console.log(pathLine(matmulPaths(true)));
  const capacities = (process.env.BENCH_CAPACITIES ?? '1024,64,16').split(',');
  const all = [...capacities, ...[...capacities].reverse()].map(run); // each twice, in both orders
  for (const c of capacities) {
    const m = all.filter((x) => x.capacity === c);
    const mean = (f: (x: Measured) => number): number => m.reduce((s, x) => s + f(x), 0) / m.length;
    console.log(
      `primitive cache ${c}: training ${mean((x) => x.secondsPerStep).toFixed(2)} s/step (${STEPS} steps, batch 16, packed), ` +
        `RSS after training ${Math.round(mean((x) => x.trainRssMiB))} MiB; encode ${Math.round(mean((x) => x.encodeTokensPerSec))} ` +
        `tokens/s; peak RSS ${Math.round(mean((x) => x.peakRssMiB))} MiB (mean of ${m.length} runs)`,
    );
  }
}
