// The plan's arithmetic on a worked fold: each run's cost (triples x the arm's cost per triple,
// test snapshots, validations), a swept arm's first seed being its sweep's chosen run, the
// dose curve snapshot at the first seed only, the base's validation once a fold (every unit's
// step 0), and the wall time across workers projected phase by phase, longest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS } from '../../src/experiment/arms.ts';
import { tripletCost } from '../../src/experiment/arm-shape.ts';
import type { Fold } from '../../src/experiment/data.ts';
import type { StudyOptions } from '../../src/experiment/options.ts';
import { formatPlan, makespan, planStudy, projectWall, type PlanLine } from '../../src/experiment/plan.ts';
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
  // one run: 10 steps x 4 triples x the cost of a full fine-tuning triplet, validations after
  // step 0 min(10, 4) x 20 = 80; first seed: 2 snapshots (steps 5 and 10) x 100; two later seeds: 1 snapshot each
  const run = 10 * 4 * tripletCost(arm('full-random'));
  assert.equal(train.passages, 3 * (run + 80) + (2 + 1 + 1) * 100);
  assert.match(train.stage, /3 seeds x .* \+ 4 test snapshots \+ 12 validations/);
  assert.equal(train.phase, 'units');
  assert.deepEqual(
    train.pieces,
    [run + 80 + 200, run + 80 + 100, run + 80 + 100].map((p) => p / 10),
  );
  assert.equal(lines.find((l) => l.stage.includes('base on the test fold'))!.passages, 100);
  // step 0 of every unit: the base on the validation queries, once (normalised and not)
  assert.equal(lines.find((l) => l.stage.includes('base on the validation queries'))!.passages, 40);
});

test("a swept arm: every value's run with the dose curve, the chosen one being the first seed, at LoRA's cost a triple", () => {
  const o = options({ arms: [arm('base'), arm('lora-hard-lr1e-3')], seeds: 2, sweeps: true });
  const lines = planStudy([fold()], o, throughput, work);
  const sweep = lines.find((l) => l.stage.includes('sweep lora-hard-lr1e-3'))!;
  // 2 values x (10 steps x 4 triples x LoRA's cost + 2 snapshots x 100 + 4 validations x 20)
  const run = 10 * 4 * tripletCost(arm('lora-hard-lr1e-3'));
  assert.equal(sweep.passages, 2 * (run + 200 + 80));
  assert.equal(sweep.phase, 'sweeps');
  assert.equal(sweep.pieces?.length, 2);
  const later = lines.find((l) => l.stage.includes('train lora-hard-lr1e-3'))!;
  assert.match(later.stage, /1 more seed x /);
  assert.equal(later.passages, run + 100 + 80);
  // one seed: the sweep's runs are all the training there is
  const one = planStudy([fold()], { ...o, seeds: 1 }, throughput, work);
  assert.equal(one.filter((l) => l.stage.includes('train lora-hard-lr1e-3')).length, 0);
});

test('across workers: each phase claimed longest first, the folds prepared side by side, the analysis on rank 0', () => {
  const lines: PlanLine[] = [
    { stage: 'mine a', passages: 0, seconds: 70, phase: 'prepare', fold: 'a' },
    { stage: 'base a', passages: 0, seconds: 30, phase: 'prepare', fold: 'a' },
    { stage: 'mine b', passages: 0, seconds: 60, phase: 'prepare', fold: 'b' },
    { stage: 'units', passages: 0, seconds: 700, phase: 'units', pieces: [100, 300, 100, 200] },
    { stage: 'timing', passages: 0, seconds: 50, phase: 'analysis' },
  ];
  // one worker: the sum
  assert.equal(projectWall(lines, 1), 910);
  // two: fold a's 100 s beside fold b's 60; units 300 | 200 + 100, then 100 on either: 400; analysis 50
  assert.equal(projectWall(lines, 2), 550);
  // data-parallel: rank 0 prepares both folds (160), every unit on both workers together (700 / 2)
  assert.equal(projectWall(lines, 2, 'data'), 560);
  const o = options({ arms: [arm('base')] });
  const withPassages = lines.map((l) => ({ ...l, passages: 1 }));
  const one = formatPlan(withPassages, throughput, o);
  assert.ok(one.some((l) => l.includes('estimated total: ~15m10s')));
  assert.ok(!one.some((l) => l.includes('across')));
  const two = formatPlan(withPassages, throughput, o, 2);
  assert.ok(
    two.some((l) => l.includes('across 2 workers (each measured as above): ~9m10s')),
    two.join('\n'),
  );
});

test("another precision's and dense retrieval's evaluations run inside their unit's piece; the base's dense is a piece", () => {
  const o = options({
    arms: [arm('base'), arm('full-random')],
    seeds: 2,
    sweeps: false,
    precision: 'bf16',
    protocols: ['rerank', 'dense'],
  });
  const lines = planStudy([fold()], o, { ...throughput, evaluation: 20 }, work);
  const train = lines.find((l) => l.stage.includes('train full-random'))!;
  const run = 10 * 4 * tripletCost(arm('full-random')) + 80;
  // each unit: its training at 10 passages/s, then chosen and final (2 x 100) and the collection (1000) at 20/s
  const after = (2 * 100 + 1000) / 20;
  assert.deepEqual(train.pieces, [(run + 200) / 10 + after, (run + 100) / 10 + after]);
  assert.match(train.stage, /\+ chosen and final checkpoints in bf16 \+ dense over the collection$/);
  assert.deepEqual(lines.find((l) => l.stage.includes('base, dense'))!.pieces, [1000 / 20]);
});

test("the makespan is the claim order's (longest first to the worker free soonest), not the best split", () => {
  // 5 | 4, then 3 to the second (7), 3 to the first (8), 3 to the second (10); 5+4 | 3+3+3 would be 9
  assert.equal(makespan([3, 5, 3, 4, 3], 2), 10);
  assert.equal(makespan([3, 5, 3, 4, 3], 1), 18);
  assert.equal(makespan([], 2), 0);
});
