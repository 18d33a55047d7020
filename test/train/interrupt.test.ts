// Issue 8, item 3: Ctrl-C keeps the work; checkpoints by wall time; no optimizer state in the
// finished model folder unless asked; no *.tmp litter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { train, type TrainConfig } from '../../src/train/trainer.ts';
import { gracefully } from '../../src/cli/interrupt.ts';
import { writeAtomic } from '../../src/io/atomic-file.ts';
import { REPO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples, triplesTsv } from '../helpers/triples.ts';
import { ftlab, ftlabInProcess } from '../helpers/cli.ts';

const dir = tmpDir();
const model = writeTinyModel(join(dir, 'model'));
const data = synthTriples(40);
const triples = join(dir, 'triples.tsv');
writeFileSync(triples, triplesTsv(data));
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  model,
  loss: 'triplet',
  distance: 'cosine',
  margin: 0.5,
  mnrlScale: 20,
  normalize: true,
  batchSize: 4,
  gradAccumulation: 1,
  lr: 1e-3,
  warmup: 2,
  epochs: 1,
  maxSteps: 8,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: null,
  seed: 7,
  evalEvery: 0,
  saveEvery: 0,
  keepCheckpoints: 10,
  ...over,
});
const steps = (out: string): number[] => readdirSync(join(out, 'checkpoints')).map((d) => Number(d.slice(5)));

function logSteps(out: string): number {
  try {
    return readFileSync(join(out, 'log.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"step"')).length;
  } catch {
    return 0;
  }
}

