// Issue 22, item 3: every file type ftlab reads, damaged every way (truncated at random
// offsets, flipped bytes, wrong dtypes/shapes, wrong JSON types, empty files, folders in place
// of files, missing files), through the command that reads it. Each case must end in exit 1
// with one line naming the damaged file, and nothing at the command's output path. Seeded;
// in-process (main()), so the cases run in seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as tarCreate } from 'tar';
import { Random } from '../../src/data/random.ts';
import { npyHeader } from '../../src/io/npy.ts';
import { encodeHeader } from '../../src/io/safetensors.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlabInProcess } from '../helpers/cli.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { fixtureResults } from '../report/fixture.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { Lora } from '../../src/model/lora.ts';
import { saveModelFolder } from '../../src/model/save-model.ts';

const dir = tmpDir('ftlab-fuzz-files-');
const model = writeTinyModel(join(dir, 'model'));
const DIM = 16;
const threads = ['--threads', '1', '--quiet'];
const queries = join(dir, 'queries.tsv');
writeFileSync(queries, `1\triver bank\n2\tpiano song\n`);
const triplesText = triplesTsv(synthTriples(24));

/** A damaged copy: bytes, or a folder / nothing where the file should be. */
type Damage = Uint8Array | 'folder' | 'missing';
interface FileType {
  name: string;
  /** The good file's bytes. */
  good: () => Uint8Array;
  /** The place the damaged file goes (a fresh copy of a folder when it lives in one) and the command. */
  setup: (n: number) => { file: string; args: (out: string) => string[] };
  damages: ((rng: Random, good: Uint8Array) => Damage)[];
}

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
// drops >= 2 bytes (a JSON file's last '}' with its newline)
const truncate = (rng: Random, b: Uint8Array): Uint8Array => b.subarray(0, rng.int(b.length - 1));
const flipIn = (rng: Random, b: Uint8Array, from: number, to: number): Uint8Array => {
  const c = new Uint8Array(b);
  const i = from + rng.int(to - from);
  c[i] = c[i]! ^ (1 + rng.int(255));
  return c;
};
const common: FileType['damages'] = [() => new Uint8Array(0), () => 'folder', () => 'missing'];

