// The similarity a model is scored with: cosine over unnormalised vectors is the inner product
// of their L2-normalised copies; dot is the raw inner product.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exactSearch } from '../../src/retrieval/exact-search.ts';
import { readFtlabInfo } from '../../src/model/config.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';

test('exactSearch: a crafted case where cosine and dot rank differently', async () => {
  // q = (1, 0); d0 = (10, 10): dot 10, cos 0.707; d1 = (1, 0): dot 1, cos 1; d2 = (0, -3): dot 0, cos 0
  const q = new Float32Array([1, 0]);
  const docs = [new Float32Array([10, 10, 1, 0, 0, -3])];
  const dot = await exactSearch(q, 2, docs, 3);
  const cos = await exactSearch(q, 2, docs, 3, { normalize: true });
  assert.deepEqual(Array.from(dot.indices), [0, 1, 2]);
  assert.deepEqual(Array.from(cos.indices), [1, 0, 2]);
  assert.ok(Math.abs(cos.scores[1]! - Math.SQRT1_2) < 1e-6 && Math.abs(dot.scores[0]! - 10) < 1e-6);
});

test('ftlab.json "similarity": cosine by default, dot when written, anything else an error naming the file', () => {
  const dir = tmpDir();
  assert.equal(readFtlabInfo(join(dir, 'absent.json')).similarity, 'cosine');
  writeFileSync(join(dir, 'a.json'), '{"normalize": false}');
  assert.equal(
    readFtlabInfo(join(dir, 'a.json')).similarity,
    'cosine',
    'unnormalised (paper-run) models are scored by cosine too',
  );
  writeFileSync(join(dir, 'b.json'), '{"normalize": false, "similarity": "dot"}');
  assert.equal(readFtlabInfo(join(dir, 'b.json')).similarity, 'dot');
  writeFileSync(join(dir, 'c.json'), '{"similarity": "euclidean"}');
  assert.throws(() => readFtlabInfo(join(dir, 'c.json')), /c\.json: "similarity" must be "cosine" or "dot"/);
});

test('an unnormalised model: search by cosine ranks as its L2-normalised twin, by dot as the raw inner product', () => {
  const dir = tmpDir();
  const raw = writeTinyModel(join(dir, 'raw'), undefined, 3);
  writeFileSync(join(raw, 'ftlab.json'), JSON.stringify({ pooling: 'mean', normalize: false, maxLength: 64 }));
  const unit = join(dir, 'unit'); // the same weights, vectors L2-normalised by the model
  mkdirSync(unit);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(raw, f), join(unit, f));
  writeFileSync(join(unit, 'ftlab.json'), JSON.stringify({ pooling: 'mean', normalize: true, maxLength: 64 }));
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
  const passages = Array.from(
    { length: 80 },
    (_, i) => `${words[i % 12]} ${words[(i * 7) % 12]} passage ${i} ${'about '.repeat(i % 5)}${words[(i * 5) % 12]}`,
  );
  const collection = join(dir, 'collection.tsv');
  writeFileSync(collection, `${passages.map((p, i) => `${1000 + i}\t${p}`).join('\n')}\n`);
  const queries = join(dir, 'queries.tsv');
  const qtexts = ['river water', 'piano music', 'tax money loan'];
  writeFileSync(queries, `${qtexts.map((q, i) => `${i + 1}\t${q}`).join('\n')}\n`);
  const docids = (out: string): string[][] => {
    const byQ = new Map<string, string[]>();
    for (const l of readFileSync(join(dir, out), 'utf8').trim().split('\n')) {
      const [q, , d] = l.split(' ');
      byQ.set(q!, [...(byQ.get(q!) ?? []), d!]);
    }
    return [...byQ.values()];
  };
  const search = (m: string, out: string, extra: string[] = []): string[][] => {
    const r = ftlab([
      'search',
      '--model',
      m,
      '--collection',
      collection,
      '--queries',
      queries,
      '--k',
      '80',
      '--output',
      join(dir, out),
      '--no-cache',
      '--quiet',
      '--threads',
      '1',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return docids(out);
  };
  const cosine = search(raw, 'cos.trec');
  assert.deepEqual(cosine, search(unit, 'unit.trec'), 'cosine on raw vectors = inner product of normalised ones');
  const dot = search(raw, 'dot.trec', ['--similarity', 'dot']);
  // the raw inner product, computed here from the model's vectors
  const enc = SentenceEncoder.load(raw);
  const C = enc.dim;
  const qv = enc.encode(qtexts, 'query');
  const dv = enc.encode(passages, 'passage');
  enc.dispose();
  const expected = qtexts.map((_, qi) =>
    passages
      .map((_, p) => {
        let s = 0;
        for (let c = 0; c < C; c++) s += qv[qi * C + c]! * dv[p * C + c]!;
        return { docid: String(1000 + p), s };
      })
      .sort((a, b) => b.s - a.s)
      .map((x) => x.docid),
  );
  assert.deepEqual(dot, expected);
  assert.notDeepEqual(dot, cosine, 'passage norms differ, so dot and cosine order them differently');
  // re-ranking follows the same similarity
  const bm = join(dir, 'bm.trec');
  writeFileSync(
    bm,
    cosine
      .map((list, qi) =>
        list
          .slice(0, 30)
          .map((d, i) => `${qi + 1} Q0 ${d} ${i + 1} ${30 - i} bm25\n`)
          .join(''),
      )
      .join(''),
  );
  const rr = (m: string, out: string, extra: string[] = []): string[][] => {
    assert.equal(
      ftlab([
        'search',
        '--model',
        m,
        '--collection',
        collection,
        '--queries',
        queries,
        '--rerank',
        bm,
        '--output',
        join(dir, out),
        '--no-cache',
        '--quiet',
        '--threads',
        '1',
        ...extra,
      ]).code,
      0,
    );
    return docids(out);
  };
  assert.deepEqual(
    rr(raw, 'rr-cos.trec'),
    cosine.map((l) => l.slice(0, 30)),
  );
  assert.deepEqual(
    rr(raw, 'rr-dot.trec', ['--similarity', 'dot']),
    expected.map((l) => l.filter((d) => cosine[expected.indexOf(l)]!.slice(0, 30).includes(d))),
  );
  assertOneLineError(
    ftlab([
      'search',
      '--model',
      raw,
      '--collection',
      collection,
      '--queries',
      queries,
      '--output',
      join(dir, 'x.trec'),
      '--similarity',
      'l2',
    ]),
    /--similarity must be cosine or dot, got 'l2'/,
  );
});
