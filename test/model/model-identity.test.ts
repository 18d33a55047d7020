// A model's identity (the embedding cache's key) covers LoRA adapters, their merge state and
// the settings vectors are produced with; a LoRA folder never reads its base model's cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, noGrad, randn } from '../../src/engine/index.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { Lora } from '../../src/model/lora.ts';
import { saveModelFolder } from '../../src/model/save-model.ts';
import { modelFingerprint } from '../../src/model/fingerprint.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlab } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'base'));

/** A LoRA folder over `model` with non-zero adapters drawn from `seed`. */
function writeLora(out: string, seed: number): string {
  const enc = SentenceEncoder.load(model);
  manualSeed(seed);
  const lora = Lora.create(enc.bert, { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] });
  noGrad(() => {
    for (const { B } of lora.adapters.values()) {
      const r = randn(B.shape);
      B.addInPlace(r.mul(0.5));
      r.dispose();
    }
  });
  saveModelFolder(out, enc, { lora, base: model });
  enc.dispose();
  return out;
}

const lora1 = writeLora(join(dir, 'lora1'), 1);
const lora2 = writeLora(join(dir, 'lora2'), 2);
const merged = join(dir, 'merged');
{
  const enc = SentenceEncoder.load(lora1);
  enc.lora!.merge(enc.bert);
  saveModelFolder(merged, enc, { training: { mergedFrom: lora1 } });
  enc.dispose();
}

test('base, two LoRA folders with different adapters and a merged folder: four different identities', () => {
  const keys = [model, lora1, lora2, merged].map((m) => {
    const enc = SentenceEncoder.load(m);
    const k = modelFingerprint(enc);
    enc.dispose();
    return k;
  });
  assert.equal(new Set(keys).size, 4, keys.join(' '));
  // the same folder loaded twice: the same identity
  const again = SentenceEncoder.load(lora1);
  assert.equal(modelFingerprint(again), keys[1]);
  // merging in memory changes the state, so the identity
  again.lora!.merge(again.bert);
  assert.notEqual(modelFingerprint(again), keys[1]);
  again.dispose();
  // settings that change vectors change the identity
  const short = SentenceEncoder.load(lora1, { maxLength: 32 });
  assert.notEqual(modelFingerprint(short), keys[1]);
  short.dispose();
});

test('a LoRA folder records its similarity; adapters built in memory have no identity', () => {
  assert.equal(
    (JSON.parse(readFileSync(join(lora1, 'ftlab.json'), 'utf8')) as { similarity: string }).similarity,
    'cosine',
  );
  const enc = SentenceEncoder.load(model);
  enc.lora = Lora.create(enc.bert, { r: 2, alpha: 2, dropout: 0, targets: ['query'] });
  assert.throws(() => modelFingerprint(enc), /LoRA adapters built in memory have no fingerprint/);
  enc.dispose();
});

test('ftlab search --model LORA_DIR: a cache warmed by the base model gives the same run as --no-cache', () => {
  const words = [
    'river',
    'bank',
    'money',
    'loan',
    'fish',
    'water',
    'city',
    'tax',
    'school',
    'music',
    'piano',
    'guitar',
  ];
  const collection = join(dir, 'collection.tsv');
  writeFileSync(
    collection,
    `${Array.from(
      { length: 60 },
      (_, i) => `${1000 + i}\t${words[i % 12]} ${words[(i * 7) % 12]} passage ${i} about ${words[(i * 5) % 12]}`,
    ).join('\n')}\n`,
  );
  const queries = join(dir, 'queries.tsv');
  writeFileSync(queries, '1\triver water\n2\tpiano music\n3\ttax money loan\n');
  const cache = join(dir, 'cache');
  const search = (m: string, out: string, extra: string[]): string => {
    const r = ftlab([
      'search',
      '--model',
      m,
      '--collection',
      collection,
      '--queries',
      queries,
      '--k',
      '20',
      '--output',
      join(dir, out),
      '--quiet',
      '--threads',
      '1',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(join(dir, out), 'utf8');
  };
  const baseRun = search(model, 'base.trec', ['--cache-dir', cache]); // warms the shared cache
  const warm = search(lora1, 'lora-warm.trec', ['--cache-dir', cache]);
  const cold = search(lora1, 'lora-cold.trec', ['--no-cache']);
  assert.notEqual(cold, baseRun, 'the adapters change the ranking (the test can tell the models apart)');
  assert.equal(warm, cold);
  assert.equal(readdirSync(join(cache, 'embeddings')).length, 2, 'one cache entry per model');
});

test('a model being trained has no identity: its weights no longer match its files', () => {
  const enc = SentenceEncoder.load(model);
  const k = modelFingerprint(enc);
  for (const p of enc.bert.params.values()) p.setRequiresGrad(true); // as the trainer does for full fine-tuning
  assert.throws(() => modelFingerprint(enc), /a model being trained has no fingerprint/);
  for (const p of enc.bert.params.values()) p.setRequiresGrad(false);
  assert.equal(modelFingerprint(enc), k);
  enc.dispose();
});
