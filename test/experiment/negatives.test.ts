// Train/test hygiene of the study's negatives, the validation split, and the training record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Collection } from '../../src/data/collection.ts';
import type { Qrels } from '../../src/data/qrels.ts';
import type { Run } from '../../src/data/run.ts';
import { splitByQuery, touchedPassages } from '../../src/experiment/data.ts';
import { randomNegatives } from '../../src/experiment/negatives.ts';
import { emptyStats, hardNegatives, judgedPositives } from '../../src/retrieval/mining.ts';
import { capped } from '../../src/experiment/negatives-stage.ts';
import { recordDifferences, type ArmTrainingRecord } from '../../src/experiment/training.ts';
import { armTrainConfig, ARMS, selectArms } from '../../src/experiment/arms.ts';
import { doseSteps } from '../../src/experiment/fold-study.ts';
import { unitSteps } from '../../src/experiment/arm-shape.ts';
import type { SentenceEncoder } from '../../src/model/sentence-encoder.ts';

function fixture(): { c: Collection; qrels: Qrels; run: Run; testQrels: Qrels } {
  const c = new Collection('pool');
  for (let i = 0; i < 8; i++) c.add(`d${i}`, `text ${i}`);
  // training query q1: d0 relevant (2), d1 judged 0; its BM25 candidates d1, d2, d3
  const qrels: Qrels = new Map([
    [
      'q1',
      new Map([
        ['d0', 2],
        ['d1', 0],
      ]),
    ],
  ]);
  // test query t1 judged d2 (grade 0!) and d3: neither may be used in training
  const testQrels: Qrels = new Map([
    [
      't1',
      new Map([
        ['d2', 0],
        ['d3', 1],
      ]),
    ],
  ]);
  const run: Run = {
    format: 'trec',
    source: 'bm25',
    queries: new Map([['q1', ['d1', 'd2', 'd3'].map((d, i) => ({ docid: d, score: 10 - i, rank: i + 1 }))]]),
  };
  return { c, qrels, run, testQrels };
}

test('random negatives: a passage judged for a test query (any grade) is never sampled', () => {
  const { c, qrels, run, testQrels } = fixture();
  const excluded = touchedPassages(c, [{ queries: new Map([['t1', 'test']]), qrels: testQrels }], [null]);
  assert.deepEqual([...excluded].sort(), [2, 3]);
  const queries = new Map([['q1', 'query one']]);
  for (let seed = 0; seed < 20; seed++) {
    const stats = emptyStats();
    const pos = judgedPositives({ queries, qrels }, c, { minGrade: 2, excluded }, stats);
    const t = randomNegatives({ positives: pos, qrels, run, collection: c, excluded, seed, stats });
    assert.deepEqual(t, [{ qid: 'q1', positive: 0, negative: 1 }]); // d1: the only candidate left
    assert.equal(stats.excludedDropped, 2);
  }
  // without the exclusion, d2 and d3 do get sampled: the fixture can fail
  const seen = new Set<number>();
  for (let seed = 0; seed < 20; seed++)
    for (const t of randomNegatives({
      positives: [{ qid: 'q1', position: 0 }],
      qrels,
      run,
      collection: c,
      excluded: new Set(),
      seed,
      stats: emptyStats(),
    }))
      seen.add(t.negative);
  assert.ok(seen.has(2) || seen.has(3));
});

test('a positive judged for a test query is dropped and counted', () => {
  const { c, qrels } = fixture();
  const stats = emptyStats();
  const pos = judgedPositives(
    { queries: new Map([['q1', 'q']]), qrels },
    c,
    { minGrade: 2, excluded: new Set([0]) },
    stats,
  );
  assert.deepEqual(pos, []);
  assert.equal(stats.positivesExcluded, 1);
});