// ---- .npy (ftlab timing --embeddings) ----
function npy(shape: number[], descr = '<f4', bytesPer = 4, order = 'False'): Uint8Array {
  const h = Buffer.from(npyHeader(shape, descr));
  const fixed = order === 'False' ? h : Buffer.from(h.toString('latin1').replace('False', 'True '), 'latin1');
  const n = shape.reduce((a, b) => a * b, 1);
  return new Uint8Array(Buffer.concat([fixed, Buffer.alloc(n * bytesPer, 7)]));
}
const goodNpy = (): Uint8Array => npy([6, DIM]);
const npyType: FileType = {
  name: 'npy',
  good: goodNpy,
  setup: (n) => {
    const file = join(dir, `vectors-${n}.npy`);
    return {
      file,
      args: (out) => [
        'timing',
        '--model',
        model,
        '--queries',
        queries,
        '--embeddings',
        file,
        '--n',
        '2',
        '--k',
        '2',
        '--repeats',
        '1',
        '--json',
        out,
        ...threads,
      ],
    };
  },
  damages: [
    ...common,
    truncate,
    truncate,
    truncate,
    (rng, b) => new Uint8Array([...b, ...Array.from({ length: 1 + rng.int(7) }, () => 1)]), // trailing bytes
    (rng, b) => flipIn(rng, b, 0, 6), // magic
    (rng, b) => {
      const c = new Uint8Array(b);
      c[6] = [0, 4, 9, 200][rng.int(4)]!; // version
      return c;
    },
    (rng, b) => {
      const c = new Uint8Array(b);
      new DataView(c.buffer).setUint16(8, 200 + rng.int(60000), true); // header length past the end
      return c;
    },
    (rng) => {
      const [d, k] = [
        ['<f8', 8],
        ['>f4', 4],
        ['<i4', 4],
        ['|u1', 1],
        ['<f2', 2],
        ['<i8', 8],
      ][rng.int(6)] as [string, number];
      return npy([6, DIM], d, k);
    },
    () => npy([6, DIM], '<f4', 4, 'True'),
    (rng) => [npy([6 * DIM]), npy([2, 3, DIM]), npy([6, 7 + rng.int(8)]), npy([0, DIM]), npy([6, 0])][rng.int(5)]!,
    (rng, b) => {
      // a header byte that is not padding replaced by a character no header can hold there
      const text = Buffer.from(b).toString('latin1', 10, 10 + 48);
      const spots = [...text].map((ch, i) => (/[A-Za-z0-9'(){}:,<]/.test(ch) ? i : -1)).filter((i) => i >= 0);
      const c = new Uint8Array(b);
      c[10 + spots[rng.int(spots.length)]!] = 0x7f;
      return c;
    },
  ],
};

// ---- .safetensors (a model folder's weights: ftlab embed --model DIR) ----
const goodWeights = (): Uint8Array => new Uint8Array(readFileSync(join(model, 'model.safetensors')));
function headerOf(b: Uint8Array): { json: Record<string, Record<string, unknown>>; data: Uint8Array } {
  const n = Number(Buffer.from(b).readBigUInt64LE(0));
  const json = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString('utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  return { json, data: b.subarray(8 + n) };
}
function withHeader(json: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const h = encodeHeader(json);
  const out = new Uint8Array(h.length + data.length);
  out.set(h);
  out.set(data, h.length);
  return out;
}
/** Rewrites one tensor's entry (chosen at random among the named weights). */
function editEntry(rng: Random, b: Uint8Array, edit: (e: Record<string, unknown>, name: string) => void): Uint8Array {
  const { json, data } = headerOf(b);
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  const name = names[rng.int(names.length)]!;
  edit(json[name]!, name);
  return withHeader(json, data);
}
function modelCopy(n: number, name: string): string {
  const d = join(dir, `model-${name}-${n}`);
  cpSync(model, d, { recursive: true });
  return d;
}
const embedArgs = (m: string) => (out: string) => [
  'embed',
  '--model',
  m,
  '--text',
  'a river',
  '--output',
  out,
  ...threads,
];
const safetensorsType: FileType = {
  name: 'safetensors',
  good: goodWeights,
  setup: (n) => {
    const m = modelCopy(n, 'st');
    return { file: join(m, 'model.safetensors'), args: embedArgs(m) };
  },
  damages: [
    ...common,
    truncate,
    truncate,
    truncate,
    (rng, b) => {
      const c = new Uint8Array(b);
      new DataView(c.buffer).setBigUint64(0, BigInt(b.length + rng.int(1 << 30)), true); // header length
      return c;
    },
    (rng, b) => {
      // a control character in the JSON header: invalid inside or outside a string
      const n = Number(Buffer.from(b).readBigUInt64LE(0));
      const c = new Uint8Array(b);
      c[8 + rng.int(n)] = 1;
      return c;
    },
    (rng, b) =>
      editEntry(rng, b, (e) => {
        e.dtype = ['F8', 'Q4', 'f32', 7, null][rng.int(5)];
      }),
    (rng, b) =>
      editEntry(rng, b, (e) => {
        e.dtype = ['F16', 'F64', 'BF16', 'I64'][rng.int(4)]; // a valid dtype whose bytes do not fit
      }),
    (rng, b) =>
      editEntry(rng, b, (e) => {
        e.dtype = ['I32', 'I64', 'U8', 'BOOL'][rng.int(4)]; // integer weights (the byte count fixed below)
        const numel = (e.shape as number[]).reduce((a, x) => a * x, 1);
        const per = { I32: 4, I64: 8, U8: 1, BOOL: 1 }[e.dtype as string]!;
        const [begin] = e.data_offsets as number[];
        e.shape = [Math.floor((numel * 4) / per)];
        e.data_offsets = [begin, begin! + Math.floor((numel * 4) / per) * per];
      }),
    (rng, b) =>
      editEntry(rng, b, (e) => {
        const s = e.shape as number[];
        e.shape = s.length === 2 && s[0] !== s[1] ? [s[1], s[0]] : [...s, 1, 1].slice(0, s.length + 1 + rng.int(2)); // same bytes, wrong shape
        if (s.length === 1) e.shape = [1, s[0]];
      }),
    (rng, b) =>
      editEntry(rng, b, (e) => {
        const [x, y] = e.data_offsets as number[];
        e.data_offsets = [[x! + 4, y! + 4], [y, x], [-4, y], [x, 1e15], [x, y, 0], 'zero'][rng.int(6)];
      }),
    (rng, b) => {
      // two tensors sharing bytes: the first entry's offsets given to another of the same size
      const { json, data } = headerOf(b);
      const names = Object.keys(json).filter((k) => (json[k]!.shape as number[]).join() === String(DIM));
      const a = names[rng.int(names.length)]!;
      const other = names.find((k) => k !== a)!;
      json[other]!.data_offsets = json[a]!.data_offsets;
      return withHeader(json, data);
    },
    (rng, b) => {
      const { json, data } = headerOf(b);
      const names = Object.keys(json);
      delete json[names[rng.int(names.length)]!]; // a weight missing
      return withHeader(json, data);
    },
    (rng, b) => {
      const { data } = headerOf(b);
      return withHeader(
        { __metadata__: [{ format: 'pt' }, { n: 3 }, 'pt'][rng.int(3)] } as Record<string, unknown>,
        data,
      );
    },
    (_rng, b) => {
      const n = Number(Buffer.from(b).readBigUInt64LE(0));
      return withHeader([1, 2] as unknown as Record<string, unknown>, b.subarray(8 + n));
    },
  ],
};

// ---- JSON files of a model folder (config.json, tokenizer.json, ftlab.json), of an ST folder
// (modules.json, 1_Pooling/config.json, sentence_bert_config.json), results.json, log.jsonl ----
const jsonDamages = (
  wrongTypes: ((rng: Random, v: Record<string, unknown>) => unknown)[],
  optional = false, // a missing file is no damage: ftlab uses defaults
): FileType['damages'] => [
  ...(optional ? common.slice(0, 2) : common),
  truncate,
  truncate,
  (rng, b) => flipIn(rng, b, 0, Math.min(b.length, 2)), // the opening brace
  () => bytes('[1, 2, 3]'),
  () => bytes('"text"'),
  () => bytes('null'),
  ...wrongTypes.map(
    (f) => (rng: Random, b: Uint8Array) =>
      bytes(JSON.stringify(f(rng, JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, unknown>))),
  ),
];
const set = (key: string, values: unknown[]) => (rng: Random, v: Record<string, unknown>) => ({
  ...v,
  [key]: values[rng.int(values.length)],
});
const drop = (key: string) => (_rng: Random, v: Record<string, unknown>) => {
  const c = { ...v };
  delete c[key];
  return c;
};

function modelJsonType(
  name: string,
  fileName: string,
  wrong: Parameters<typeof jsonDamages>[0],
  optional = false,
): FileType {
  return {
    name,
    good: () => new Uint8Array(readFileSync(join(model, fileName))),
    setup: (n) => {
      const m = modelCopy(n, name);
      return { file: join(m, fileName), args: embedArgs(m) };
    },
    damages: jsonDamages(wrong, optional),
  };
}
writeFileSync(
  join(model, 'ftlab.json'),
  JSON.stringify({ pooling: 'mean', normalize: true, similarity: 'cosine', maxLength: 64 }),
);
const configType = modelJsonType('config.json', 'config.json', [
  set('hidden_size', ['16', -16, 15, 0, null, 1.5]),
  set('num_attention_heads', [3, 0, 'two']),
  set('num_hidden_layers', [0, -1, '2', 3]),
  set('vocab_size', [0, 'big', 5]),
  set('model_type', ['gpt2', 7]),
  set('hidden_act', ['relu', 1]),
  set('intermediate_size', [0, 31, '32']),
  drop('hidden_size'),
]);
const tokenizerType = modelJsonType('tokenizer.json', 'tokenizer.json', [
  set('model', [5, null, 'wordpiece', []]),
  set('added_tokens', [5, 'x']),
]);
const ftlabJsonType = modelJsonType(
  'ftlab.json',
  'ftlab.json',
  [
    set('pooling', ['median', 5]),
    set('normalize', ['yes', 1]),
    set('similarity', ['euclid', 0]),
    set('maxLength', [0, 1, 'long', 2.5]),
  ],
  true,
);

// a sentence-transformers folder: modules.json and its module configs
const stModel = join(dir, 'st-model');
mkdirSync(join(stModel, '1_Pooling'), { recursive: true });
for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) cpSync(join(model, f), join(stModel, f));
const stFiles: Record<string, unknown> = {
  'modules.json': [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ],
  '1_Pooling/config.json': { word_embedding_dimension: DIM, pooling_mode_mean_tokens: true },
  'sentence_bert_config.json': { max_seq_length: 64, do_lower_case: false },
};
for (const [f, v] of Object.entries(stFiles)) writeFileSync(join(stModel, f), JSON.stringify(v));
function stType(fileName: string, wrong: Parameters<typeof jsonDamages>[0], optional = false): FileType {
  return {
    name: `st ${fileName}`,
    good: () => new Uint8Array(readFileSync(join(stModel, fileName))),
    setup: (n) => {
      const m = join(dir, `st-${n}`);
      cpSync(stModel, m, { recursive: true });
      return { file: join(m, fileName), args: embedArgs(m) };
    },
    damages: jsonDamages(wrong, optional),
  };
}
const modulesType = stType(
  'modules.json',
  [
    (_rng, v) => ({ modules: v }),
    (rng) => [[{ path: 5, type: 'sentence_transformers.models.Transformer' }], [7], [{ type: 3 }]][rng.int(3)],
    () => [{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.CNN' }],
  ],
  true,
);
const poolingType = stType('1_Pooling/config.json', [
  set('pooling_mode_mean_tokens', ['yes', 1]),
  (_rng, v) => ({ ...v, pooling_mode_mean_tokens: false }), // no pooling mode at all
]);
const stConfigType = stType('sentence_bert_config.json', [set('max_seq_length', [0, 'long', -5, 1.5])], true);

// a LoRA folder's adapter_config.json
const loraModel = join(dir, 'lora-model');
{
  const enc = SentenceEncoder.load(model);
  const lora = Lora.create(enc.bert, { r: 2, alpha: 4, dropout: 0, targets: ['query', 'value'] });
  saveModelFolder(loraModel, enc, { lora, base: model });
  enc.dispose();
}
const adapterType: FileType = {
  name: 'adapter_config.json',
  good: () => new Uint8Array(readFileSync(join(loraModel, 'adapter_config.json'))),
  setup: (n) => {
    const m = join(dir, `lora-${n}`);
    cpSync(loraModel, m, { recursive: true });
    return { file: join(m, 'adapter_config.json'), args: embedArgs(m) };
  },
  damages: jsonDamages([
    set('r', [0, -2, 'two', 1.5, null]),
    set('lora_alpha', ['four', null, -1]),
    set('lora_dropout', [2, 'none', -0.5]),
    set('target_modules', ['query', [5], ['nope'], []]),
    drop('r'),
  ]),
};

// results.json (ftlab report RUN --out OUT)
const resultsText = `${JSON.stringify(fixtureResults(7, 20, 40), null, 2)}\n`;
const resultsType: FileType = {
  name: 'results.json',
  good: () => bytes(resultsText),
  setup: (n) => {
    const run = join(dir, `run-${n}`);
    mkdirSync(run);
    return { file: join(run, 'results.json'), args: (out) => ['report', run, '--out', out] };
  },
  damages: jsonDamages([
    set('format', ['ftlab-other', 3, null]),
    set('version', [0, 'one', 1.5, 99]),
    set('retrieval', ['none', 5, [{ model: 3 }]]),
    set('config', [null, [], 'paper']),
    drop('config'),
    drop('environment'),
    (_rng, v) => ({ ...v, environment: { ...(v.environment as object), threads: 'two' } }),
  ]),
};

// log.jsonl (ftlab curves RUN --json OUT)
const logText = `${Array.from({ length: 6 }, (_, i) => JSON.stringify({ type: 'step', step: i + 1, loss: 1 / (i + 1), lr: 1e-3, gradNorm: 0.5 })).join('\n')}\n`;
const logType: FileType = {
  name: 'log.jsonl',
  good: () => bytes(logText),
  setup: (n) => {
    const run = join(dir, `trainrun-${n}`);
    mkdirSync(run);
    return { file: join(run, 'log.jsonl'), args: (out) => ['curves', run, '--json', out] };
  },
  damages: [
    ...common,
    (rng, b) => {
      // a line cut inside its JSON (not at a line end)
      const text = Buffer.from(b).toString('utf8');
      const lines = text.trim().split('\n');
      const i = rng.int(lines.length);
      lines[i] = lines[i]!.slice(0, 1 + rng.int(lines[i]!.length - 1));
      return bytes(`${lines.join('\n')}\n`);
    },
    (rng, b) => {
      const lines = Buffer.from(b).toString('utf8').trim().split('\n');
      const i = rng.int(lines.length);
      const o = JSON.parse(lines[i]!) as Record<string, unknown>;
      const bad = [{ ...o, step: 'one' }, { ...o, step: -1 }, { ...o, step: 1.5 }, { ...o, type: 'epoch' }, [o], 5][
        rng.int(6)
      ];
      lines[i] = JSON.stringify(bad);
      return bytes(`${lines.join('\n')}\n`);
    },
    () => bytes(`${JSON.stringify({ type: 'eval', step: 1, tripletAccuracy: 0.5 })}\n`), // no training steps
  ],
};

// ---- triples .gz / .tar.gz (ftlab sample) ----
const gz = gzipSync(Buffer.from(triplesText));
const tarDir = join(dir, 'tar-src');
mkdirSync(tarDir);
writeFileSync(join(tarDir, 'triples.train.small.tsv'), triplesText);
const goodTarGz = join(dir, 'good.tar.gz');
await tarCreate({ gzip: true, file: goodTarGz, cwd: tarDir }, ['triples.train.small.tsv']);
const emptyTarDir = join(dir, 'tar-empty');
mkdirSync(emptyTarDir);
writeFileSync(join(emptyTarDir, 'README'), '');
const emptyTarGz = join(dir, 'empty.tar.gz');
await tarCreate({ gzip: true, file: emptyTarGz, cwd: emptyTarDir }, ['README']);
function sampleType(name: string, ext: string, good: () => Uint8Array, extra: FileType['damages']): FileType {
  return {
    name,
    good,
    setup: (n) => {
      const file = join(dir, `triples-${n}${ext}`);
      return { file, args: (out) => ['sample', '--triples', file, '--n', '5', '--output', out, '--quiet'] };
    },
    damages: [
      ...common,
      truncate,
      truncate,
      (rng, b) => flipIn(rng, b, 0, 3), // gzip magic and method
      (rng, b) => flipIn(rng, b, 10, b.length - 8), // the deflate stream
      (rng, b) => flipIn(rng, b, b.length - 8, b.length), // CRC and length
      (rng) => new Uint8Array(Array.from({ length: 50 + rng.int(200) }, () => rng.int(256))),
      ...extra,
    ],
  };
}
const gzType = sampleType('triples .gz', '.tsv.gz', () => new Uint8Array(gz), [
  () => gzipSync(Buffer.from('a\tb\n')),
  () => gzipSync(Buffer.from('')),
]);
const tarType = sampleType('triples .tar.gz', '.tar.gz', () => new Uint8Array(readFileSync(goodTarGz)), [
  () => new Uint8Array(readFileSync(emptyTarGz)),
  () => new Uint8Array(gz), // a .gz that is no tar
]);

// ---- TSV files, whole-file damage (line damage: fuzz-inputs.test.ts) ----
const tsvGood: Record<string, string> = {
  collection: Array.from({ length: 8 }, (_, i) => `${100 + i}\tpassage ${i} about rivers\n`).join(''),
  queries: `1\triver bank\n2\tpiano song\n`,
  qrels: `1 0 100 1\n2 0 101 2\n`,
  run: `1 Q0 100 1 9.5 bm25\n1 Q0 101 2 8.5 bm25\n2 Q0 101 1 7.0 bm25\n`,
  triples: triplesText,
};
const goodTsv = (k: string): string => {
  const p = join(dir, `good-${k}.tsv`);
  if (!existsSync(p)) writeFileSync(p, tsvGood[k]!);
  return p;
};
function tsvType(kind: string, args: (file: string, out: string) => string[]): FileType {
  return {
    name: `${kind} tsv`,
    good: () => bytes(tsvGood[kind]!),
    setup: (n) => {
      const file = join(dir, `${kind}-${n}.tsv`);
      return { file, args: (out) => args(file, out) };
    },
    damages: [
      ...common,
      (rng) => new Uint8Array(Array.from({ length: 20 + rng.int(60) }, () => 1 + rng.int(8))), // binary, no tabs or line ends
      (_rng, b) => bytes(`\n\n${Buffer.from(b).toString('utf8').replace(/[^\n]/g, '')}`), // blank lines only
      (rng, b) => {
        const c = new Uint8Array(b);
        c[rng.int(Math.min(8, c.length))] = 0; // a NUL byte in the first line's id
        return c;
      },
    ],
  };
}
const searchArgs = (coll: string, q: string, out: string): string[] => [
  'search',
  '--collection',
  coll,
  '--queries',
  q,
  '--rerank',
  goodTsv('run'),
  '--output',
  out,
  '--no-cache',
  '--model',
  model,
  ...threads,
];
const tsvTypes = [
  tsvType('collection', (f, out) => searchArgs(f, goodTsv('queries'), out)),
  tsvType('queries', (f, out) => searchArgs(goodTsv('collection'), f, out)),
  tsvType('qrels', (f) => ['eval', '--qrels', f, '--run', goodTsv('run'), '--metrics', 'RR@10']), // writes no file
  tsvType('run', (f) => ['eval', '--qrels', goodTsv('qrels'), '--run', f, '--metrics', 'RR@10']),
  tsvType('triples', (f, out) => ['sample', '--triples', f, '--n', '2', '--output', out, '--quiet']),
];

const TYPES: FileType[] = [
  npyType,
  safetensorsType,
  configType,
  tokenizerType,
  ftlabJsonType,
  modulesType,
  poolingType,
  stConfigType,
  adapterType,
  resultsType,
  logType,
  gzType,
  tarType,
  ...tsvTypes,
];
const CASES = 540;

test(`${CASES} damaged files of ${TYPES.length} types: each exits 1 naming the file, nothing written`, async (t) => {
  const rng = new Random([2026, 22, CASES]);
  const tally: Record<string, number> = {};
  const failures: string[] = [];
  for (let n = 0; n < CASES; n++) {
    const type = TYPES[n % TYPES.length]!;
    const damage = type.damages[Math.floor(n / TYPES.length) % type.damages.length]!;
    const good = type.good();
    const bad = damage(rng, good);
    const { file, args } = type.setup(n);
    rmSync(file, { recursive: true, force: true });
    if (bad === 'folder') mkdirSync(file, { recursive: true });
    else if (bad !== 'missing') writeFileSync(file, bad);
    const out = join(dir, `out-${n}${type.name === 'npy' ? '.json' : type.name.includes('tsv') ? '.out' : '.npy'}`);
    const argv = args(out);
    if (argv[0] === 'report') argv[argv.length - 1] = join(dir, `out-${n}`);
    const outPath = argv[0] === 'report' ? join(dir, `out-${n}`) : out;
    const r = await ftlabInProcess(argv);
    const msg = r.stderr.trim();
    const how = typeof bad === 'string' ? bad : `${bad.length} bytes`;
    const where = `#${n} ${type.name} (${how}, damage ${type.damages.indexOf(damage)}; ${argv[0]}): exit ${r.code}: ${msg}`;
    // a missing file inside a model folder may be named by its folder ("no weights in DIR")
    const named =
      msg.includes(basename(file)) || msg.includes(file) || (bad === 'missing' && msg.includes(dirname(file)));
    if (r.code !== 1 || msg.split('\n').length !== 1 || !named) failures.push(where);
    else if (existsSync(outPath)) failures.push(`${where}: output written`);
    tally[type.name] = (tally[type.name] ?? 0) + 1;
  }
  t.diagnostic(
    `cases per file type: ${Object.entries(tally)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  assert.deepEqual(failures, [], `${failures.length} of ${CASES} cases failed:\n${failures.join('\n')}`);
  assert.equal(
    Object.values(tally).reduce((a, b) => a + b, 0),
    CASES,
  );
});

test('inputs that do not fit together: the error names each file involved', async () => {
  const qrels = join(dir, 'mismatch.qrels');
  writeFileSync(qrels, '77 0 100 2\n78 0 101 2\n'); // queries 77, 78: not in the queries file
  const geo = await ftlabInProcess([
    'geometry',
    '--model',
    model,
    '--queries',
    queries,
    '--qrels',
    qrels,
    '--collection',
    goodTsv('collection'),
    '--json',
    join(dir, 'geo.json'),
    '--no-umap',
    ...threads,
  ]);
  assert.equal(geo.code, 1, geo.stderr);
  for (const f of [qrels, queries, goodTsv('collection')]) assert.ok(geo.stderr.includes(f), `${f}: ${geo.stderr}`);
  assert.equal(existsSync(join(dir, 'geo.json')), false);
  const wide = join(dir, 'wide.npy');
  writeFileSync(wide, npy([4, DIM + 3]));
  const t = await ftlabInProcess([
    'timing',
    '--model',
    model,
    '--queries',
    queries,
    '--embeddings',
    wide,
    '--n',
    '2',
    '--json',
    join(dir, 't.json'),
    ...threads,
  ]);
  assert.equal(t.code, 1, t.stderr);
  assert.ok(t.stderr.includes(wide) && t.stderr.includes(model), t.stderr);
  assert.match(t.stderr, new RegExp(`width ${DIM}, but the passage vectors in .* have ${DIM + 3}`));
  assert.equal(existsSync(join(dir, 't.json')), false);
});
