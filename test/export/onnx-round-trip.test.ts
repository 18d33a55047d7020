// all-MiniLM-L6-v2 and a fine-tuned copy, exported to ONNX: transformers.js encodes real
// passages and queries to within cosine 0.9999 of ftlab's vectors, the folder is the
// sentence-transformers layout file by file, and it loads back into ftlab unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { bertParameterShapes } from '../../src/model/bert.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { exportModel } from '../../src/export/export-model.ts';
import { tmpDir } from '../helpers/tiny-model.ts';
import { minCosine, roundTripTexts, transformersJsEncode } from './round-trip.ts';
import onnxProto from 'onnx-proto';

const { texts, real } = roundTripTexts();
if (!real) console.log('# ../shared/data/msmarco absent: round trip on generated texts');

const json = (dir: string, f: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;

const ST_FILES = [
  '1_Pooling/',
  '1_Pooling/config.json',
  '2_Normalize/',
  'README.md',
  'config.json',
  'config_sentence_transformers.json',
  'model.safetensors',
  'modules.json',
  'onnx/',
  'onnx/model.onnx',
  'onnx/model_quantized.onnx',
  'sentence_bert_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
];

/** The folder matches the hub's all-MiniLM-L6-v2 layout, and its weights are the encoder's, bit for bit. */
function checkStFolder(out: string, files: string[], enc: SentenceEncoder): void {
  assert.deepEqual(files, ST_FILES);
  assert.equal(readdirSync(join(out, '2_Normalize')).length, 0);
  const cfg = json(out, 'config.json');
  assert.equal(cfg.model_type, 'bert');
  assert.equal(cfg.hidden_size, 384);
  assert.equal(cfg.num_hidden_layers, 6);
  assert.deepEqual(json(out, 'sentence_bert_config.json'), { max_seq_length: 256, do_lower_case: false });
  assert.deepEqual(
    JSON.parse(readFileSync(join(out, 'modules.json'), 'utf8')).map(
      (m: { type: string; path: string }) => `${m.type}@${m.path}`,
    ),
    [
      'sentence_transformers.models.Transformer@',
      'sentence_transformers.models.Pooling@1_Pooling',
      'sentence_transformers.models.Normalize@2_Normalize',
    ],
  );
  const pool = json(out, '1_Pooling/config.json');
  assert.equal(pool.word_embedding_dimension, 384);
  assert.equal(pool.pooling_mode_mean_tokens, true);
  assert.equal(Object.entries(pool).filter(([k, v]) => k.startsWith('pooling_mode_') && v === true).length, 1);
  assert.equal(json(out, 'config_sentence_transformers.json').similarity_fn_name, 'cosine');
  assert.equal(json(out, 'tokenizer_config.json').model_max_length, 256);
  assert.equal(json(out, 'special_tokens_map.json').cls_token, '[CLS]');
  const vocab = readFileSync(join(out, 'vocab.txt'), 'utf8').split('\n');
  assert.equal(vocab.length, 30522 + 1); // trailing newline
  assert.deepEqual(
    [vocab[0], vocab[100], vocab[101], vocab[102], vocab[103]],
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  );
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /base_model: sentence-transformers\/all-MiniLM-L6-v2/);
  const st = SafetensorsFile.open(join(out, 'model.safetensors'));
  try {
    assert.deepEqual([...st.tensors.keys()].sort(), [...bertParameterShapes(enc.bert.config).keys()].sort());
    for (const [name, p] of enc.bert.params) {
      assert.equal(st.tensors.get(name)!.dtype, 'float32', name);
      const t = st.read(name);
      assert.deepEqual(t.f32(), p.f32(), name);
      t.dispose();
    }
  } finally {
    st.close();
  }
}

const STANDARD_OPS = new Set([
  'Gather',
  'Shape',
  'Range',
  'Add',
  'Sub',
  'Mul',
  'Cast',
  'Unsqueeze',
  'LayerNormalization',
  'MatMul',
  'Reshape',
  'Transpose',
  'Softmax',
  'Erf',
  'Identity',
]);
const INT8_OPS = new Set([...STANDARD_OPS, 'DynamicQuantizeLinear', 'MatMulInteger', 'DequantizeLinear']);

/** Opset 17, the three int64 inputs and the output with dynamic batch and sequence axes, standard ops only. */
function checkGraph(path: string, int8: boolean): void {
  const m = onnxProto.onnx.ModelProto.decode(readFileSync(path));
  assert.equal(Number(m.opsetImport[0]!.version), 17);
  const g = m.graph as InstanceType<typeof onnxProto.onnx.GraphProto>;
  const shape = (v: onnxProto.onnx.IValueInfoProto) =>
    v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  assert.deepEqual(
    g.input.map((v) => [v.name, v.type!.tensorType!.elemType, shape(v)]),
    ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => [n, 7, ['batch_size', 'sequence_length']]),
  );
  assert.deepEqual(
    g.output.map((v) => [v.name, v.type!.tensorType!.elemType, shape(v)]),
    [['last_hidden_state', 1, ['batch_size', 'sequence_length', 384]]],
  );
  const ops = new Set(g.node.map((n) => n.opType!));
  assert.deepEqual(
    [...ops].filter((o) => !(int8 ? INT8_OPS : STANDARD_OPS).has(o)),
    [],
  );
  assert.equal(ops.has('MatMulInteger'), int8);
  assert.equal(g.node.filter((n) => n.opType === 'Erf').length, 6); // exact GELU in each layer
}

