// Each stage's cache key changes with every input the stage reads, and with nothing else:
// every StudyOptions field is changed in turn, and the set of fields that move the key must be
// exactly the stage's declared inputs (a missing input would reuse a stale result; an extra
// one would rerun a stage for nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../src/experiment/arms.ts';
import type { Fold } from '../../src/experiment/data.ts';
import type { StudyOptions } from '../../src/experiment/options.ts';
import { hashKey } from '../../src/experiment/stage-cache.ts';
import {
  baseRerankKey,
  candidateNegativesKey,
  collectionNegativesKey,
  denseKey,
  evaluationKey,
  finalRerankKey,
  precisionStage,
} from '../../src/experiment/stage-keys.ts';
import type { ArmTrainingRecord } from '../../src/experiment/training.ts';

const OPTIONS: StudyOptions = {
  preset: 'quick',
  data: 'data',
  output: 'out',
  config: 'paper-run',
  folds: 'one',
  arms: ARMS.slice(0, 3),
  steps: 24,
  epochs: null,
  negativesPerPositive: 1,
  batchSize: 16,
  warmup: 0.1,
  seed: 42,
  seeds: 1,
  sweeps: false,
  equivalenceMargin: 0.02,
  alpha: 0.05,
  assumedSd: 0.05,
  validationFraction: 0.2,
  dose: [0, 0.5, 1],
  rerankDepth: 100,
  validationDepth: 30,
  miningDepth: 100,
  protocols: ['rerank'],
  miningPool: 'candidates',
  guardMargin: 0,
  timingQueries: 10,
  timingRepeats: 1,
  geometryPairs: 10,
  umap: true,
  paperTriples: 1000,
  model: 'default',
  precision: 'fp32',
  device: 'cpu',
  cacheDir: null,
  onMismatch: 'retrain',
  log: () => {},
  progress: () => ({ update: () => {} }),
};

/** Another value for every field (each differs from OPTIONS). */
const CHANGED: { [K in keyof StudyOptions]-?: StudyOptions[K] } = {
  preset: 'paper',
  data: 'elsewhere',
  output: 'out2',
  config: 'paper-text',
  folds: 'both',
  arms: ARMS.slice(0, 4),
  steps: 25,
  epochs: 3,
  perArm: { 'full-hard': { epochs: 5 } },
  negativesPerPositive: 2,
  batchSize: 8,
  warmup: 0.2,
  seed: 7,
  seeds: 3,
  sweeps: true,
  equivalenceMargin: 0.01,
  alpha: 0.1,
  assumedSd: 0.03,
  validationFraction: 0.3,
  dose: [0, 1],
  rerankDepth: 50,
  validationDepth: 20,
  miningDepth: 60,
  protocols: ['dense'],
  miningPool: 'pool',
  guardMargin: null,
  timingQueries: 0,
  timingRepeats: 2,
  geometryPairs: 0,
  umap: false,
  paperTriples: 500,
  model: 'other',
  precision: 'bf16',
  device: 'cuda',
  cacheDir: 'cache',
  onMismatch: 'error',
  parallel: 'data',
  gracefully: (fn) => fn(new AbortController().signal),
  log: (line) => void line,
  progress: () => ({ update: (d) => void d }),
};

type FoldInputs = Pick<Fold, 'name' | 'files' | 'minGrade' | 'validation' | 'testRun'>;
const FOLD: FoldInputs = {
  name: 'dl20->dl19',
  files: [{ role: 'collection', path: 'c.tsv', sha256: 'aaa', lines: 3 }],
  minGrade: 2,
  validation: { queries: new Map([['q1', 'one']]), qrels: new Map() },
  testRun: { format: 'trec', queries: new Map(), source: 'run' },
};

/** The option fields whose change moves the key. */
function movers(key: (o: StudyOptions) => unknown): string[] {
  const base = hashKey(key(OPTIONS));
  return (Object.keys(CHANGED) as (keyof StudyOptions)[])
    .filter((k) => hashKey(key({ ...OPTIONS, [k]: CHANGED[k] })) !== base)
    .sort();
}

test('negatives keys: exactly the options each miner reads, the fold files and the base model', () => {
  assert.deepEqual(
    movers((o) => candidateNegativesKey(FOLD, o, 'base')),
    [
      'batchSize',
      'epochs',
      'guardMargin',
      'miningDepth',
      'miningPool',
      'negativesPerPositive',
      'seed',
      'seeds',
      'steps',
      'validationFraction',
    ],
  );
  assert.deepEqual(
    movers((o) => collectionNegativesKey(FOLD, o, 'base')),
    ['guardMargin', 'paperTriples', 'seed', 'seeds', 'validationFraction'],
  );
  const k = (fold: FoldInputs, baseId: string) => hashKey(candidateNegativesKey(fold, OPTIONS, baseId));
  const other = { ...FOLD, files: [{ ...FOLD.files[0]!, sha256: 'bbb' }] };
  assert.notEqual(k(other, 'base'), k(FOLD, 'base'));
  assert.notEqual(k({ ...FOLD, minGrade: 1 }, 'base'), k(FOLD, 'base'));
  assert.notEqual(k(FOLD, 'another base'), k(FOLD, 'base'));
  assert.notEqual(
    hashKey(collectionNegativesKey(other, OPTIONS, 'base')),
    hashKey(collectionNegativesKey(FOLD, OPTIONS, 'base')),
  );
});

