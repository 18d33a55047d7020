import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder, planBatches } from '../../src/model/sentence-encoder.ts';
import { resolveModelFiles } from '../../src/model/model-files.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { REPO, tmpDir, writeTinyModel, tinyConfig } from '../helpers/tiny-model.ts';

const enc = SentenceEncoder.load('default');

test('all-MiniLM-L6-v2 equals a whole-tensor PyTorch reference for several texts (every value within 2e-6)', () => {
  // made by scripts/fixtures/sentence_encoder_reference.py: transformers' BertModel on the same fp16
  // weights cast to float32, mean pooling over the mask, L2 norm; includes unicode and a text cut at 256 tokens
  const ref = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'sentence-encoder-reference.json'), 'utf8')) as {
    texts: string[];
    tokens: number[];
    vectors: number[][];
  };
  assert.deepEqual(
    ref.texts.map((t) => enc.tokenizer.encode(t).length),
    ref.tokens,
  );
  const v = enc.encode(ref.texts, 'passage', { batchSize: 4 }); // padded batches, unlike the reference's one text at a time
  let worst = { diff: 0, at: '' };
  ref.vectors.forEach((row, i) => {
    assert.equal(row.length, enc.dim);
    row.forEach((r, d) => {
      const diff = Math.abs(v[i * enc.dim + d]! - r);
      if (diff > worst.diff) worst = { diff, at: `text ${i} dim ${d}: ${v[i * enc.dim + d]} vs ${r}` };
    });
  });
  assert.ok(worst.diff <= 2e-6, `largest difference ${worst.diff.toExponential(2)} at ${worst.at}`);
});

test('all-MiniLM-L6-v2 matches the published vectors (fp16 weights: within 2e-4), norm 1', () => {
  const v = enc.encode(['This is an example sentence', 'Each sentence is converted'], 'passage');
  const ref = [0.06766, 0.0635, 0.04871, 0.0793, 0.03745];
  ref.forEach((r, i) => assert.ok(Math.abs(v[i]! - r) <= 2e-4, `dim ${i}: ${v[i]} vs ${r}`));
  assert.ok(Math.abs(v[384]! - 0.08642) <= 2e-4);
  for (const row of [0, 1]) {
    let n = 0;
    for (let i = 0; i < 384; i++) n += v[row * 384 + i]! ** 2;
    assert.ok(Math.abs(Math.sqrt(n) - 1) < 1e-5);
  }
});

test('a text alone and inside a padded batch gives the same vector (1e-5), in input order', () => {
  const texts = [
    'short',
    'a considerably longer text that forces padding of the shorter ones in the batch',
    'mid length text',
  ];
  const batch = enc.encode(texts, 'passage', { batchSize: 3 });
  texts.forEach((t, i) => {
    const alone = enc.encode([t], 'passage');
    for (let d = 0; d < 384; d++) assert.ok(Math.abs(alone[d]! - batch[i * 384 + d]!) < 1e-5, `text ${i} dim ${d}`);
  });
  const unsorted = enc.encode(texts, 'passage', { sort: false, batchSize: 2 });
  for (let i = 0; i < batch.length; i++) assert.ok(Math.abs(unsorted[i]! - batch[i]!) < 1e-5);
});

test('planBatches: sorted longest first, bounded by batch size and token budget, every item once', () => {
  const lengths = [5, 50, 7, 20, 50, 1];
  const b = planBatches(lengths, { batchSize: 2, maxTokens: 1000 });
  assert.deepEqual(b, [
    [1, 4],
    [3, 2],
    [0, 5],
  ]);
  const budget = planBatches(lengths, { batchSize: 10, maxTokens: 100 });
  for (const batch of budget) assert.ok(batch.length * Math.max(...batch.map((i) => lengths[i]!)) <= 100);
  assert.deepEqual(budget.flat().sort(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(planBatches(lengths, { batchSize: 4, sort: false }), [
    [0, 1, 2, 3],
    [4, 5],
  ]);
});

test('an fp32 HF folder with BertForX names (bert. prefix) loads and matches the fp16 package within 2e-4', () => {
  const dir = tmpDir();
  const files = resolveModelFiles('default');
  const w = loadSafetensors(files.weights, { as: 'float32' });
  const prefixed = new Map([...w].map(([k, t]) => [`bert.${k}`, t]));
  saveSafetensors(join(dir, 'model.safetensors'), prefixed);
  copyFileSync(files.config, join(dir, 'config.json'));
  copyFileSync(files.tokenizer, join(dir, 'tokenizer.json'));
  const other = SentenceEncoder.load(dir);
  const a = enc.encode(['fp32 folder check'], 'passage');
  const b = other.encode(['fp32 folder check'], 'passage');
  for (let i = 0; i < 384; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 2e-4);
  other.dispose();
});

test('wrong tensor shapes and missing files are clear errors', () => {
  const dir = writeTinyModel(tmpDir(), tinyConfig());
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 32,
    }),
  );
  assert.throws(
    () => SentenceEncoder.load(dir),
    /tensor 'embeddings.word_embeddings.weight' has shape \[30522,16\] but config.json implies \[30522,32\]/,
  );
  assert.throws(() => SentenceEncoder.load('/no/such/model'), /no such model folder/);
});

test('embedLists (length-sorted chunks, or packed) equals one padded batch, in input order', () => {
  const lists = enc.tokenize(
    [
      'a',
      'a much longer text with many more tokens than the others here',
      'mid size text',
      'b c',
      'another fairly long one for the chunking',
    ],
    'passage',
  );
  const whole = enc.embedBatch(enc.pad(lists)).f32();
  const chunked = enc.embedLists(lists, { chunk: 2 }).f32();
  for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i]! - chunked[i]!) < 1e-5);
  const packed = enc.embedLists(lists, { packed: true }).f32(); // no padding at all
  for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(whole[i]! - packed[i]!) < 1e-5);
});
