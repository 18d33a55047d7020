// Model folders whose files disagree with each other, or are empty where they must not be:
// each ends in one line naming the file(s), exit 1, and nothing at the output path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyConfig, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';

/** embed into a fresh .npy path; asserts exit 1, one line matching `re`, no output file. */
function refused(model: string, re: RegExp): void {
  const out = join(tmpDir(), 'v.npy');
  const r = ftlab(['embed', '--model', model, '--text', 'a piano', '--output', out]);
  assertOneLineError(r, re);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(existsSync(out), false, 'nothing written');
  assert.equal(existsSync(`${out}.ids.txt`), false, 'no ids file written');
}

/** A 6.x sentence-transformers folder around a tiny model (hidden size 16), root Transformer. */
function stFolder(poolingConfig: Record<string, unknown>): string {
  const dir = writeTinyModel(join(tmpDir(), 'st'));
  const types = [
    'sentence_transformers.base.modules.transformer.Transformer',
    'sentence_transformers.sentence_transformer.modules.pooling.Pooling',
  ];
  const paths = ['', '1_Pooling'];
  writeFileSync(join(dir, 'modules.json'), JSON.stringify(types.map((type, i) => ({ idx: i, path: paths[i], type }))));
  mkdirSync(join(dir, '1_Pooling'));
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify(poolingConfig));
  return dir;
}

test('a tokenizer.json with an empty vocabulary is refused naming the file', () => {
  const dir = writeTinyModel();
  const path = join(dir, 'tokenizer.json');
  const tok = JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: Record<string, number> } };
  tok.model.vocab = {}; // [CLS]/[SEP]/[PAD] survive as added tokens: every word would become [UNK]
  writeFileSync(path, JSON.stringify(tok));
  refused(dir, /tokenizer\.json: the vocabulary \(model\.vocab\) is empty or missing$/);
});

test("token ids beyond config.json's vocab_size are refused naming both files", () => {
  // the default tokenizer's ids reach 30521; a model of 1000 word vectors cannot look them up
  const dir = writeTinyModel(join(tmpDir(), 'small-vocab'), tinyConfig({ vocabSize: 1000 }));
  refused(dir, /tokenizer\.json: token ids reach 30521, beyond .*config\.json: "vocab_size" 1000$/);
});

test("1_Pooling/config.json's width must be config.json's hidden_size (older and 6.x keys)", () => {
  for (const key of ['word_embedding_dimension', 'embedding_dimension']) {
    const dir = stFolder({ [key]: 32, pooling_mode: 'mean' });
    refused(dir, new RegExp(`1_Pooling/config\\.json: "${key}" 32 disagrees with .*/config\\.json: "hidden_size" 16$`));
  }
  // the right width loads and embeds
  const ok = stFolder({ word_embedding_dimension: 16, pooling_mode_mean_tokens: true });
  const r = ftlab(['embed', '--model', ok, '--text', 'a piano', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as number[][])[0]!.length, 16);
});

test('a sentence-transformers folder with a missing module file names that file', () => {
  const dir = stFolder({ embedding_dimension: 16, pooling_mode: 'mean' });
  rmSync(join(dir, '1_Pooling', 'config.json'));
  refused(dir, /1_Pooling\/config\.json: /);
});
