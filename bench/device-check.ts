// The GPU check in one step (scripts/device-check.sh runs it; also on CPU with small sizes in the
// tests): reference vector, CPU-vs-device training agreement, encode throughput, exact-search
// timing on synthetic vectors. Prints ONE JSON line; exits 1 when a check fails.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import {
  engineReport,
  manualSeed,
  noGrad,
  randn,
  resolveDevice,
  setThreads,
  synchronize,
  tidy,
} from '../src/engine/index.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { tripletLoss } from '../src/train/losses/triplet-loss.ts';
import { AdamW } from '../src/train/adamw.ts';
import { exactSearch } from '../src/retrieval/exact-search.ts';
import { sharedFile } from './shared-data.ts';
import { sentence } from './generated-file.ts';

const { values: a } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: '8' },
    passages: { type: 'string', default: '30000' }, // the 30k pool when present, else synthetic
    queries: { type: 'string', default: '10000' },
    docs: { type: 'string', default: '1000000,8841823' },
    k: { type: 'string', default: '200' },
    chunk: { type: 'string', default: '1048576' },
  },
});
const device = resolveDevice(a.device);
const threads = setThreads();
// all-MiniLM-L6-v2's whole vector for "This is an example sentence", from PyTorch
// (scripts/fixtures/sentence_encoder_reference.py)
const fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/sentence-encoder-reference.json', import.meta.url), 'utf8'),
) as { texts: string[]; vectors: number[][] };
const REF_TEXT = fixture.texts[0]!;
const REF = fixture.vectors[0]!;
const result: Record<string, unknown> = {
  device,
  engine: (({ torch, blas, threads: t, cudaDevices }) => ({ torch, blas, threads: t, cudaDevices }))(engineReport()),
};
const failures: string[] = [];
const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const r = fn();
  synchronize();
  return [r, (performance.now() - t0) / 1000];
};

// 1. the reference vector on the device
const enc = SentenceEncoder.load('default', { device });
const v = enc.encode([REF_TEXT], 'passage');
const refErr = v.length === REF.length ? Math.max(...REF.map((r, i) => Math.abs(v[i]! - r))) : Infinity;
result.reference = {
  text: REF_TEXT,
  dims: v.length,
  first: [...v.slice(0, 3)].map((x) => Number(x.toFixed(5))),
  maxError: refErr,
};
if (!(refErr <= 2e-4)) failures.push(`reference vector off by ${refErr}`);

// 2. training steps on CPU and on the device from the same weights and batches: losses agree.
// Dropout is off (eval mode, gradients on): its masks come from per-device generators.
function rnd(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}
function trainLosses(dev: string, steps: number): number[] {
  manualSeed(7);
  const e = SentenceEncoder.load('default', { device: dev });
  for (const p of e.bert.params.values()) p.setRequiresGrad(true);
  const opt = new AdamW(e.bert.params);
  const r = rnd(11);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const texts = (n: number): string[] => Array.from({ length: Number(a.batch) }, () => sentence(r, n));
    const [q, p, n] = [texts(6), texts(30), texts(30)];
    losses.push(
      tidy(() => {
        const [eq, ep, en] = [q, p, n].map((t, i) => e.embedLists(e.tokenize(t, i === 0 ? 'query' : 'passage')));
        const loss = tripletLoss(eq!, ep!, en!, { distance: 'cosine', margin: 0.2 });
        loss.backward();
        return loss.item();
      }),
    );
    opt.update(2e-5);
    opt.zeroGrad();
  }
  opt.dispose();
  e.dispose();
  return losses;
}
const steps = Number(a.steps);
const [devLosses, trainSecs] = time(() => trainLosses(device, steps));
const cpuLosses = device === 'cpu' ? devLosses : trainLosses('cpu', steps);
const lossDiff = Math.max(...devLosses.map((l, i) => Math.abs(l - cpuLosses[i]!)));
result.train = {
  steps,
  batch: Number(a.batch),
  lossFirst: devLosses[0],
  lossLast: devLosses.at(-1),
  maxDiffVsCpu: lossDiff,
  secs: Number(trainSecs.toFixed(2)),
};
if (!(lossDiff <= 1e-3)) failures.push(`training losses differ from CPU by ${lossDiff}`);

// 3. encode throughput: the 30k pool (or N generated passages)
const N = Number(a.passages);
const pool = sharedFile('trec-dl/collection.pool.tsv');
const r = rnd(3);
const texts = pool
  ? readFileSync(pool, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(0, N)
      .map((l) => l.slice(l.indexOf('\t') + 1))
  : Array.from({ length: N }, () => sentence(r, 40 + Math.floor(r() * 40)));
const lists = enc.tokenize(texts, 'passage');
const realTokens = lists.reduce((s, l) => s + l.length, 0);
enc.encodeTokenized(lists.slice(0, 64));
const [, encSecs] = time(() =>
  enc.encodeTokenized(lists, { batchSize: device === 'cpu' ? 64 : 256, maxTokens: device === 'cpu' ? 4096 : 65536 }),
);
result.encode = {
  passages: texts.length,
  source: pool ? 'trec-dl pool' : 'generated',
  secs: Number(encSecs.toFixed(2)),
  passagesPerSec: Math.round(texts.length / encSecs),
  tokensPerSec: Math.round(realTokens / encSecs),
};
enc.dispose();

// 4. exact top-k search of Q queries against synthetic unit vectors (timing protocol: vectors
// already in memory, one warm-up on a slice, then the full search).
const DIM = 384;
const Q = Number(a.queries);
const K = Number(a.k);
const CHUNK = Number(a.chunk);
manualSeed(1);
const unit = (n: number): Float32Array => noGrad(() => tidy(() => randn([n, DIM]).normalize().f32()));
const queries = unit(Q);
const search: Record<string, unknown>[] = [];
for (const D of a.docs.split(',').map(Number)) {
  // chunk arrays, not one: 8.8M x 384 floats is over a typed array's 4 GiB limit
  const docs: Float32Array[] = [];
  for (let s = 0; s < D; s += CHUNK) docs.push(unit(Math.min(CHUNK, D - s)));
  await exactSearch(queries.subarray(0, Math.min(Q, 64) * DIM), DIM, [docs[0]!], K, { device });
  const t0 = performance.now();
  const top = await exactSearch(queries, DIM, docs, K, { device });
  synchronize();
  const secs = (performance.now() - t0) / 1000;
  // spot check: query 0's top-1 by brute force
  let best = -Infinity;
  let arg = -1;
  docs.forEach((c, ci) => {
    for (let d = 0; d < c.length / DIM; d++) {
      let s = 0;
      for (let j = 0; j < DIM; j++) s += queries[j]! * c[d * DIM + j]!;
      if (s > best) {
        best = s;
        arg = ci * CHUNK + d;
      }
    }
  });
  if (top.indices[0] !== arg)
    failures.push(`search at ${D}: top-1 of query 0 is ${top.indices[0]}, brute force says ${arg}`);
  search.push({ docs: D, queries: Q, k: K, secs: Number(secs.toFixed(2)), queriesPerSec: Math.round(Q / secs) });
}
result.search = search;
result.threads = threads;
result.ok = failures.length === 0;
result.failures = failures;
console.log(JSON.stringify(result));
process.exit(failures.length === 0 ? 0 : 1);
