// Where a layer's inference forward spends its time, per precision: each part of layer 0 run
// alone on one real batch (32 length-sorted pool passages, packed as encode runs them), as CPU
// time on one thread (best of 5 rounds): robust on a shared machine, and the parts add up.
//   node --import tsx bench/encode-parts.ts        (BENCH_THREADS=2 for two threads)
import { readFileSync } from 'node:fs';
import {
  embedding,
  int64,
  layerNorm,
  noGrad,
  packedAttention,
  PRECISIONS,
  setThreads,
  tidy,
  type Tensor,
} from '../src/engine/index.ts';
import { InferenceLinears } from '../src/model/inference-linears.ts';
import { SentenceEncoder } from '../src/model/sentence-encoder.ts';
import { sharedFile } from './shared-data.ts';

const path = sharedFile('trec-dl/collection.pool.tsv');
if (!path) {
  console.log('bench/encode-parts skipped: ../shared/data/msmarco/trec-dl/collection.pool.tsv is absent');
  process.exit(0);
}
setThreads(Number(process.env.BENCH_THREADS ?? 1));
const texts = readFileSync(path, 'utf8')
  .split('\n')
  .slice(0, 400)
  .map((l) => l.slice(l.indexOf('\t') + 1));
const enc = SentenceEncoder.load('default');
const lists = enc
  .tokenize(texts, 'passage')
  .sort((a, b) => b.length - a.length)
  .slice(200, 232);
const lengths = lists.map((l) => l.length);
const bert = enc.bert;
const H = bert.config.numHeads;
const cpuMs = (fn: () => unknown): number => {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 5; i++) tidy(() => void fn()); // nothing escapes: outputs freed, pages reused
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / 1000 / 5);
  }
  return best;
};
noGrad(() => {
  const ids = int64(lists.flat());
  const ln = (t: Tensor) =>
    layerNorm(t, bert.p('embeddings.LayerNorm.weight'), bert.p('embeddings.LayerNorm.bias'), 1e-12);
  const x = ln(embedding(bert.p('embeddings.word_embeddings.weight'), ids)); // [N, C]: token embeddings, normalised
  const [N, C] = x.shape as [number, number];
  console.log(
    `${lists.length} passages, ${N} tokens (packed), layer 0, CPU ms on ${process.env.BENCH_THREADS ?? 1} thread(s)`,
  );
  for (const precision of PRECISIONS) {
    const lin = InferenceLinears.build(precision, 1, (n) => bert.p(n));
    const m = (s: string) => lin.get(`encoder.layer.0.${s}`);
    const lowp = precision === 'bf16';
    const qkv = m('attention.self.qkv').apply(x, 'none', lowp); // [N, 3C]
    const part = (i: number) => qkv.slice(1, i * C, (i + 1) * C);
    const ctx = packedAttention(part(0), part(1), part(2), lengths, H, 0.125);
    const h = m('intermediate.dense').apply(x, 'gelu', lowp); // [N, F]
    const parts: [string, () => unknown][] = [
      ['qkv', () => m('attention.self.qkv').apply(x, 'none', lowp)],
      ['attention', () => packedAttention(part(0), part(1), part(2), lengths, H, 0.125)],
      ['out dense', () => m('attention.output.dense').apply(ctx)],
      ['add+LN', () => ln(x.add(x))],
      ['ffn1', () => m('intermediate.dense').apply(x, 'none', lowp)],
      ['ffn1+gelu', () => m('intermediate.dense').apply(x, 'gelu', lowp)],
      ['ffn2', () => m('output.dense').apply(h)],
      ['add+LN', () => ln(x.add(x))],
      ['cast [N,F] to bf16 and back', () => h.cast('bfloat16').cast('float32')],
    ];
    bert.precision = precision;
    const row = parts.map(([name, fn]) => `${name} ${cpuMs(fn).toFixed(2)}`);
    const layer = cpuMs(() =>
      bert.forwardPacked({ ids, positions: int64(lists.flatMap((l) => l.map((_, t) => t))), lengths }),
    );
    console.log(
      `${precision}: ${row.join(' | ')} | whole forward (${bert.config.numLayers} layers) ${layer.toFixed(1)}`,
    );
    lin.dispose();
  }
  bert.releaseInference();
});