async function roundTrip(enc: SentenceEncoder, out: string): Promise<Float32Array> {
  const ours = enc.encode(texts, 'passage');
  const theirs = await transformersJsEncode(out, texts);
  assert.equal(theirs.dim, 384);
  const m = minCosine(ours, theirs.vectors, 384);
  console.log(`${out}: smallest ftlab vs transformers.js cosine over ${texts.length} texts: ${m.toFixed(7)}`);
  assert.ok(m >= 0.9999, `smallest cosine between ftlab and transformers.js vectors: ${m}`);
  // import: the exported folder (read through modules.json & co, no ftlab.json) gives the same vectors
  assert.ok(!existsSync(join(out, 'ftlab.json')));
  const back = SentenceEncoder.load(out);
  assert.deepEqual(
    { normalize: back.info.normalize, maxLength: back.info.maxLength },
    { normalize: true, maxLength: 256 },
  );
  assert.deepEqual(back.encode(texts, 'passage'), ours);
  back.dispose();
  return ours;
}

let baseVectors: Float32Array | null = null;

test('default model -> ONNX: transformers.js matches ftlab on 50 passages + 20 queries; the folder loads back identically', async () => {
  const out = join(tmpDir(), 'minilm');
  const r = exportModel({ model: 'default', format: 'onnx', output: out });
  const enc = SentenceEncoder.load('default');
  checkStFolder(out, r.files, enc);
  baseVectors = await roundTrip(enc, out);
  checkGraph(join(out, 'onnx', 'model.onnx'), false);
  checkGraph(join(out, 'onnx', 'model_quantized.onnx'), true);
  const q8 = await transformersJsEncode(out, texts, 10, 'q8');
  const mq = minCosine(baseVectors, q8.vectors, 384);
  console.log(`int8 ONNX vs ftlab: smallest cosine ${mq.toFixed(5)}`);
  assert.ok(
    mq > 0.95 && mq < 0.9999,
    `int8 weights: close to, but not exactly, the fp32 vectors (smallest cosine ${mq})`,
  );
  const example = await transformersJsEncode(out, ['This is an example sentence']);
  // the published vector's first values, to the 4 digits given (0.06766, 0.06356, 0.04873)
  [0.0677, 0.0635, 0.0487].forEach((v, i) =>
    assert.ok(Math.abs(example.vectors[i]! - v) < 1e-4, `component ${i}: ${example.vectors[i]} vs ${v}`),
  );
  enc.dispose();
});

test('a fine-tuned model -> ONNX: its own weights are exported (vectors differ from the base), transformers.js matches', async () => {
  const dir = tmpDir();
  const words = [
    'flea life cycle',
    'concrete floor cost',
    'declaratory judgment',
    'archduke franz ferdinand',
    'wifi network',
    'beta blockers',
  ];
  // the positive is unrelated and the negative on topic: the loss is far from zero, so the weights move
  const triples = words.map((w, i) => ({
    query: w,
    positive: `a passage about ${words[(i + 3) % 6]}`,
    negative: `${w}: a passage about ${w}`,
  }));
  const cfg: TrainConfig = {
    model: 'default',
    loss: 'triplet',
    distance: 'cosine',
    margin: 0.5,
    mnrlScale: 20,
    normalize: true,
    batchSize: 3,
    gradAccumulation: 1,
    lr: 1e-3,
    warmup: 0,
    epochs: 1,
    maxSteps: 2,
    weightDecay: 0,
    maxGradNorm: 1,
    lora: null,
    seed: 3,
    evalEvery: 0,
    saveEvery: 0,
    keepCheckpoints: 1,
  };
  const enc0 = SentenceEncoder.load('default');
  await train(enc0, triples, [], cfg, { output: dir, resume: false });
  enc0.dispose();
  const out = join(tmpDir(), 'tuned');
  exportModel({ model: dir, format: 'onnx', output: out });
  const enc = SentenceEncoder.load(dir);
  const tuned = await roundTrip(enc, out);
  const base = baseVectors ?? SentenceEncoder.load('default').encode(texts, 'passage');
  const m = minCosine(base, tuned, 384);
  console.log(`fine-tuned vs base vectors: smallest cosine ${m.toFixed(4)}`);
  assert.ok(m < 0.99, `fine-tuned vectors should differ from the base's (smallest cosine ${m})`);
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /Loss: \*\*triplet\*\*/);
  enc.dispose();
});
