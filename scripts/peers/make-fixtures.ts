// Makes the folders that scripts/peers/check_peers.py loads with the Python reference
// libraries (sentence-transformers, PEFT, onnxruntime), where a machine has them (the GPU
// machines do; these don't): a tiny base model, a LoRA fine-tune of it, and its exports as
// a sentence-transformers folder (+ ONNX) and as PEFT adapters, with ftlab's own vectors of
// a few texts. Usage: node --import tsx scripts/peers/make-fixtures.ts OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { exportModel } from '../../src/export/export-model.ts';
import { writeTinyModel } from '../../test/helpers/tiny-model.ts';
import { synthTriples } from '../../test/helpers/triples.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: make-fixtures.ts OUT_DIR');
mkdirSync(out, { recursive: true });
const base = writeTinyModel(join(out, 'base'));
const lora = join(out, 'lora');
const cfg: TrainConfig = {
  model: base,
  loss: 'triplet',
  distance: 'cosine',
  margin: 0.5,
  mnrlScale: 20,
  normalize: true,
  batchSize: 4,
  gradAccumulation: 1,
  lr: 1e-2,
  warmup: 0,
  epochs: 1,
  maxSteps: 3,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] },
  seed: 7,
  evalEvery: 0,
  saveEvery: 0,
  keepCheckpoints: 1,
};
await train(SentenceEncoder.load(base), synthTriples(16), [], cfg, { output: lora, resume: false });
exportModel({ model: lora, format: 'onnx', output: join(out, 'st') });
exportModel({ model: lora, format: 'peft', output: join(out, 'peft') });

const texts = [
  'This is an example sentence',
  'river water and the bank',
  'a passage about piano music and tax',
  'short',
];
const encoder = SentenceEncoder.load(lora);
const baseEncoder = SentenceEncoder.load(base);
const rows = (v: Float32Array, d: number): number[][] =>
  Array.from({ length: v.length / d }, (_, i) => [...v.subarray(i * d, (i + 1) * d)]);
writeFileSync(
  join(out, 'expected.json'),
  JSON.stringify({
    texts,
    lora: rows(encoder.encode(texts, 'passage'), encoder.dim),
    base: rows(baseEncoder.encode(texts, 'passage'), baseEncoder.dim),
  }),
);
console.log(`peers: fixtures in ${out}`);
