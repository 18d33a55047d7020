import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { Lora, PAPER_LORA, countParameters, parseLoraSpec } from '../../src/model/lora.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';

const model = writeTinyModel(tmpDir());
const texts = ['river water', 'a passage about piano music and tax', 'short'];

function cosine(a: Float32Array, b: Float32Array, i: number, C: number): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let c = 0; c < C; c++) {
    const x = a[i * C + c]!,
      y = b[i * C + c]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

const baseConfig = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  model,
  loss: 'triplet',
  distance: 'cosine',
  margin: 0.5,
  mnrlScale: 20,
  normalize: true,
  batchSize: 4,
  gradAccumulation: 1,
  lr: 1e-3,
  warmup: 2,
  epochs: 1,
  maxSteps: 6,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: null,
  seed: 7,
  evalEvery: 0,
  saveEvery: 1,
  keepCheckpoints: 2,
  ...over,
});

test("LoRA with B = 0 gives the base model's vectors exactly", () => {
  const enc = SentenceEncoder.load(model);
  const before = enc.encode(texts, 'passage');
  Lora.create(enc.bert, PAPER_LORA);
  assert.deepEqual(Array.from(enc.encode(texts, 'passage')), Array.from(before));
});

test("paper LoRA on all-MiniLM-L6-v2: 147,456 trainable parameters (0.65%, not the paper's 3.9%)", () => {
  const enc = SentenceEncoder.load('default');
  const lora = Lora.create(enc.bert, PAPER_LORA);
  const trainable = countParameters(lora.parameters().values());
  const base = countParameters(enc.bert.params.values());
  assert.equal(trainable, 6 * 2 * 16 * (384 + 384));
  assert.equal(base, 22_565_376);
  assert.ok(Math.abs((100 * trainable) / (base + trainable) - 0.649) < 0.01);
  assert.throws(
    () => Lora.create(enc.bert, { ...PAPER_LORA, targets: ['qeury'] }),
    /target 'qeury' matches no linear module/,
  );
  assert.deepEqual(parseLoraSpec('r=8,alpha=16,dropout=0,targets=query,key,value'), {
    r: 8,
    alpha: 16,
    dropout: 0,
    targets: ['query', 'key', 'value'],
  });
  enc.dispose();
});

test("LoRA training: PEFT-layout adapters, reload, and merged vectors equal the adapter model's", async () => {
  const out = tmpDir();
  const enc = SentenceEncoder.load(model);
  const base = enc.encode(texts, 'passage');
  await train(
    enc,
    synthTriples(24),
    synthTriples(4),
    baseConfig({ lora: { r: 4, alpha: 8, dropout: 0.1, targets: ['query', 'value'] }, lr: 1e-2 }),
    { output: out, resume: false },
  );
  const f = SafetensorsFile.open(join(out, 'adapter_model.safetensors'));
  assert.ok(f.tensors.has('base_model.model.encoder.layer.1.attention.self.value.lora_B.weight'));
  assert.equal(f.tensors.size, 2 * 2 * 2);
  f.close();
  const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg.peft_type, 'LORA');
  assert.equal(cfg.lora_alpha, 8);
  const adapted = SentenceEncoder.load(out);
  const va = adapted.encode(texts, 'passage');
  assert.ok(
    Array.from(va).some((x, i) => Math.abs(x - base[i]!) > 1e-4),
    'training moved the vectors',
  );
  const merged = join(tmpDir(), 'merged');
  const r = ftlab(['merge', '--model', out, '--output', merged, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(merged, 'adapter_config.json')), false);
  const vm = SentenceEncoder.load(merged).encode(texts, 'passage');
  for (let i = 0; i < texts.length; i++)
    assert.ok(cosine(va, vm, i, 16) >= 0.99999, `text ${i}: cos ${cosine(va, vm, i, 16)}`);
});