test('hard negatives: ranks lo..hi, judged-relevant and test passages excluded, the guard drops near-positives and says how many', async () => {
  const c = new Collection('pool');
  for (let i = 0; i < 6; i++) c.add(`d${i}`, `p${i}`);
  // 2-d vectors: query (1, 0); scores are the first coordinate
  const vec: Record<string, [number, number]> = {
    q: [1, 0],
    p0: [0.5, 0.8],
    p1: [0.9, 0.1],
    p2: [0.8, 0.2],
    p3: [0.7, 0.3],
    p4: [0.6, 0.4],
    p5: [0.3, 0.9],
  };
  // info: a normalising model, so scores are the raw inner products of these vectors
  const encoder = {
    dim: 2,
    device: 'cpu',
    info: { normalize: true, similarity: 'cosine' },
    encode: (texts: string[]) => Float32Array.from(texts.flatMap((t) => vec[t]!)),
  } as unknown as SentenceEncoder;
  const docs = [Float32Array.from(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].flatMap((t) => vec[t]!))];
  const qrels: Qrels = new Map([
    [
      'q1',
      new Map([
        ['d0', 2],
        ['d4', 1],
      ]),
    ],
  ]);
  const queries = new Map([['q1', 'q']]);
  // ranking by score: d1 .9, d2 .8, d3 .7, d4 .6, d0 .5, d5 .3; ranks 1..6; positive d0 scores 0.5
  const run = async (guard: number | null, excluded: Set<number>) => {
    const stats = emptyStats();
    const out = await hardNegatives({
      positives: [{ qid: 'q1', position: 0 }],
      queries,
      qrels,
      collection: c,
      encoder,
      docs,
      rows: null,
      excluded,
      depth: 6,
      lo: 2,
      hi: 6,
      guardMargin: guard,
      seed: 1,
      stats,
    });
    return { out, stats };
  };
  // ranks 2-6 = d2 d3 d4 d0 d5; judged-relevant d4, d0 out; guard 0: d2 (.8) and d3 (.7) score above the positive (.5)
  const g = await run(0, new Set());
  assert.deepEqual(
    g.out.map((t) => t.negative),
    [5],
  );
  assert.equal(g.stats.guardDropped, 2);
  assert.equal(g.stats.judgedDropped, 2);
  // no guard, d2 excluded as a test passage: d3 or d5
  const n = await run(null, new Set([2]));
  assert.ok([3, 5].includes(n.out[0]!.negative));
  assert.equal(n.stats.excludedDropped, 1);
  assert.equal(n.stats.guardDropped, 0);
});

test('validation split is by query: disjoint, seeded, 20%', () => {
  const ids = Array.from({ length: 54 }, (_, i) => `q${i}`);
  const a = splitByQuery(ids, 0.2, 42);
  assert.equal(a.validation.length, 11);
  assert.equal(a.train.length, 43);
  assert.equal(new Set([...a.train, ...a.validation]).size, 54);
  assert.deepEqual(splitByQuery(ids, 0.2, 42), a);
  assert.notDeepEqual(splitByQuery(ids, 0.2, 43).validation, a.validation);
});

test('capped positives: a seeded subset in the original order, or all when fewer', () => {
  const pos = Array.from({ length: 10 }, (_, i) => ({ qid: `q${i}`, position: i }));
  assert.equal(capped(pos, 20, 1), pos);
  const c = capped(pos, 4, 1);
  assert.equal(c.length, 4);
  assert.deepEqual(
    c,
    [...c].sort((x, y) => x.position - y.position),
  );
  assert.deepEqual(capped(pos, 4, 1), c);
});

test('a training record stands for a run only when configuration, triples and evaluation all match', () => {
  const cfg = armTrainConfig(ARMS.find((a) => a.name === 'full-hard')!, 'paper-run', {
    steps: 8,
    batchSize: 4,
    seed: 42,
    model: 'default',
    warmup: 0.1,
    evalEvery: 2,
  })!;
  const rec: ArmTrainingRecord = {
    config: cfg,
    triplesSha256: 'abc',
    triples: 10,
    evalKey: 'e',
    finished: true,
    chosen: null,
    modelPath: 'x',
    trainSeconds: 1,
    dose: [],
  };
  assert.deepEqual(recordDifferences(rec, { config: cfg, triplesSha256: 'abc', triples: 10, evalKey: 'e' }), []);
  assert.deepEqual(
    recordDifferences(rec, { config: { ...cfg, seed: 7 }, triplesSha256: 'abc', triples: 10, evalKey: 'e' }),
    ['seed 42 -> 7'],
  );
  assert.deepEqual(recordDifferences(rec, { config: cfg, triplesSha256: 'def', triples: 10, evalKey: 'e' }), [
    'training triples 10 (sha256 abc) -> 10 (sha256 def)',
  ]);
  // the study's additions to the trainer's rule: the evaluation schedule and the evaluations
  assert.deepEqual(
    recordDifferences(rec, { config: { ...cfg, evalEvery: 3 }, triplesSha256: 'abc', triples: 10, evalKey: 'f' }),
    ['evalEvery 2 -> 3', 'validation/test evaluation changed'],
  );
  assert.deepEqual(
    recordDifferences({ ...rec, finished: false }, { config: cfg, triplesSha256: 'abc', triples: 10, evalKey: 'e' }),
    ['the recorded training did not finish'],
  );
  assert.deepEqual(recordDifferences(null, { config: cfg, triplesSha256: 'abc', triples: 10, evalKey: 'e' }), [
    'no finished training recorded',
  ]);
});

