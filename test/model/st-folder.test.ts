// sentence-transformers folders without the Python peers: pooling modes on numbers worked by
// hand, the 6.x and older module names, the Transformer in a subfolder, prompts per role
// (and the flags that override them), what is refused (non-BERT configs, unsupported modules),
// and the model identity covering pooling and prompts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../../src/engine/index.ts';
import { pool } from '../../src/model/pooling.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { rolePrompts } from '../../src/model/st-folder.ts';
import { modelFingerprint } from '../../src/model/fingerprint.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';

test('pooling modes on a worked example: 2 texts, T = 3, C = 2, the second padded after 2 tokens', () => {
  // text 0: tokens (1,2) (3,-4) (5,0); text 1: tokens (2,2) (-2,6) and padding (100,100)
  const h = tensor(new Float32Array([1, 2, 3, -4, 5, 0, 2, 2, -2, 6, 100, 100]), [2, 3, 2]);
  const m = tensor(new Float32Array([1, 1, 1, 1, 1, 0]), [2, 3]);
  const got = (p: Parameters<typeof pool>[0]) => Array.from(pool(p, h, m).f32());
  // mean: (9,-2)/3 = (3,-0.667); (0,8)/2 = (0,4)
  assert.deepEqual(
    got('mean').map((x) => +x.toFixed(4)),
    [3, -0.6667, 0, 4],
  );
  // mean-sqrt-len: (9,-2)/sqrt 3 = (5.1962,-1.1547); (0,8)/sqrt 2 = (0,5.6569)
  assert.deepEqual(
    got('mean-sqrt-len').map((x) => +x.toFixed(4)),
    [5.1962, -1.1547, 0, 5.6569],
  );
  // cls: the first token of each
  assert.deepEqual(got('cls'), [1, 2, 2, 2]);
  // max over real tokens only: (5,2); (2,6) — the padding's 100 never wins
  assert.deepEqual(got('max'), [5, 2, 2, 6]);
});

test('prompts per role: query, then the first non-empty of document / passage / corpus, else the default prompt', () => {
  assert.deepEqual(rolePrompts({ query: 'query: ', passage: 'passage: ' }, null), {
    query: 'query: ',
    passage: 'passage: ',
  });
  // sentence-transformers 6 saves an empty "document" placeholder: it must not hide e5's "passage: "
  assert.deepEqual(rolePrompts({ query: 'q: ', document: '', passage: 'p: ' }, null), { query: 'q: ', passage: 'p: ' });
  assert.deepEqual(rolePrompts({ document: 'd: ', passage: 'p: ', corpus: 'c: ' }, null), {
    query: '',
    passage: 'd: ',
  });
  assert.deepEqual(rolePrompts({ classification: 'c: ', query: 'q: ' }, 'classification'), {
    query: 'q: ',
    passage: 'c: ',
  });
  assert.deepEqual(rolePrompts({}, null), { query: '', passage: '' });
});

/** A sentence-transformers folder in the 6.x layout around a tiny model, with `pooling` and prompts. */
function stFolder(pooling: string, prompts: Record<string, string> = {}, sub = ''): string {
  const dir = join(tmpDir(), 'st');
  writeTinyModel(join(dir, sub));
  const types = [
    'sentence_transformers.base.modules.transformer.Transformer',
    'sentence_transformers.sentence_transformer.modules.pooling.Pooling',
    'sentence_transformers.base.modules.normalize.Normalize',
  ];
  const paths = [sub, '1_Pooling', '2_Normalize'];
  writeFileSync(
    join(dir, 'modules.json'),
    JSON.stringify(types.map((type, i) => ({ idx: i, name: `${i}`, path: paths[i], type }))),
  );
  mkdirSync(join(dir, '1_Pooling'));
  mkdirSync(join(dir, '2_Normalize'));
  writeFileSync(
    join(dir, '1_Pooling', 'config.json'),
    JSON.stringify({ embedding_dimension: 16, pooling_mode: pooling, include_prompt: true }),
  );
  writeFileSync(join(dir, sub, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 40 }));
  writeFileSync(
    join(dir, 'config_sentence_transformers.json'),
    JSON.stringify({ prompts: { document: '', ...prompts }, default_prompt_name: null, similarity_fn_name: 'cosine' }),
  );
  return dir;
}

