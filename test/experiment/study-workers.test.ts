// `ftlab launch --nproc 2 -- study`: the study's units (arm x seed x fold, and the base's
// evaluations) claimed by 2 Gloo workers on localhost through the process group's store, each
// unit run exactly once; results.json equals a single-process run's field by field (clocks,
// paths and timing measurements aside); a rerun after one unit's files are deleted recomputes
// that unit only, and gives the same numbers again; a worker killed mid-study ends the other
// with one line, exit 1, and a rerun finishes the missing units, reusing the finished ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { distributedInfo } from '../../src/engine/index.ts';
import type { StudyResults } from '../../src/report/schema.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';
import { writeManifestMiniature } from '../helpers/manifest-miniature.ts';
import { rankPid } from '../helpers/ranks.ts';
import { REPO, tinyConfig, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

const skip = distributedInfo().gloo ? false : 'this engine build has no c10d/Gloo (libtorch 1.13 or no libgloo-dev)';

// one thread in both runs: each of 2 workers on this machine gets cores / 2, and the numbers must match
const TINY = ['--steps', '4', '--batch-size', '4', '--seeds', '2', '--no-umap', '--threads', '1', '--device', 'cpu'];
const ARMS = ['--arms', 'full-random,lora-hard', '--timing-queries', '0', '--geometry-pairs', '0'];
// with a sweep: its two values are spread too, and the chosen value's run is lora-hard-lr1e-3's first seed
const SWEPT = ['--arms', 'full-random,lora-hard-lr1e-3', '--sweeps', '--timing-queries', '0', '--geometry-pairs', '0'];
const UNITS = [
  'base evaluations (train->test)',
  ...['full-random', 'lora-hard-lr1e-3'].flatMap(seeds),
  ...['0.0002', '0.001'].map((v) => `sweep lora-hard-lr1e-3 lr ${v} (train->test)`),
];

function seeds(arm: string): string[] {
  return [42, 43].map((s) => `${arm} seed ${s} (train->test)`);
}

function read(run: string): StudyResults {
  return JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as StudyResults;
}

/**
 * results.json without what differs between two runs of the same study: the environment (clocks,
 * stage timings), the timing measurements, training seconds, and the run folder in paths.
 */
function comparable(r: StudyResults, run: string): unknown {
  const { environment: _e, timing: _t, ...rest } = r;
  return JSON.parse(
    JSON.stringify(rest, (k, v) => (k === 'trainSeconds' ? 'seconds' : v))
      .replaceAll(run, 'RUN')
      .replace(/trained in \d+(\.\d+)? s/g, 'trained in N s'),
  );
}

/** Which worker ran each unit, from the workers' log lines. */
function claims(stderr: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of stderr.matchAll(/^study: worker (\d) of 2 runs (.+)$/gm))
    out.set(m[2]!, [...(out.get(m[2]!) ?? []), Number(m[1])]);
  return out;
}

test("a study on 2 workers (a sweep's values spread too) gives the same results.json as one process; a rerun redoes only a deleted unit", {
  skip,
}, () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { validation: true });
  const model = writeTinyModel(join(root, 'model'));
  const args = (out: string) => ['--data', data.dir, '--output', out, '--model', model, ...TINY, ...SWEPT];
  const one = join(root, 'one');
  const two = join(root, 'two');
  const single = ftlab(['study', ...args(one)]);
  assert.equal(single.code, 0, single.stderr);
  const t0 = performance.now();
  const spread = ftlab(['launch', '--nproc', '2', '--', 'study', ...args(two)]);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(spread.code, 0, spread.stderr);

  // every unit ran exactly once, on one of the two workers
  const ran = claims(spread.stderr);
  assert.deepEqual([...ran.keys()].sort(), [...UNITS].sort());
  for (const [unit, ranks] of ran) assert.equal(ranks.length, 1, `${unit} ran on workers ${ranks}`);
  const byWorker = [0, 1].map((w) => [...ran].filter(([, r]) => r[0] === w).length);
  process.stderr.write(`# 2 workers: ${byWorker.join(' + ')} units, ${seconds.toFixed(1)} s wall (contended)\n`);

  const a = read(one);
  const b = read(two);
  assert.deepEqual(comparable(b, two), comparable(a, one));
  assert.ok(b.retrieval[0]!.table.rows.length === 3 && b.dose.length > 0 && b.training.length === 4);
  // every run's stage timing is in results.json, measured where it ran (not as rank 0's cache reads);
  // the swept arm's first seed is a cache hit: its sweep's run of the chosen value
  const chosen = `sweep-lr-${b.sweeps[0]!.chosen}`;
  const trainStages = b.environment.stages.filter((s) => s.name.startsWith('train.'));
  assert.deepEqual(
    trainStages.map((s) => `${s.name}${s.cached ? ' (cached)' : ''}`).sort(),
    [
      ...['full-random.seed-0', 'full-random.seed-1', 'lora-hard-lr1e-3.seed-1'],
      ...['lora-hard-lr1e-3.sweep-lr-0.0002', 'lora-hard-lr1e-3.sweep-lr-0.001', `lora-hard-lr1e-3.${chosen} (cached)`],
    ]
      .map((n) => `train.train-test.${n}`)
      .sort(),
  );
  assert.equal(spread.stderr.match(/study: wrote .*results\.json/g)?.length, 1, 'rank 0 alone writes results');

  // a rerun after one unit's files are gone (a worker lost): that unit alone is trained again
  const keptRecord = join(two, 'models', 'train-test', 'full-random', 'seed-0', 'study-training.json');
  const kept = statSync(keptRecord).mtimeMs;
  rmSync(join(two, 'models', 'train-test', 'lora-hard-lr1e-3', 'seed-1'), { recursive: true });
  const rerun = ftlab(['launch', '--nproc', '2', '--', 'study', ...args(two)]);
  assert.equal(rerun.code, 0, rerun.stderr);
  const c = read(two);
  const cached = Object.fromEntries(c.environment.stages.map((s) => [s.name, s.cached]));
  assert.deepEqual(
    Object.entries(cached).filter(([name, hit]) => name !== 'data' && name !== 'analysis' && !hit),
    [['train.train-test.lora-hard-lr1e-3.seed-1', false]],
  );
  assert.equal(statSync(keptRecord).mtimeMs, kept, 'a finished unit is not rewritten');
  assert.deepEqual(comparable(c, two), comparable(a, one));
});

