// The paper preset's two variants as values (presets.ts): `paper-run` (the paper's code: batch
// 1024 for full fine-tuning, 512 for LoRA, warm-up 10%) and `paper-text` (batch 128, 1,000
// warm-up steps), both 3 epochs with full-hard 5. The plan printed at start shows each arm's
// numbers; a flag sets its value for every arm. Each seed samples its own triples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectArms } from '../../src/experiment/arms.ts';
import { closeContext, openContext } from '../../src/experiment/context.ts';
import { seedTriples, type NegativesOutput } from '../../src/experiment/negatives-stage.ts';
import type { StudyOptions } from '../../src/experiment/options.ts';
import { PAPER_RUN } from '../../src/experiment/presets.ts';
import { ftlab } from '../helpers/cli.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { writeMsmarcoMiniature } from '../helpers/msmarco-miniature.ts';

const TRIPLES = 3000;

/** The plan's training line of each arm: "train ARM (E epochs = S steps x B, warm-up W)". */
function armLines(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/train (\S+) \(([^)]*)\)/g)) out.set(m[1]!, m[2]!);
  return out;
}

test('paper-run and paper-text plans show each arm its epochs, batch and warm-up; paper is paper-run', async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'), { passages: 200, trainQueries: 40, devQueries: 8 });
  const model = writeTinyModel(join(root, 'model'));
  const plan = (preset: string, ...extra: string[]) => {
    const r = ftlab([
      'study',
      '--preset',
      preset,
      '--plan',
      '--data',
      mini.dir,
      '--output',
      join(root, `run-${preset}`),
      '--model',
      model,
      '--threads',
      '1',
      '--paper-triples',
      String(TRIPLES),
      '--arms',
      'full-random,full-hard,lora-hard',
      '--timing-queries',
      '0',
      '--geometry-pairs',
      '0',
      '--cache-dir',
      join(root, 'cache'),
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stderr;
  };
  // worked: steps = ceil(epochs x 3000 / batch); 10% warm-up = ceil(0.1 x steps)
  const run = plan('paper-run');
  assert.match(run, /study plan \(preset paper-run, config paper-run/);
  assert.deepEqual(Object.fromEntries(armLines(run)), {
    'full-random': '3 epochs = 9 steps x 1024, warm-up 10% = 1 steps', // 9000 / 1024 = 8.8 -> 9
    'full-hard': '5 epochs = 15 steps x 1024, warm-up 10% = 2 steps', // 15000 / 1024 = 14.6 -> 15
    'lora-hard': '3 epochs = 18 steps x 512, warm-up 10% = 2 steps', // 9000 / 512 = 17.6 -> 18
  });
  const text = plan('paper-text');
  assert.match(text, /study plan \(preset paper-text, config paper-text/);
  assert.deepEqual(Object.fromEntries(armLines(text)), {
    'full-random': '3 epochs = 71 steps x 128, warm-up 1000 steps', // 9000 / 128 = 70.3 -> 71
    'full-hard': '5 epochs = 118 steps x 128, warm-up 1000 steps', // 15000 / 128 = 117.2 -> 118
    'lora-hard': '3 epochs = 71 steps x 128, warm-up 1000 steps',
  });
  // the alias names the variant it stands for
  assert.match(plan('paper'), /study plan \(preset paper-run, config paper-run/);
  // flags set their value for every arm; the per-arm epochs stay
  assert.deepEqual(Object.fromEntries(armLines(plan('paper-run', '--batch-size', '100', '--warmup', '5'))), {
    'full-random': '3 epochs = 90 steps x 100, warm-up 5 steps',
    'full-hard': '5 epochs = 150 steps x 100, warm-up 5 steps',
    'lora-hard': '3 epochs = 90 steps x 100, warm-up 5 steps',
  });
  assert.deepEqual(Object.fromEntries(armLines(plan('paper-run', '--epochs', '1'))), {
    'full-random': '1 epochs = 3 steps x 1024, warm-up 10% = 1 steps',
    'full-hard': '1 epochs = 3 steps x 1024, warm-up 10% = 1 steps',
    'lora-hard': '1 epochs = 6 steps x 512, warm-up 10% = 1 steps',
  });
});

test('the paper preset draws its triples per seed: two seeds differ, the same seed gives the same triples', async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'), { passages: 200, trainQueries: 40, devQueries: 8 });
  const model = writeTinyModel(join(root, 'model'));
  const negatives = async (seed: number, seeds: number, output: string): Promise<NegativesOutput> => {
    const o: StudyOptions = {
      ...PAPER_RUN.defaults,
      preset: 'paper-run',
      data: mini.dir,
      output,
      config: 'paper-run',
      precision: 'fp32',
      arms: selectArms('full-random,full-hard'),
      seed,
      seeds,
      equivalenceMargin: 0.02,
      alpha: 0.05,
      assumedSd: 0.05,
      miningPool: 'candidates',
      guardMargin: 0,
      umap: false,
      paperTriples: 120,
      model,
      device: 'cpu',
      cacheDir: null,
      onMismatch: 'retrain',
      log: () => {},
      progress: () => ({ update: () => {} }),
    };
    const [fold] = await PAPER_RUN.loadFolds(o);
    const ctx = openContext(o, PAPER_RUN.metrics);
    try {
      return await PAPER_RUN.negatives(ctx, fold!);
    } finally {
      closeContext(ctx);
    }
  };
  const two = await negatives(42, 2, join(root, 'two'));
  assert.equal(two.bySeed?.length, 2);
  const [s0, s1] = [seedTriples(two, 0), seedTriples(two, 1)];
  for (const kind of ['train-random', 'train-hard'] as const) {
    assert.ok(s0[kind].count > 0 && s1[kind].count > 0, `${kind}: no triples`);
    assert.notEqual(s0[kind].sha256, s1[kind].sha256, `${kind}: seeds 42 and 43 drew the same triples`);
    assert.notEqual(s0[kind].path, s1[kind].path);
  }
  // the same --seed and --seeds in another run folder: the same triples for each seed
  const rerun = await negatives(42, 2, join(root, 'again'));
  for (const k of [0, 1])
    for (const kind of ['train-random', 'train-hard'] as const) {
      const [a, b] = [seedTriples(rerun, k)[kind], seedTriples(two, k)[kind]];
      assert.equal(a.sha256, b.sha256, `seed index ${k} ${kind} differs between runs`);
      assert.equal(readFileSync(a.path, 'utf8'), readFileSync(b.path, 'utf8'));
    }
  // the first seed's triples do not depend on how many seeds follow (the split is --seed's)
  const one = seedTriples(await negatives(42, 1, join(root, 'one')), 0);
  assert.equal(one['train-hard'].sha256, s0['train-hard'].sha256);
  assert.equal(one['train-random'].sha256, s0['train-random'].sha256);
});
