// The plan's arithmetic on a worked fold: each run's cost (triples x the arm's cost per triple,
// test snapshots, validations), a swept arm's first seed being its sweep's chosen run, the
// dose curve snapshot at the first seed only, and the units' time shared across workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../src/experiment/arms.ts';
import { tripletCost } from '../../src/experiment/arm-shape.ts';
import type { Fold } from '../../src/experiment/data.ts';
import type { StudyOptions } from '../../src/experiment/options.ts';
import { formatPlan, planStudy } from '../../src/experiment/plan.ts';
import { STANDARD } from '../../src/experiment/presets.ts';

const arm = (name: string) => ARMS.find((a) => a.name === name)!;

/** A fold of 2 test queries with 50 candidates each (100 passages) and 1 validation query with 20. */
function fold(): Fold {
  const run = (ids: string[], n: number) => new Map(ids.map((q) => [q, Array.from({ length: n }, (_, i) => i)]));
  return {
    name: 'a->b',
    test: {
      queries: new Map([
        ['t1', ''],
        ['t2', ''],
      ]),
    },
    validation: { queries: new Map([['v1', '']]) },
    testRun: { queries: run(['t1', 't2'], 50) },
    trainRun: { queries: run(['v1'], 20) },
    collection: { size: 1000 },
  } as unknown as Fold;
}

function options(over: Partial<StudyOptions>): StudyOptions {
  return {
    ...STANDARD.defaults,
    preset: 'standard',
    config: 'paper-run',
    seed: 42,
    precision: 'fp32',
    umap: false,
    timingQueries: 0,
    geometryPairs: 0,
    epochs: null,
    steps: 10,
    batchSize: 4,
    perArm: {},
    dose: [0, 0.5, 1],
    ...over,
  } as unknown as StudyOptions;
}

const throughput = { passagesPerSecond: 10, sample: 256 };
const work = { miningPassages: 0, triples: () => 40 };

test('a run costs its triples, its test snapshots and its validations; later seeds snapshot the final model only', () => {
  const o = options({ arms: [arm('base'), arm('full-random')], seeds: 3, sweeps: false });
  const lines = planStudy([fold()], o, throughput, work);
  const train = lines.find((l) => l.stage.includes('train full-random'))!;
  // one run: 10 steps x 4 triples x the cost of a full fine-tuning triplet, validations
  // (min(10, 4) + 1) x 20 = 100; first seed: 2 snapshots (steps 5 and 10) x 100; two later seeds: 1 snapshot each
  const run = 10 * 4 * tripletCost(arm('full-random'));
  assert.equal(train.passages, 3 * (run + 100) + (2 + 1 + 1) * 100);
  assert.match(train.stage, /3 seeds x .* \+ 4 test snapshots \+ 15 validations/);
  assert.equal(train.spread, true);
  assert.equal(lines.find((l) => l.stage.includes('base on the test fold'))!.passages, 100);
});

test("a swept arm: every value's run with the dose curve, the chosen one being the first seed, at LoRA's cost a triple", () => {
  const o = options({ arms: [arm('base'), arm('lora-hard-lr1e-3')], seeds: 2, sweeps: true });
  const lines = planStudy([fold()], o, throughput, work);
  const sweep = lines.find((l) => l.stage.includes('sweep lora-hard-lr1e-3'))!;
  // 2 values x (10 steps x 4 triples x LoRA's cost + 2 snapshots x 100 + 5 validations x 20)
  const run = 10 * 4 * tripletCost(arm('lora-hard-lr1e-3'));
  assert.equal(sweep.passages, 2 * (run + 200 + 100));
  const later = lines.find((l) => l.stage.includes('train lora-hard-lr1e-3'))!;
  assert.match(later.stage, /1 more seed x /);
  assert.equal(later.passages, run + 100 + 100);
  // one seed: the sweep's runs are all the training there is
  const one = planStudy([fold()], { ...o, seeds: 1 }, throughput, work);
  assert.equal(one.filter((l) => l.stage.includes('train lora-hard-lr1e-3')).length, 0);
});

test('across workers the units share their time; the shared stages do not', () => {
  const lines = [
    { stage: 'shared', passages: 1000, seconds: 100 },
    { stage: 'units', passages: 4000, seconds: 400, spread: true },
  ];
  const o = options({ arms: [arm('base')] });
  const one = formatPlan(lines, throughput, o);
  assert.ok(one.some((l) => l.includes('estimated total: ~8m20s')));
  assert.ok(!one.some((l) => l.includes('across')));
  const two = formatPlan(lines, throughput, o, 2);
  assert.ok(
    two.some((l) => l.includes('across 2 workers (each measured as above): ~5m00s')),
    two.join('\n'),
  );
});
