// package.json "exports" names a real entry point, and the library works through it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/tiny-model.ts';

test('package.json "exports" resolves, and its API embeds, searches, evaluates and compares', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const entry = join(REPO, pkg.exports['.']!);
  assert.ok(existsSync(entry), entry);
  const ftlab = (await import(entry)) as typeof import('../../src/index.ts');
  const enc = ftlab.SentenceEncoder.load('default');
  const docs = [
    'The river bank was flooded after the storm.',
    'The bank raised its interest rates on loans.',
    'Pianos have 88 keys.',
  ];
  const dv = enc.encode(docs, 'passage');
  const qv = enc.encode(['piano keys', 'mortgage interest'], 'query');
  const top = await ftlab.exactSearch(qv, enc.dim, [dv], 1);
  assert.deepEqual(Array.from(top.indices), [2, 1]);
  const ranking: import('../../src/index.ts').Ranking = new Map([
    [
      'q1',
      [
        { docid: 'd2', score: 1 },
        { docid: 'd1', score: 0.5 },
      ],
    ],
    [
      'q2',
      [
        { docid: 'd1', score: 1 },
        { docid: 'd2', score: 0.5 },
      ],
    ],
  ]);
  const qrels = new Map([
    ['q1', new Map([['d1', 1]])],
    ['q2', new Map([['d1', 1]])],
  ]);
  const metrics = ftlab.parseMetrics('RR@10');
  const base = ftlab.evaluate(ftlab.rankingToRun(ranking, 'base'), qrels, metrics);
  assert.deepEqual(base.mean, [0.75]);
  const table = ftlab.compareTable(['base', 'same'], [base, base]);
  assert.equal(table.rows[1]!.metrics['RR@10']!.pRandomisation, 1);
  const data = await ftlab.loadDataset(join(REPO, 'test', 'fixtures', 'manifest', 'manifest.json'));
  assert.equal(data.splits.test.judgedQueries, 1);
  enc.dispose();
});
