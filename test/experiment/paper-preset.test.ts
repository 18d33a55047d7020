// `ftlab study --preset paper` end to end on a generated miniature of the MS MARCO directory
// (official file names and formats), with a tiny model and a few steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';
import { REPO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { writeMsmarcoMiniature } from '../helpers/msmarco-miniature.ts';
import type { StudyResults } from '../../src/report/schema.ts';

const KEYS = ['config', 'retrieval', 'dose', 'timing', 'training', 'geometry', 'curves', 'environment'] as const;

test('paper preset on the miniature: every stage runs, results.json is complete, test passages never train', async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'));
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const args = [
    'study',
    '--preset',
    'paper',
    '--data',
    mini.dir,
    '--output',
    out,
    '--model',
    model,
    '--steps',
    '3',
    '--batch-size',
    '4',
    '--warmup',
    '1',
    '--paper-triples',
    '300',
    '--timing-queries',
    '20',
    '--timing-repeats',
    '1',
    '--geometry-pairs',
    '12',
    '--no-umap',
    '--device',
    'cpu',
    '--threads',
    '1',
    '--arms',
    'full-random,full-hard,lora-hard,recipe',
    '--cache-dir',
    join(root, 'cache'),
  ];
  const r = ftlab(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /study plan \(preset paper/);
  assert.match(r.stderr, /estimated total: ~/);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  for (const k of KEYS) assert.ok(res[k] !== null && res[k] !== undefined, `results.json ${k} is empty`);
  assert.equal(res.config.preset, 'paper-run'); // --preset paper is paper-run
  assert.deepEqual(res.config.metrics, ['RR@10', 'RR@100', 'nDCG@10', 'R@100']);
  const dense = res.retrieval.find((s) => s.protocol === 'dense')!;
  assert.deepEqual(
    dense.table.rows.map((x) => x.model),
    ['base', 'full-random', 'full-hard', 'lora-hard', 'recipe'],
  );
  assert.equal(dense.table.queries, mini.devQueries);
  assert.equal(res.training.length, 4);
  assert.ok(res.training.every((t) => t.steps === 3));
  assert.ok(res.timing!.rows.some((x) => x.variant === 'lora-merged'));
  // Table II: the base also under the paper code's clock (synthetic vectors read from a temporary .npy)
  assert.ok(res.timing!.rows.some((x) => x.variant === 'base' && x.protocol === 'paper'));
  // what LoRA trains, counted from the tiny model's shapes: 2 layers x 2 modules x 16 x (16 + 16)
  assert.equal(res.config.lora?.trainable, 2 * 2 * 16 * (16 + 16));
  assert.match(
    readFileSync(join(out, 'report.md'), 'utf8'),
    /LoRA \(r=16, alpha 32, on query and value\) trains 2048 weights/,
  );
  assert.equal(res.geometry!.models.length, 5);
  assert.ok(existsSync(join(out, 'report.md')) && existsSync(join(out, 'report.html')));
  // hygiene: no passage judged for a dev query appears in any training triple
  const devPids = new Set(
    readFileSync(join(mini.dir, 'qrels.dev.small.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[2]!),
  );
  const texts = new Map(
    readFileSync(join(mini.dir, 'collection.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.split('\t')[0]!, l.split('\t')[1]!]),
  );
  const devTexts = new Set([...devPids].map((p) => texts.get(p)!));
  for (const f of ['paper.train.random.tsv', 'paper.train.hard.tsv']) {
    const rows = readFileSync(join(out, 'triples', f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.ok(rows.length >= 4, `${f}: ${rows.length} triples`);
    for (const [, pos, neg] of rows)
      assert.ok(!devTexts.has(pos!) && !devTexts.has(neg!), `${f} uses a dev-judged passage`);
  }
  // rerun with the same flags: nothing retrained, every stage reused
  const again = ftlab(args);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /retraining/);
  assert.match(again.stderr, /reusing the finished training/);
  // --device passes through to the engine: a CUDA request on a machine without one fails in one line
  if (!/cuda/i.test(process.env.FTLAB_TEST_DEVICE ?? '')) {
    assertOneLineError(ftlab([...args.filter((a) => a !== 'cpu' && a !== '--device'), '--device', 'cuda']), /cuda/i);
  }
});

test('validate, then create: a damaged data file leaves no run folder; an earlier run folder is kept', async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'), { passages: 200, trainQueries: 40, devQueries: 8 });
  const model = writeTinyModel(join(root, 'model'));
  const study = (out: string): string[] => [
    'study',
    '--preset',
    'paper',
    '--data',
    mini.dir,
    '--output',
    out,
    '--model',
    model,
    '--steps',
    '2',
    '--batch-size',
    '2',
    '--paper-triples',
    '20',
    '--timing-queries',
    '0',
    '--geometry-pairs',
    '0',
    '--arms',
    'full-random',
    '--threads',
    '1',
    '--quiet',
    '--cache-dir',
    join(root, 'cache'),
  ];
  const qrels = join(mini.dir, 'qrels.dev.small.tsv');
  const goodQrels = readFileSync(qrels, 'utf8');
  writeFileSync(qrels, `${goodQrels}500001\t0\tP9\tone\n`);
  const n = goodQrels.trim().split('\n').length + 1;
  assertOneLineError(ftlab(study(join(root, 'run1'))), new RegExp(`qrels\\.dev\\.small\\.tsv:${n}:`));
  assert.equal(existsSync(join(root, 'run1')), false, 'a bad qrels line left a run folder');
  writeFileSync(qrels, goodQrels);
  // the triples archive is read after the run folder exists (sampling is a stage): a damaged one removes it
  const triples = join(mini.dir, 'triples.train.small.tar.gz');
  const goodTriples = readFileSync(triples);
  writeFileSync(triples, goodTriples.subarray(0, goodTriples.length - 12));
  assertOneLineError(ftlab(study(join(root, 'run2'))), /triples\.train\.small\.tar\.gz/);
  assert.equal(existsSync(join(root, 'run2')), false, 'a truncated triples archive left a run folder');
  // an existing folder (an earlier run's caches) is kept on failure
  mkdirSync(join(root, 'run3', 'stages'), { recursive: true });
  writeFileSync(join(root, 'run3', 'stages', 'earlier.json'), '{}');
  assertOneLineError(ftlab(study(join(root, 'run3'))), /triples\.train\.small\.tar\.gz/);
  assert.ok(existsSync(join(root, 'run3', 'stages', 'earlier.json')), "an earlier run's cache was removed");
  rmSync(mini.dir, { recursive: true, force: true });
  assertOneLineError(ftlab(study(join(root, 'run4'))), /collection\.tsv not found/);
  assert.equal(existsSync(join(root, 'run4')), false);
});

/** The arm folder (models/FOLD/ARM) under a run folder, found by its name. */
function armDir(run: string, arm: string): string | null {
  const models = join(run, 'models');
  if (!existsSync(models)) return null;
  // the first seed's unit: models/<fold>/<arm>/seed-0
  for (const fold of readdirSync(models))
    if (existsSync(join(models, fold, arm, 'seed-0'))) return join(models, fold, arm, 'seed-0');
  return null;
}

/**
 * Polls the arm's log.jsonl: the test's own clock at the first step line of this process and
 * when `until` holds. `stale` lines are a killed process's: they count once the log restarted.
 */
async function watchSteps(
  run: string,
  stale: number,
  until: (steps: number) => boolean,
  exited: () => boolean,
): Promise<{ first: number; last: number }> {
  let first = Number.NaN;
  let restarted = stale === 0;
  for (;;) {
    const dir = armDir(run, 'full-random');
    const log = dir ? join(dir, 'log.jsonl') : '';
    const steps = log && existsSync(log) ? readFileSync(log, 'utf8').split('"type":"step"').length - 1 : 0;
    const now = performance.now();
    if (steps < stale) restarted = true;
    if (restarted && steps > 0 && Number.isNaN(first)) first = now;
    if ((restarted && until(steps)) || exited()) return { first, last: now };
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('kill -9 during an arm: the resumed arm records the killed process training time too', async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'), { passages: 200, trainQueries: 40, devQueries: 8 });
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const STEPS = 120;
  const args = [
    join(REPO, 'bin', 'ftlab.js'),
    'study',
    '--preset',
    'paper',
    '--data',
    mini.dir,
    '--output',
    out,
    '--model',
    model,
    '--steps',
    String(STEPS),
    '--batch-size',
    '2',
    '--paper-triples',
    '100',
    '--timing-queries',
    '0',
    '--geometry-pairs',
    '0',
    '--arms',
    'full-random',
    '--threads',
    '1',
    '--quiet',
    '--cache-dir',
    join(root, 'cache'),
  ];
  const run = async (kill: boolean): Promise<{ first: number; last: number; code: number | null }> => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    let code: number | null | undefined;
    const exited = new Promise<void>((res) =>
      child.on('exit', (c) => {
        code = c;
        res();
      }),
    );
    const stale = kill
      ? 0
      : (readFileSync(join(armDir(out, 'full-random')!, 'log.jsonl'), 'utf8').match(/"type":"step"/g) ?? []).length;
    // no checkpoint was due yet (every 10 minutes), so the resumed arm starts its log again from step 1
    const w = await watchSteps(
      out,
      stale,
      (s) => s >= (kill ? STEPS / 2 : STEPS),
      () => code !== undefined,
    );
    if (kill) child.kill('SIGKILL');
    await exited;
    return { first: w.first, last: w.last, code: code ?? null };
  };
  const killed = await run(true);
  assert.equal(killed.code, null, 'the study was killed before the arm finished');
  const resumed = await run(false);
  assert.equal(resumed.code, 0);
  const record = JSON.parse(readFileSync(join(armDir(out, 'full-random')!, 'study-training.json'), 'utf8')) as {
    finished: boolean;
    trainSeconds: number;
  };
  assert.equal(record.finished, true);
  // independent figure: the test's clock between the first and last step each process logged
  const lower = (killed.last - killed.first + resumed.last - resumed.first) / 1000;
  assert.ok(
    record.trainSeconds >= lower * 0.95,
    `recorded ${record.trainSeconds.toFixed(2)} s, but the two processes logged steps for ${lower.toFixed(2)} s`,
  );
});