/**
 * `a` and `b` alike, numbers within `tol` (relative, absolute near 0): data-parallel training sums
 * the batch's gradients in another order than one process does, so its numbers agree to fp
 * tolerance rather than bit for bit. Returns the first difference's path, or null.
 */
function firstDifference(a: unknown, b: unknown, tol: number, path = ''): string | null {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= tol * Math.max(1, Math.abs(a)) ? null : `${path}: ${a} vs ${b}`;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null)
    return a === b ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      tol,
      `${path}.${k}`,
    );
    if (d) return d;
  }
  return null;
}

test("--parallel data: 2 workers train every unit together and give one process's results.json to fp tolerance", {
  skip,
}, () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { validation: true });
  // no dropout: each rank draws its own masks, so only a dropout-free model can match one process
  const model = writeTinyModel(join(root, 'model'), tinyConfig({ hiddenDropout: 0, attentionDropout: 0 }));
  // full fine-tuning and the recipe (its frozen copy and preservation loss on each rank's slice)
  const arms = ['--arms', 'full-random,recipe', '--timing-queries', '0', '--geometry-pairs', '0'];
  const args = (out: string) => ['--data', data.dir, '--output', out, '--model', model, ...TINY, ...arms];
  const one = join(root, 'one');
  const two = join(root, 'two');
  const single = ftlab(['study', ...args(one)]);
  assert.equal(single.code, 0, single.stderr);
  const together = ftlab(['launch', '--nproc', '2', '--', 'study', ...args(two), '--parallel', 'data']);
  assert.equal(together.code, 0, together.stderr);
  assert.match(together.stderr, /^study: 2 workers run recipe seed 43 \(train->test\) together \(data-parallel\)$/m);
  assert.doesNotMatch(together.stderr, /study: worker \d of 2 runs/);

  const a = read(one);
  const b = read(two);
  assert.deepEqual(b.environment.workers, { count: 2, parallel: 'data' });
  // the world size is part of each unit's recorded configuration (its identity), and nothing else differs
  const record = JSON.parse(
    readFileSync(join(two, 'models', 'train-test', 'recipe', 'seed-1', 'study-training.json'), 'utf8'),
  );
  assert.equal(record.config.worldSize, 2);
  const strip = (r: StudyResults, run: string) =>
    JSON.parse(JSON.stringify(comparable(r, run), (k, v) => (k === 'worldSize' ? undefined : v)));
  assert.equal(firstDifference(strip(a, one), strip(b, two), 1e-4), null);
  assert.ok(b.training.length === 4 && b.dose.length > 0);
});