test('evaluation keys: depths, dose and protocols for the arms; the test depth and precision for the base', () => {
  assert.deepEqual(
    movers((o) => evaluationKey(FOLD, o, ['nDCG@10'], 'base')),
    ['dose', 'protocols', 'rerankDepth', 'validationDepth'],
  );
  assert.deepEqual(
    movers((o) => baseRerankKey(FOLD, o, ['nDCG@10'], 'base')),
    ['precision', 'rerankDepth'],
  );
  const e = (over: Partial<FoldInputs>, metrics = ['nDCG@10'], baseId = 'base') =>
    evaluationKey({ ...FOLD, ...over }, OPTIONS, metrics, baseId);
  const e0 = e({});
  assert.notEqual(e({ validation: { queries: new Map([['q2', 'two']]), qrels: new Map() } }), e0);
  assert.notEqual(e({ testRun: null }), e0);
  assert.notEqual(e({}, ['RR@10']), e0);
  assert.notEqual(e({}, undefined, 'another base'), e0);
  const b = (metrics: string[], baseId: string) => hashKey(baseRerankKey(FOLD, OPTIONS, metrics, baseId));
  assert.notEqual(b(['RR@10'], 'base'), b(['nDCG@10'], 'base'));
  assert.notEqual(b(['nDCG@10'], 'x'), b(['nDCG@10'], 'base'));
});

test("a trained arm's final evaluations change with each field of its training record", () => {
  const record: ArmTrainingRecord = {
    config: { seed: 42 } as ArmTrainingRecord['config'],
    triplesSha256: 'abc',
    triples: 10,
    evalKey: 'e',
    finished: true,
    chosen: { step: 2, metric: 'nDCG@10', value: 0.5 },
    modelPath: 'm/best',
    trainSeconds: 1,
    dose: [],
  };
  const variants: Partial<ArmTrainingRecord>[] = [
    { config: { seed: 7 } as ArmTrainingRecord['config'] },
    { triplesSha256: 'def' },
    { chosen: { step: 4, metric: 'nDCG@10', value: 0.5 } },
  ];
  const r0 = hashKey(finalRerankKey({ modelPath: 'm/best', record }, 'fp32'));
  const d0 = hashKey(denseKey(FOLD, record, ['nDCG@10'], 'base', 'fp32'));
  for (const v of variants) {
    assert.notEqual(hashKey(finalRerankKey({ modelPath: 'm/best', record: { ...record, ...v } }, 'fp32')), r0);
    assert.notEqual(hashKey(denseKey(FOLD, { ...record, ...v }, ['nDCG@10'], 'base', 'fp32')), d0);
  }
  assert.notEqual(hashKey(finalRerankKey({ modelPath: 'm/best', record: { ...record, evalKey: 'f' } }, 'fp32')), r0);
  assert.notEqual(hashKey(finalRerankKey({ modelPath: 'm', record }, 'fp32')), r0);
  // time spent is not an input
  assert.equal(hashKey(finalRerankKey({ modelPath: 'm/best', record: { ...record, trainSeconds: 9 } }, 'fp32')), r0);
  assert.notEqual(hashKey(denseKey(FOLD, record, ['RR@10'], 'base', 'fp32')), d0);
  // the base model's dense evaluation follows its identity
  assert.notEqual(
    hashKey(denseKey(FOLD, null, ['nDCG@10'], 'x', 'fp32')),
    hashKey(denseKey(FOLD, null, ['nDCG@10'], 'base', 'fp32')),
  );
});

test('--precision moves exactly the evaluation keys: training and mining are shared between precisions', () => {
  // the stages training reads (negatives, the evaluation schedule recorded with each arm) do not move
  assert.ok(!movers((o) => candidateNegativesKey(FOLD, o, 'base')).includes('precision'));
  assert.ok(!movers((o) => collectionNegativesKey(FOLD, o, 'base')).includes('precision'));
  assert.ok(!movers((o) => evaluationKey(FOLD, o, ['nDCG@10'], 'base')).includes('precision'));
  const record = {
    config: { seed: 42 },
    triplesSha256: 'abc',
    chosen: null,
    evalKey: 'e',
  } as unknown as ArmTrainingRecord;
  const arm = { modelPath: 'm', record };
  // each precision its own key for the base's and the arms' test evaluations (re-rank and dense)
  const keys = (['fp32', 'bf16', 'int8'] as const).map((p) => [
    hashKey(baseRerankKey(FOLD, { ...OPTIONS, precision: p }, ['nDCG@10'], 'base')),
    hashKey(finalRerankKey(arm, p)),
    hashKey(denseKey(FOLD, record, ['nDCG@10'], 'base', p)),
    hashKey(denseKey(FOLD, null, ['nDCG@10'], 'base', p)),
  ]);
  assert.equal(new Set(keys.flat()).size, 12);
  // fp32 keeps the keys it had before the flag existed: earlier run folders' results stay valid
  assert.deepEqual(baseRerankKey(FOLD, OPTIONS, ['nDCG@10'], 'base'), {
    fold: ['aaa'],
    depth: 100,
    metrics: ['nDCG@10'],
    baseId: 'base',
  });
  assert.equal('precision' in finalRerankKey(arm, 'fp32'), false);
  // and its own stage file, so alternating precisions do not evict each other's results
  assert.equal(precisionStage('eval.x.rerank.base', 'fp32'), 'eval.x.rerank.base');
  assert.equal(precisionStage('eval.x.rerank.base', 'bf16'), 'eval.x.rerank.base.bf16');
});