test('a 6.x folder: pooling, prompts and max length read; prompts prepended per role, also when training', () => {
  const dir = stFolder('cls', { query: 'query: ', passage: 'passage: ' }, '0_Transformer');
  const enc = SentenceEncoder.load(dir);
  assert.equal(enc.files!.config, join(dir, '0_Transformer', 'config.json'));
  assert.deepEqual(
    {
      pooling: enc.info.pooling,
      normalize: enc.info.normalize,
      maxLength: enc.info.maxLength,
      prompts: enc.info.prompts,
    },
    { pooling: 'cls', normalize: true, maxLength: 40, prompts: { query: 'query: ', passage: 'passage: ' } },
  );
  const plain = SentenceEncoder.load(dir, { prompts: { query: '', passage: '' } });
  // the training step tokenizes through the same tokenize(texts, role)
  assert.deepEqual(enc.tokenize(['piano'], 'query'), plain.tokenize(['query: piano'], 'query'));
  assert.deepEqual(enc.tokenize(['piano'], 'passage'), plain.tokenize(['passage: piano'], 'passage'));
  assert.deepEqual(enc.encode(['piano'], 'query'), plain.encode(['query: piano'], 'passage'));
  assert.notDeepEqual(enc.encode(['piano'], 'query'), enc.encode(['piano'], 'passage'));
  // the identity covers prompts and pooling
  const keys = new Set([enc, plain].map((e) => modelFingerprint(e)));
  const mean = join(tmpDir(), 'mean');
  cpSync(dir, mean, { recursive: true });
  writeFileSync(
    join(mean, '1_Pooling', 'config.json'),
    JSON.stringify({ embedding_dimension: 16, pooling_mode: 'mean' }),
  );
  keys.add(modelFingerprint(SentenceEncoder.load(mean)));
  assert.equal(keys.size, 3);
});

test('non-BERT configs and unsupported modules are refused with one line naming the file', () => {
  const dir = writeTinyModel(join(tmpDir(), 'roberta'));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ ...cfg, model_type: 'roberta', architectures: ['RobertaModel'] }),
  );
  assert.throws(
    () => SentenceEncoder.load(dir),
    (e: Error) =>
      e.message ===
      `${join(dir, 'config.json')}: model_type "roberta", architectures RobertaModel is not a BERT model (ftlab runs BERT encoders only)`,
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, architectures: ['DistilBertModel'] }));
  assert.throws(
    () => SentenceEncoder.load(dir),
    /config\.json: model_type "bert", architectures DistilBertModel is not a BERT model/,
  );
  assertOneLineError(
    ftlab(['embed', '--model', dir, '--text', 'x', '--json']),
    /config\.json: .*DistilBertModel is not a BERT model/,
  );
  const st = stFolder('lasttoken');
  assert.throws(() => SentenceEncoder.load(st), /1_Pooling\/config\.json: pooling lasttoken is not supported/);
});

test('--query-prompt / --passage-prompt override the folder; --role picks the prompt', () => {
  const dir = stFolder('mean', { query: 'query: ' });
  const run = (args: string[]) =>
    JSON.parse(ftlab(['embed', '--model', dir, '--text', 'piano', '--json', ...args]).stdout) as number[][];
  const asQuery = run(['--role', 'query']);
  assert.deepEqual(run(['--role', 'passage', '--passage-prompt', 'query: ']), asQuery);
  assert.notDeepEqual(run(['--role', 'query', '--query-prompt', '']), asQuery);
  assertOneLineError(
    ftlab(['embed', '--model', dir, '--text', 'x', '--json', '--role', 'doc']),
    /--role must be query or passage/,
  );
});

test('prompt overrides are part of a training run identity; no override equals an older record without one', async () => {
  const { recordDifferences } = await import('../../src/train/training-identity.ts');
  const base = { config: { model: 'm', seed: 1 }, triplesSha256: 'x', triples: 1 } as unknown as Parameters<
    typeof recordDifferences
  >[0];
  const withPrompt = { ...base, config: { ...base.config, prompts: { query: 'query: ' } } };
  assert.deepEqual(recordDifferences(base, base), []);
  assert.deepEqual(recordDifferences(base, { ...base, config: { ...base.config, prompts: {} } }), []);
  assert.deepEqual(recordDifferences(base, withPrompt), ['prompts unset -> {"query":"query: "}']);
});