test('--parallel data refuses, before any work, a batch that does not split over the workers; --parallel foo is one line', {
  skip,
}, () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { validation: true });
  const out = join(root, 'run');
  const args = ['study', '--data', data.dir, '--output', out, ...TINY, ...ARMS, '--quiet'];
  const r = ftlab(['launch', '--nproc', '3', '--', ...args, '--parallel', 'data']);
  assertOneLineError(
    r,
    /^ftlab: ranks 0, 1, 2 of 3: --parallel data: full-random's batch of 4 does not split evenly over 3 workers$/,
  );
  assert.equal(existsSync(out), false, 'no run folder');
  assertOneLineError(ftlab([...args, '--parallel', 'foo']), /^ftlab: --parallel must be units or data, got 'foo'$/);
});

/** Whether some unit's training finished (its study record says so). */
function someUnitFinished(run: string): string | null {
  for (const arm of ['full-random', 'lora-hard'])
    for (const seed of ['seed-0', 'seed-1']) {
      const f = join(run, 'models', 'train-test', arm, seed, 'study-training.json');
      try {
        if ((JSON.parse(readFileSync(f, 'utf8')) as { finished?: boolean }).finished) return f;
      } catch {}
    }
  return null;
}

/** ftlab started with `args` in the background: its exit code and the stderr it has written so far. */
function spawnFtlab(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ftlab.js'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number>((res) => child.on('exit', (code) => res(code ?? -1)));
  return { child, exited, stderr: () => stderr };
}

/** Waits (up to 5 minutes) until some unit's training finished; its record's path. */
async function firstFinishedUnit(run: string): Promise<string> {
  let finished: string | null = null;
  for (let i = 0; i < 3000 && !finished; i++) {
    await new Promise((r) => setTimeout(r, 100));
    finished = someUnitFinished(run);
  }
  assert.ok(finished, 'no unit finished');
  return finished;
}

test('a worker killed mid-study ends the other with one line, exit 1; a rerun finishes the missing units', {
  skip,
}, async () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { validation: true });
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const longer = TINY.map((a, i) => (TINY[i - 1] === '--steps' ? '12' : a));
  const args = ['launch', '--nproc', '2', '--', 'study', '--data', data.dir, '--output', out, '--model', model];
  const launch = [...args, ...longer, ...ARMS, '--quiet'];
  const { child, exited, stderr } = spawnFtlab(launch);
  const finished = await firstFinishedUnit(out);
  const victim = rankPid(child.pid!, 1);
  assert.ok(victim, 'worker 1 not found');
  const kept = statSync(finished).mtimeMs;
  process.kill(victim, 'SIGKILL');
  assert.equal(await exited, 1);
  assert.deepEqual(stderr().trim().split('\n'), ['ftlab: rank 1 of 2 died (SIGKILL); the other ranks were stopped']);
  assert.ok(!existsSync(join(out, 'results.json')) && existsSync(finished), 'the folder is kept, without results');

  const rerun = ftlab(launch);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(statSync(finished).mtimeMs, kept, 'the finished unit is reused, not retrained');
  const stages = read(out).environment.stages.filter((s) => s.name.startsWith('train.'));
  assert.equal(stages.length, 4);
  const reused = stages.filter((s) => s.cached).map((s) => s.name);
  assert.ok(reused.length >= 1 && reused.length < 4, `reused: ${reused.join(', ')}`);
  process.stderr.write(`# killed worker 1 after a unit finished; the rerun reused ${reused.join(', ')}\n`);
});

test('under a bare launcher (no supervisor), a worker killed mid-study ends the waiting one after the timeout, exit 1', {
  skip,
}, async () => {
  const root = tmpDir();
  const data = writeManifestMiniature(join(root, 'data'), { validation: true });
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const longer = TINY.map((a, i) => (TINY[i - 1] === '--steps' ? '12' : a));
  const args = ['study', '--data', data.dir, '--output', out, '--model', model, ...longer, ...ARMS, '--quiet'];
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  // as srun or a hand-written script starts ranks: the environment only, nobody watching them
  const ranks = [0, 1].map((rank) => {
    const env = { ...process.env, WORLD_SIZE: '2', RANK: String(rank), LOCAL_RANK: String(rank) };
    return spawnFtlab(args, { ...env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, FTLAB_DIST_TIMEOUT: '10' });
  });
  await firstFinishedUnit(out);
  const t0 = performance.now();
  ranks[1]!.child.kill('SIGKILL');
  assert.equal(await ranks[0]!.exited, 1, ranks[0]!.stderr());
  const seconds = (performance.now() - t0) / 1000;
  const lines = ranks[0]!.stderr().trim().split('\n');
  assert.match(
    lines.at(-1)!,
    /^ftlab: study: worker 0 waited 10 s for the other workers' units without a sign of progress/,
  );
  assert.ok(!existsSync(join(out, 'results.json')), 'no results from a study with a lost worker');
  process.stderr.write(`# rank 1 killed; rank 0 ended ${seconds.toFixed(1)} s later\n`);
});