test('resume: 6 steps straight equal 3 steps, stop, resume to 6 (losses to 1e-6)', async () => {
  const data = synthTriples(40);
  const straight = await train(SentenceEncoder.load(model), data, [], baseConfig(), {
    output: tmpDir(),
    resume: false,
  });
  const out = tmpDir();
  const first = await train(SentenceEncoder.load(model), data, [], baseConfig(), {
    output: out,
    resume: false,
    stopAfter: 3,
  });
  assert.equal(first.steps, 3);
  const second = await train(SentenceEncoder.load(model), data, [], baseConfig(), { output: out, resume: true });
  const resumed = [...first.stepLogs, ...second.stepLogs].map((s) => s.loss);
  const want = straight.stepLogs.map((s) => s.loss);
  assert.equal(resumed.length, 6);
  resumed.forEach((l, i) => assert.ok(Math.abs(l - want[i]!) < 1e-6, `step ${i + 1}: ${l} vs ${want[i]}`));
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number });
  assert.deepEqual(
    log.map((l) => l.step),
    [1, 2, 3, 4, 5, 6],
  );
});

test('ftlab train: bad inputs give one line and a non-zero exit; NaN stops with the last checkpoint named', () => {
  const dir = tmpDir();
  const good = join(dir, 'good.tsv');
  writeFileSync(good, triplesTsv(synthTriples(16)));
  const empty = join(dir, 'empty.tsv');
  writeFileSync(empty, '');
  const bad = join(dir, 'bad.tsv');
  writeFileSync(bad, 'q\tp\tn\nq\tp\n');
  const common = ['--model', model, '--threads', '1', '--batch-size', '4', '--max-steps', '2', '--quiet'];
  assertOneLineError(
    ftlab(['train', '--train', empty, '--output', join(dir, 'o1'), ...common]),
    /empty\.tsv: no triples/,
  );
  assertOneLineError(
    ftlab(['train', '--train', bad, '--output', join(dir, 'o2'), ...common]),
    /bad\.tsv:2: expected query<TAB>positive<TAB>negative/,
  );
  assertOneLineError(
    ftlab(['train', '--train', good, '--output', join(dir, 'o3'), '--preset', 'paper-final', ...common]),
    /unknown --preset 'paper-final'/,
  );
  assertOneLineError(
    ftlab(['train', '--train', good, '--output', join(dir, 'o4'), '--lora', 'r=4,targets=qv', ...common]),
    /target 'qv' matches no linear module/,
  );
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  writeFileSync(join(locked, 'blocker'), '');
  assertOneLineError(
    ftlab(['train', '--train', good, '--output', join(locked, 'blocker', 'out'), ...common]),
    /ENOTDIR|cannot write|not a directory/i,
  );
  chmodSync(locked, 0o755);
  const nan = ftlab([
    'train',
    '--train',
    good,
    '--output',
    join(dir, 'nan'),
    '--lr',
    '1e30',
    '--warmup-steps',
    '0',
    '--save-every',
    '1',
    '--max-grad-norm',
    '1e30',
    '--eval-fraction',
    '0',
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '4',
    '--max-steps',
    '5',
    '--quiet',
  ]);
  assertOneLineError(nan, /is (NaN|-?Infinity) at step \d+: training diverged and stopped, no model written/);
});

test('a short run on real triples lowers the training loss; the model loads in ftlab embed and differs from the base', {
  skip:
    !existsSync(join(process.cwd(), '..', 'shared', 'data', 'msmarco', 'train-sample')) &&
    'needs ../shared/data/msmarco',
}, async () => {
  const { loadTextTriples } = await import('../../src/data/triples.ts');
  const { tripletAccuracy } = await import('../../src/train/triplet-accuracy.ts');
  const { triples } = await loadTextTriples(
    join(process.cwd(), '..', 'shared', 'data', 'msmarco', 'train-sample', 'triples.train.small.head100.tsv'),
  );
  const data = triples.slice(0, 32);
  const cfg = { loss: 'triplet' as const, distance: 'cosine' as const, margin: 0.5, mnrlScale: 20 };
  const enc = SentenceEncoder.load('default', { maxLength: 128 });
  const before = tripletAccuracy(enc, data, cfg).evalLoss;
  const out = tmpDir();
  await train(
    enc,
    data,
    [],
    baseConfig({ model: 'default', batchSize: 8, maxSteps: 4, lr: 1e-4, warmup: 0, saveEvery: 0 }),
    { output: out, resume: false },
  );
  const after = tripletAccuracy(enc, data, cfg).evalLoss;
  assert.ok(after < before, `training loss ${before} -> ${after}`);
  const r = ftlab(['embed', '--model', out, '--text', 'This is an example sentence', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const v = (JSON.parse(r.stdout) as number[][])[0]!;
  assert.ok(Math.abs(v[0]! - 0.06766) > 1e-4, 'the fine-tuned vector differs from the base');
});
