// The train command's retrieval evaluators (src/train/retrieval-evaluator.ts): dense
// retrieval and re-ranking every passage must agree; a training run logs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { loadCollection } from '../../src/data/collection.ts';
import { loadQueries } from '../../src/data/queries.ts';
import { loadQrels } from '../../src/data/qrels.ts';
import { denseEvaluator, rerankEvaluator } from '../../src/train/retrieval-evaluator.ts';
import type { Run } from '../../src/data/run.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { ftlabInProcess } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const words = ['river', 'bank', 'money', 'loan', 'fish', 'water', 'city', 'tax'];
const cPath = join(dir, 'c.tsv');
writeFileSync(
  cPath,
  `${Array.from({ length: 30 }, (_, i) => `${200 + i}\t${words[i % 8]} ${words[(i * 3) % 8]} text ${i}`).join('\n')}\n`,
);
const qPath = join(dir, 'q.tsv');
writeFileSync(qPath, '1\triver bank\n2\tcity tax\n3\tfish water\n');
const qrPath = join(dir, 'qrels');
writeFileSync(qrPath, '1 0 200 1\n2 0 206 1\n3 0 204 2\n');

test('re-ranking every passage equals dense retrieval (RR@10, R@20)', async () => {
  const { collection } = await loadCollection(cPath);
  const queries = await loadQueries(qPath);
  const qrels = await loadQrels(qrPath);
  const all = Array.from({ length: collection.size }, (_, i) => ({ docid: collection.id(i), score: 0, rank: i + 1 }));
  const candidates: Run = { format: 'trec', source: 'all', queries: new Map([...queries.keys()].map((q) => [q, all])) };
  const enc = SentenceEncoder.load(model);
  const metrics = 'RR@10,R@20';
  const dense = await denseEvaluator({ queries, qrels, collection, collectionPath: cPath, metrics })(enc, 0);
  const rerank = await rerankEvaluator({ queries, qrels, collection, candidates, metrics })(enc, 0);
  assert.deepEqual(Object.keys(dense), ['RR@10', 'R@20']);
  assert.deepEqual(rerank, dense);
});

test('ftlab train --eval-candidates logs the re-ranking metric with the eval set sizes', async () => {
  const t = join(dir, 't.tsv');
  writeFileSync(t, triplesTsv(synthTriples(20)));
  const cands = join(dir, 'cands.trec');
  writeFileSync(cands, `${['1 Q0 201 1 3 x', '1 Q0 200 2 2 x', '2 Q0 206 1 3 x', '3 Q0 204 1 1 x'].join('\n')}\n`);
  const out = join(dir, 'out');
  const r = await ftlabInProcess([
    'train',
    '--train',
    t,
    '--output',
    out,
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '4',
    '--max-steps',
    '2',
    '--eval-fraction',
    '0.2',
    '--eval-queries',
    qPath,
    '--eval-qrels',
    qrPath,
    '--eval-collection',
    cPath,
    '--eval-candidates',
    cands,
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const ev = readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>)
    .filter((l) => l.type === 'eval');
  // step 0 (the model as loaded, a checkpoint candidate) and the last step
  assert.deepEqual(
    ev.map((e) => e.step),
    [0, 2],
  );
  for (const e of ev) {
    assert.equal(e.evalTriples, 4);
    const q = e.evalQueries as number;
    assert.ok(Number.isInteger(q) && q >= 1 && q <= 4, `evalQueries ${q}`);
    // queries 2 and 3 have one candidate, their positive (RR 1); query 1 has its positive among 2 (RR >= 1/2)
    assert.ok((e['RR@10'] as number) >= 2.5 / 3 - 1e-12, `RR@10 ${e['RR@10']} at step ${e.step}`);
  }
});