test('SIGINT: a checkpoint at the next step boundary, exit 130, a line saying how to resume', async () => {
  const out = join(dir, 'sigint');
  const args = [
    join(REPO, 'bin', 'ftlab.js'),
    'train',
    '--train',
    triples,
    '--output',
    out,
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '2',
    '--max-steps',
    '1000000',
    '--quiet',
    '--eval-fraction',
    '0',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  while (logSteps(out) < 3) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  const m =
    /ftlab: interrupted at step (\d+) of 1000000: checkpoint saved in (\S+); run the same command with --resume to continue/.exec(
      stderr,
    );
  assert.ok(m, stderr);
  assert.deepEqual(steps(out), [Number(m[1])]);
  assert.equal(logSteps(out), Number(m[1]), 'the log ends at the checkpoint');
  assert.equal(existsSync(join(out, 'model.safetensors')), false, 'no model from an unfinished run');
  assert.deepEqual(
    readdirSync(join(out, 'checkpoints')).filter((d) => d.endsWith('.tmp')),
    [],
  );
});

test('the first Ctrl-C in training aborts the signal and removes the handlers, so a second ends the process at once', async () => {
  const lines: string[] = [];
  const before = process.listenerCount('SIGINT');
  const beforeTerm = process.listenerCount('SIGTERM');
  await gracefully(
    async (signal) => {
      assert.equal(process.listenerCount('SIGINT'), before + 1);
      process.emit('SIGINT');
      assert.equal(signal.aborted, true);
      assert.match(lines.join(''), /stopping at the next step boundary .*Ctrl-C again to quit now/);
      assert.equal(process.listenerCount('SIGINT'), before, 'the OS default handles the next one');
      assert.equal(process.listenerCount('SIGTERM'), beforeTerm);
    },
    { write: (l) => lines.push(l) },
  );
  assert.equal(process.listenerCount('SIGINT'), before, 'handlers removed');
});

test('outside training, Ctrl-C ends a command at once, even inside synchronous encoding, and leaves no output', async () => {
  // the real model: slow enough that the signal lands mid-encoding (a JavaScript handler
  // would only run after the encoding loop, and the command would finish its output first)
  const input = join(dir, 'many.tsv');
  writeFileSync(
    input,
    Array.from(
      { length: 4000 },
      (_, i) => `${i}\tpassage ${i} ${'about retrieval and fine-tuning of dense encoders '.repeat(6)}`,
    ).join('\n'),
  );
  const output = join(dir, 'many.npy');
  const child = spawn(
    process.execPath,
    [join(REPO, 'bin', 'ftlab.js'), 'embed', '--input', input, '--output', output, '--threads', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const progressed = new Promise<void>((res) =>
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (/embed \[/.test(stderr)) res();
    }),
  );
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((res) =>
    child.on('exit', (code, sig) => res([code, sig])),
  );
  await Promise.race([progressed, exited]);
  child.kill('SIGINT');
  const [code, sig] = await exited;
  assert.equal(sig, 'SIGINT', `ended by the signal, not by finishing (exit ${code}): ${stderr}`);
  assert.equal(existsSync(output), false, 'no output file');
  const temps = (): string[] => readdirSync(dir).filter((f) => f.startsWith('.many.npy'));
  assert.ok(
    temps().every((f) => /^\.many\.npy(\.ids\.txt)?\.\d+\.\d+\.tmp$/.test(f)),
    temps().join(' '),
  );
  const next = ftlab(['embed', '--text', 'one', '--output', output, '--model', model]);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(temps(), [], 'the next write of the same file removes what the killed one left');
});

test('the default schedule checkpoints by wall time (10 minutes), not only by steps', async () => {
  const out = join(dir, 'timed');
  let t = 0;
  await train(SentenceEncoder.load(model), data, [], cfg({ keepOptimizerState: true }), {
    output: out,
    resume: false,
    clock: () => t,
    onStep: () => {
      t += 4 * 60_000;
    },
  });
  assert.deepEqual(steps(out), [3, 6, 8]); // 12 minutes after 0, 12 after 3, and the end (kept: asked)
});

test('finished runs keep no optimizer state unless asked; --keep-checkpoints defaults to the latest one', async () => {
  const common = [
    'train',
    '--train',
    triples,
    '--model',
    model,
    '--threads',
    '1',
    '--batch-size',
    '4',
    '--max-steps',
    '5',
    '--save-every',
    '1',
    '--quiet',
    '--eval-fraction',
    '0',
  ];
  const plain = join(dir, 'plain');
  assert.equal((await ftlabInProcess([...common, '--output', plain])).code, 0);
  assert.equal(existsSync(join(plain, 'checkpoints')), false);
  assert.ok(existsSync(join(plain, 'model.safetensors')));
  const kept = join(dir, 'kept');
  assert.equal((await ftlabInProcess([...common, '--output', kept, '--keep-optimizer-state'])).code, 0);
  assert.deepEqual(steps(kept), [5]);
  assert.ok(existsSync(join(kept, 'checkpoints', 'step-0000005', 'optimizer.safetensors')));
});

test('half-written checkpoints and temp files of killed runs are cleaned by the next run', async () => {
  const out = join(dir, 'litter');
  await train(SentenceEncoder.load(model), data, [], cfg({ saveEvery: 1 }), {
    output: out,
    resume: false,
    stopAfter: 2,
  });
  mkdirSync(join(out, 'checkpoints', 'step-0000003.tmp'));
  writeFileSync(join(out, 'checkpoints', 'step-0000003.tmp', 'params.safetensors'), 'partial');
  await train(
    SentenceEncoder.load(model),
    data,
    [],
    cfg({ saveEvery: 1, keepOptimizerState: true, keepCheckpoints: 1 }),
    { output: out, resume: true },
  );
  assert.deepEqual(readdirSync(join(out, 'checkpoints')), ['step-0000008']);
  const target = join(dir, 'run.txt');
  const dead = join(dir, '.run.txt.999999999.1.tmp'); // no such pid
  const live = join(dir, `.run.txt.${process.pid}.1.tmp`);
  writeFileSync(dead, 'x');
  writeFileSync(live, 'x');
  writeAtomic(target, (f) => f.write('ok\n'));
  assert.equal(existsSync(dead), false, "a dead writer's temp file is removed");
  assert.equal(existsSync(live), true, "a live writer's temp file is left alone");
  assert.equal(readFileSync(target, 'utf8'), 'ok\n');
});
