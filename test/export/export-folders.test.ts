// Export on tiny models: LoRA merged on the way equals exporting the merged folder byte for
// byte, PEFT adapters, sentence-transformers folders read back (normalisation, max length,
// similarity, unsupported pooling refused), and bad input: one-line errors, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { readSentenceTransformersInfo } from '../../src/model/st-folder.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { exportModel } from '../../src/export/export-model.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples } from '../helpers/triples.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';

const model = writeTinyModel(tmpDir());
const texts = [
  'river water',
  'a passage about piano music and tax',
  'short',
  'the bank gave a loan to the city school',
];
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

const loraConfig: TrainConfig = {
  model,
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

test('LoRA folder: export (merged on the way) equals export of `ftlab merge` output, byte for byte; PEFT export keeps the adapters', async () => {
  const lora = tmpDir();
  await train(SentenceEncoder.load(model), synthTriples(16), [], loraConfig, { output: lora, resume: false });
  const merged = join(tmpDir(), 'merged');
  const m = ftlab(['merge', '--model', lora, '--output', merged]);
  assert.equal(m.code, 0, m.stderr);
  const a = join(tmpDir(), 'a');
  const b = join(tmpDir(), 'b');
  exportModel({ model: lora, format: 'st', output: a });
  exportModel({ model: merged, format: 'st', output: b });
  const bytesA = readFileSync(join(a, 'model.safetensors'));
  assert.ok(bytesA.equals(readFileSync(join(b, 'model.safetensors'))));
  // and the merge really changed the weights (the adapters were not zero)
  assert.ok(
    !bytesA.equals(
      readFileSync(
        join(exportModel({ model, format: 'st', output: join(tmpDir(), 'base') }).output, 'model.safetensors'),
      ),
    ),
  );
  const adapted = SentenceEncoder.load(lora).encode(texts, 'passage');
  const back = SentenceEncoder.load(a).encode(texts, 'passage');
  for (let i = 0; i < adapted.length; i++) assert.ok(Math.abs(adapted[i]! - back[i]!) < 1e-5);

  const p = join(tmpDir(), 'peft');
  const r = exportModel({ model: lora, format: 'peft', output: p });
  assert.deepEqual(r.files, ['README.md', 'adapter_config.json', 'adapter_model.safetensors']);
  const cfg = json(join(p, 'adapter_config.json'));
  assert.deepEqual(
    [cfg.peft_type, cfg.task_type, cfg.r, cfg.lora_alpha, cfg.target_modules, cfg.base_model_name_or_path],
    ['LORA', 'FEATURE_EXTRACTION', 4, 8, ['query', 'value'], model],
  );
  const ours = SafetensorsFile.open(join(lora, 'adapter_model.safetensors'));
  const theirs = SafetensorsFile.open(join(p, 'adapter_model.safetensors'));
  assert.deepEqual([...theirs.tensors.keys()].sort(), [...ours.tensors.keys()].sort());
  assert.ok(theirs.tensors.has('base_model.model.encoder.layer.0.attention.self.query.lora_A.weight'));
  for (const k of ours.tensors.keys()) assert.deepEqual(theirs.read(k).f32(), ours.read(k).f32(), k);
  ours.close();
  theirs.close();
  assert.match(readFileSync(join(p, 'README.md'), 'utf8'), /PeftModel\.from_pretrained/);
});

test('a model without normalisation, dot similarity, max length 64: the ST folder says so and loads back the same', () => {
  const dir = writeTinyModel(tmpDir());
  writeFileSync(
    join(dir, 'ftlab.json'),
    JSON.stringify({ pooling: 'mean', normalize: false, maxLength: 64, similarity: 'dot' }),
  );
  const out = join(tmpDir(), 'st');
  const r = exportModel({ model: dir, format: 'st', output: out });
  assert.ok(!r.files.includes('2_Normalize/'));
  assert.equal((json(join(out, 'modules.json')) as unknown as unknown[]).length, 2);
  assert.equal(json(join(out, 'config_sentence_transformers.json')).similarity_fn_name, 'dot');
  assert.equal(json(join(out, 'sentence_bert_config.json')).max_seq_length, 64);
  const info = readSentenceTransformersInfo(out);
  assert.deepEqual(info, {
    pooling: 'mean',
    normalize: false,
    maxLength: 64,
    similarity: 'dot',
    prompts: { query: '', passage: '' },
  });
  const long = ['word '.repeat(200)];
  assert.deepEqual(
    SentenceEncoder.load(out).encode([...texts, ...long], 'passage'),
    SentenceEncoder.load(dir).encode([...texts, ...long], 'passage'),
  );
});

test('sentence-transformers folders ftlab cannot run are refused with the file named', () => {
  const out = join(tmpDir(), 'st');
  exportModel({ model, format: 'st', output: out });
  const pool = join(out, '1_Pooling', 'config.json');
  writeFileSync(
    pool,
    JSON.stringify({ word_embedding_dimension: 16, pooling_mode_cls_token: true, pooling_mode_mean_tokens: true }),
  );
  assert.throws(
    () => SentenceEncoder.load(out),
    (e: Error) => e.message.includes(pool) && /pooling cls\+mean is not supported/.test(e.message),
  );
  writeFileSync(pool, JSON.stringify({ embedding_dimension: 16, pooling_mode: 'weightedmean' }));
  assert.throws(() => SentenceEncoder.load(out), /config\.json: pooling weightedmean is not supported/);
  writeFileSync(pool, JSON.stringify({ embedding_dimension: 16, pooling_mode: 'mean', include_prompt: false }));
  assert.throws(() => SentenceEncoder.load(out), /include_prompt false .* is not supported/);
  writeFileSync(pool, JSON.stringify({ word_embedding_dimension: 16, pooling_mode_mean_tokens: true }));
  writeFileSync(
    join(out, 'modules.json'),
    JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
    ]),
  );
  assert.throws(
    () => SentenceEncoder.load(out),
    /modules\.json: module type sentence_transformers\.models\.Dense is not supported/,
  );
});