test('dose points: 0, 25, 50, 100% of the steps (at least step 1 after 0)', () => {
  assert.deepEqual(
    doseSteps([0, 0.25, 0.5, 1], 32).map((d) => d.step),
    [0, 8, 16, 32],
  );
  assert.deepEqual(
    doseSteps([0, 0.25, 0.5, 1], 2).map((d) => d.step),
    [0, 1, 1, 2],
  );
});

test('arms: the default study leaves out the variant recipe-l2sp; naming it gives the L2-SP anchor, and a different identity from recipe', () => {
  assert.equal(
    selectArms(undefined).some((a) => a.name === 'recipe-l2sp'),
    false,
  );
  assert.deepEqual(
    selectArms('recipe-l2sp').map((a) => a.name),
    ['base', 'recipe-l2sp'],
  );
  const shape = { steps: 8, batchSize: 4, seed: 42, model: 'default', warmup: 0.1, evalEvery: 2 };
  const l2sp = armTrainConfig(ARMS.find((a) => a.name === 'recipe-l2sp')!, 'paper-run', shape)!;
  const recipe = armTrainConfig(ARMS.find((a) => a.name === 'recipe')!, 'paper-run', shape)!;
  assert.equal(l2sp.regulariser!.kind, 'weights-l2sp');
  assert.equal(recipe.regulariser!.kind, 'embedding-cosine');
  const rec: ArmTrainingRecord = {
    config: recipe,
    triplesSha256: 'abc',
    triples: 10,
    evalKey: 'e',
    finished: true,
    chosen: null,
    modelPath: 'x',
    trainSeconds: 1,
    dose: [],
  };
  assert.match(
    recordDifferences(rec, { config: l2sp, triplesSha256: 'abc', triples: 10, evalKey: 'e' }).join(' '),
    /regulariser .*embedding-cosine.* -> .*weights-l2sp/,
  );
});

test('several random negatives per positive: distinct, as many as the pool allows, short pools counted', () => {
  const { c, qrels, run } = fixture(); // q1's candidates d1, d2, d3; d1 judged 0 (a negative), d0 the positive
  for (let seed = 0; seed < 10; seed++) {
    const stats = emptyStats();
    const t = randomNegatives({
      positives: [{ qid: 'q1', position: 0 }],
      qrels,
      run,
      collection: c,
      excluded: new Set(),
      seed,
      stats,
      count: 2,
    });
    assert.equal(t.length, 2);
    assert.equal(new Set(t.map((x) => x.negative)).size, 2, 'distinct');
    assert.ok(t.every((x) => [1, 2, 3].includes(x.negative)));
    const four = randomNegatives({
      positives: [{ qid: 'q1', position: 0 }],
      qrels,
      run,
      collection: c,
      excluded: new Set(),
      seed,
      stats,
      count: 4,
    });
    assert.deepEqual(four.map((x) => x.negative).sort(), [1, 2, 3], 'the whole pool of 3');
    assert.equal(stats.shortPools, 1);
  }
});

test("training length in epochs: steps = ceil(E x triples / batch), the arm's own epochs first", () => {
  const o = { steps: 24, epochs: 3, perArm: { 'full-hard': { epochs: 5 } }, batchSize: 4, warmup: 0.1 };
  assert.equal(unitSteps(o, { name: 'full-random' }, 10), 8); // 3 x 10 / 4 = 7.5 -> 8
  assert.equal(unitSteps(o, { name: 'full-hard' }, 10), 13); // 5 x 10 / 4 = 12.5 -> 13
  assert.equal(unitSteps({ ...o, epochs: null, perArm: undefined }, { name: 'full-hard' }, 10), 24);
  // an arm's own batch size: 3 x 10 / 2 = 15 steps
  assert.equal(unitSteps({ ...o, perArm: { 'lora-hard': { batchSize: 2 } } }, { name: 'lora-hard' }, 10), 15);
});
