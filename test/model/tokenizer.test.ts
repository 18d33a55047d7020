import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BertTokenizer } from '../../src/model/tokenizer.ts';
import { resolveModelFiles } from '../../src/model/model-files.ts';
import { REPO, SHARED_MSMARCO, hasShared } from '../helpers/tiny-model.ts';

const tokenizerPath = resolveModelFiles('default').tokenizer;
const unlimited = BertTokenizer.fromFile(tokenizerPath, 1_000_000);

test('reference ids for "This is an example sentence"', () => {
  const tok = BertTokenizer.fromFile(tokenizerPath, 256);
  assert.deepEqual(tok.encode('This is an example sentence'), [101, 2023, 2003, 2019, 2742, 6251, 102]);
  assert.deepEqual(tok.encode(''), [101, 102]);
});

test('tricky strings match the reference BERT tokenizer (scripts/fixtures/tokenizer_reference.py)', () => {
  const fixture = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'tokenizer-cases.json'), 'utf8')) as {
    cases: { text: string; ids: number[] }[];
  };
  assert.ok(fixture.cases.length >= 15);
  for (const c of fixture.cases) assert.deepEqual(unlimited.encode(c.text), c.ids, JSON.stringify(c.text.slice(0, 50)));
});

test("truncates at 256 (not tokenizer.json's 128), keeping [SEP]", () => {
  const tok = BertTokenizer.fromFile(tokenizerPath, 256);
  const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
  const full = unlimited.encode(text);
  const ids = tok.encode(text);
  assert.ok(full.length > 256);
  assert.equal(ids.length, 256);
  assert.deepEqual(ids.slice(0, 255), full.slice(0, 255));
  assert.equal(ids[255], 102);
  assert.equal(BertTokenizer.fromFile(tokenizerPath, 8).encode(text).length, 8);
});

test('real MS MARCO passages (mis-encoded characters included) match the reference', {
  skip: !hasShared && 'needs ../shared/data/msmarco',
}, () => {
  const lines = readFileSync(join(SHARED_MSMARCO, 'trec-dl', 'collection.pool.tsv'), 'utf8')
    .split('\n')
    .slice(0, 300);
  const texts = lines.filter((l) => l.includes('\t')).map((l) => l.slice(l.indexOf('\t') + 1));
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(REPO, 'scripts', 'fixtures'))})
from tokenizer_reference import basic_tokenize, wordpiece
vocab = json.load(open(sys.argv[1], encoding='utf-8'))['model']['vocab']
out = []
for t in json.load(sys.stdin):
    ids = [101]
    for w in basic_tokenize(t):
        ids.extend(vocab.get(p, 100) for p in wordpiece(w, vocab))
    out.append(ids + [102])
print(json.dumps(out))`;
  const ref = JSON.parse(
    execFileSync('python3', ['-c', script, tokenizerPath], {
      input: JSON.stringify(texts),
      maxBuffer: 64 << 20,
    }).toString(),
  ) as number[][];
  texts.forEach((t, i) => assert.deepEqual(unlimited.encode(t), ref[i], t.slice(0, 60)));
});

test('a broken tokenizer.json is a clear error', () => {
  assert.throws(
    () => BertTokenizer.fromFile('/nonexistent/tokenizer.json', 256),
    /^UserError: \/nonexistent\/tokenizer\.json: cannot read \(not found\)$/,
  );
  // an empty vocabulary builds a tokenizer that turns every word into [UNK]: refused
  assert.throws(
    () => new BertTokenizer({ model: { type: 'WordPiece', vocab: {} } }, 256, 't.json'),
    /^UserError: t\.json: the vocabulary \(model\.vocab\) is empty or missing$/,
  );
  assert.throws(() => new BertTokenizer({ model: { type: 'WordPiece', vocab: { a: 0 } } }, 256), /tokenizer|\[CLS\]/);
});