test('bad input: one-line errors, nothing half-written', () => {
  const root = tmpDir();
  const full = join(root, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'keep.txt'), 'mine');
  assertOneLineError(
    ftlab(['export', '--model', model, '--format', 'st', '--output', full]),
    /--output .*full is not empty \(give --force/,
  );
  assert.deepEqual(readdirSync(full), ['keep.txt']);
  assertOneLineError(
    ftlab(['export', '--model', model, '--format', 'tflite', '--output', join(root, 'x')]),
    /--format tflite: unknown format/,
  );
  const broken = tmpDir();
  writeFileSync(
    join(broken, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
    }),
  );
  writeFileSync(join(broken, 'model.safetensors'), 'not safetensors');
  writeFileSync(join(broken, 'tokenizer.json'), readFileSync(join(model, 'tokenizer.json')));
  assertOneLineError(
    ftlab(['export', '--model', broken, '--format', 'onnx', '--output', join(root, 'y')]),
    /model\.safetensors: not a valid safetensors file/,
  );
  assertOneLineError(
    ftlab(['export', '--model', model, '--format', 'peft', '--output', join(root, 'z')]),
    /--format peft needs a LoRA folder/,
  );
  assert.deepEqual(readdirSync(root).sort(), ['full']); // no x, y, z, no temp folders
  // --force replaces the folder whole
  const ok = ftlab(['export', '--model', model, '--format', 'st', '--output', full, '--force']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(!existsSync(join(full, 'keep.txt')) && existsSync(join(full, 'modules.json')));
  assert.deepEqual(readdirSync(dirname(full)), ['full']);
  rmSync(root, { recursive: true, force: true });
});

test('model card: training record and, for a study model, its DL19 metrics from results.json', () => {
  const study = tmpDir();
  const dir = join(study, 'models', 'full-hard');
  writeTinyModel(dir);
  writeFileSync(
    join(dir, 'ftlab.json'),
    JSON.stringify({
      pooling: 'mean',
      normalize: true,
      maxLength: 256,
      training: { model: 'default', loss: 'triplet', distance: 'cosine', margin: 0.5, lr: 2e-5, batchSize: 16 },
    }),
  );
  writeFileSync(
    join(study, 'results.json'),
    JSON.stringify({
      comparisons: {
        rerank: {
          queries: 43,
          metrics: ['nDCG@10'],
          runs: [
            { run: 'base', metrics: { 'nDCG@10': { mean: 0.6841 } } },
            { run: 'full-hard', metrics: { 'nDCG@10': { mean: 0.7012, delta: 0.0171 } } },
          ],
        },
      },
    }),
  );
  const out = join(tmpDir(), 'card');
  exportModel({ model: dir, format: 'st', output: out });
  const card = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(card, /^---\nlibrary_name: sentence-transformers\n/);
  assert.match(card, /base_model: sentence-transformers\/all-MiniLM-L6-v2/);
  assert.match(card, /Loss: \*\*triplet\*\* \(cosine distance, margin 0\.5\)/);
  assert.match(card, /\| lr \| 0\.00002 \|/);
  assert.match(card, /\| rerank \| nDCG@10 \| 0\.7012 \| 0\.0171 \|/);
  assert.doesNotMatch(card, /\| 0\.6841 \|/); // only this model's row
});
