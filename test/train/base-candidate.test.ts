// Issue 17, item 1: the model as loaded (step 0) is a checkpoint candidate. The retrieval
// evaluator is a test double returning a fixed score per step (the unit under test is the
// choice, not the metric); the step is the last one onStep reported (0 before any step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { train, type TrainConfig, type TrainerOptions } from '../../src/train/trainer.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples } from '../helpers/triples.ts';

const model = writeTinyModel(tmpDir());
const data = synthTriples(40);
const held = synthTriples(48).slice(40);

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
  maxSteps: 6,
  weightDecay: 0.01,
  maxGradNorm: 1,
  lora: null,
  seed: 7,
  evalEvery: 2,
  saveEvery: 0, // the resume tests checkpoint every step
  saveEveryMinutes: 0,
  keepCheckpoints: 2,
  ...over,
});

/** Options whose evaluator scores step s as scores[s]; `calls` lists the steps it was asked for. */
function scored(scores: Record<number, number>, output: string, over: Partial<TrainerOptions> = {}) {
  let step = 0;
  const calls: number[] = [];
  const opts: TrainerOptions = {
    output,
    resume: false,
    bestMetric: 'nDCG@10',
    onStep: (s) => {
      step = s.step;
    },
    retrievalEval: async () => {
      calls.push(step);
      const v = scores[step];
      if (v === undefined) throw new Error(`no score for step ${step}`);
      return { 'nDCG@10': v };
    },
    ...over,
  };
  return { opts, calls };
}

const bytes = (file: string): Map<string, Buffer> => {
  const out = new Map<string, Buffer>();
  for (const [k, t] of loadSafetensors(file)) {
    const x = t.f32();
    out.set(k, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    t.dispose();
  }
  return out;
};

function assertSameTensors(a: string, b: string): void {
  const x = bytes(a);
  const y = bytes(b);
  assert.deepEqual([...y.keys()].sort(), [...x.keys()].sort());
  for (const [k, v] of x) assert.ok(y.get(k)!.equals(v), `${k} differs`);
}

const ftlabJson = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'ftlab.json'), 'utf8')) as {
    training: { step: number; chosen?: { step: number; value: number }; final?: { step: number } };
  };

const evalSteps = (dir: string): number[] =>
  readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number })
    .filter((l) => l.type === 'eval')
    .map((l) => l.step);

test('the base wins validation: step 0 chosen, best/ holds the loaded weights byte for byte, final beside it', async () => {
  const out = tmpDir();
  const { opts, calls } = scored({ 0: 0.9, 2: 0.5, 4: 0.6, 6: 0.4 }, out);
  const r = await train(SentenceEncoder.load(model), data, held, cfg(), opts);
  assert.deepEqual(calls, [0, 2, 4, 6], 'evaluated before any update, then every 2 steps');
  assert.equal(r.chosen?.step, 0);
  assert.equal(r.chosen?.base, true);
  assert.equal(r.chosen?.value, 0.9);
  assert.equal(r.chosen?.entry.step, 0);
  assert.deepEqual(r.best, { metric: 'nDCG@10', value: 0.9, step: 0 });
  assert.equal(r.final?.step, 6);
  assert.equal(r.final?.['nDCG@10'], 0.4);
  assert.equal(r.final?.evalTriples, 8, 'the held-out triplet accuracy is computed at the final step too');
  assert.ok(r.chosen!.entry.tripletAccuracy >= 0 && r.chosen!.entry.tripletAccuracy <= 1);
  assertSameTensors(join(model, 'model.safetensors'), join(out, 'best', 'model.safetensors'));
  assert.equal(ftlabJson(join(out, 'best')).training.step, 0);
  const info = ftlabJson(out).training;
  assert.deepEqual([info.step, info.chosen?.step, info.chosen?.value, info.final?.step], [6, 0, 0.9, 6]);
  assert.deepEqual(evalSteps(out), [0, 2, 4, 6]);
});

test('a tie between step 0 and later steps goes to step 0; a tie between later steps to the earlier', async () => {
  const tie = await train(
    SentenceEncoder.load(model),
    data,
    held,
    cfg(),
    scored({ 0: 0.6, 2: 0.6, 4: 0.5, 6: 0.6 }, tmpDir()).opts,
  );
  assert.equal(tie.chosen?.step, 0);
  const out = tmpDir();
  const later = await train(
    SentenceEncoder.load(model),
    data,
    held,
    cfg(),
    scored({ 0: 0.5, 2: 0.7, 4: 0.7, 6: 0.6 }, out).opts,
  );
  assert.equal(later.chosen?.step, 2);
  assert.equal(later.chosen?.base, false);
  assert.equal(ftlabJson(join(out, 'best')).training.step, 2);
});

test('no retrieval evaluator: step 0 evaluated on the held-out triples too (evalEvery 0: step 0 and the end)', async () => {
  const r = await train(SentenceEncoder.load(model), data, held, cfg({ evalEvery: 0 }), {
    output: tmpDir(),
    resume: false,
  });
  assert.deepEqual(
    r.evalLogs.map((e) => e.step),
    [0, 6],
  );
  assert.equal(r.chosen?.metric, 'tripletAccuracy');
  // the rule by hand: the end only if it beats the base strictly
  const [base, end] = r.evalLogs.map((e) => e.tripletAccuracy) as [number, number];
  assert.equal(r.chosen?.step, end > base ? 6 : 0);
});

test('LoRA, the base wins: best/ holds the zero-B adapters (the base model)', async () => {
  const out = tmpDir();
  const lora = { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] };
  const r = await train(
    SentenceEncoder.load(model),
    data,
    held,
    cfg({ lora }),
    scored({ 0: 0.9, 2: 0.5, 4: 0.6, 6: 0.4 }, out).opts,
  );
  assert.equal(r.chosen?.step, 0);
  const best = loadSafetensors(join(out, 'best', 'adapter_model.safetensors'));
  const final = loadSafetensors(join(out, 'adapter_model.safetensors'));
  let bs = 0;
  for (const [k, t] of best) {
    if (!k.includes('lora_B')) continue;
    bs++;
    assert.ok(
      t.f32().every((x) => x === 0),
      `${k} is not zero`,
    );
    assert.ok(
      final
        .get(k)!
        .f32()
        .some((x) => x !== 0),
      `${k}: the final adapters trained`,
    );
  }
  assert.equal(bs, 4, 'two layers x query, value');
});

test('stopped after 3 steps and resumed: the same choice, step 0 not evaluated again, one log line per eval', async () => {
  const scores = { 0: 0.5, 2: 0.8, 4: 0.6, 6: 0.7 };
  const straight = tmpDir();
  const a = await train(SentenceEncoder.load(model), data, held, cfg({ saveEvery: 1 }), scored(scores, straight).opts);
  const out = tmpDir();
  const first = scored(scores, out, { stopAfter: 3 });
  const r1 = await train(SentenceEncoder.load(model), data, held, cfg({ saveEvery: 1 }), first.opts);
  assert.equal(r1.steps, 3);
  assert.equal(r1.final, null, 'no final model yet');
  const second = scored(scores, out, { resume: true });
  const b = await train(SentenceEncoder.load(model), data, held, cfg({ saveEvery: 1 }), second.opts);
  assert.deepEqual(first.calls, [0, 2]);
  assert.deepEqual(second.calls, [4, 6], 'steps 0 and 2 come from the log');
  assert.deepEqual(
    b.evalLogs.map((e) => e.step),
    [0, 2, 4, 6],
  );
  assert.equal(a.chosen?.step, 2);
  assert.equal(b.chosen?.step, 2);
  assert.deepEqual(b.chosen?.entry, a.chosen?.entry);
  assert.deepEqual(b.final, a.final);
  assert.deepEqual(evalSteps(out), [0, 2, 4, 6]);
  assertSameTensors(join(straight, 'best', 'model.safetensors'), join(out, 'best', 'model.safetensors'));
  assertSameTensors(join(straight, 'model.safetensors'), join(out, 'model.safetensors'));
  // a finished folder: the same choice and final, read from its log, nothing evaluated
  const again = scored(scores, out, { resume: true });
  const c = await train(SentenceEncoder.load(model), data, held, cfg({ saveEvery: 1 }), again.opts);
  assert.deepEqual(again.calls, []);
  assert.deepEqual([c.chosen?.step, c.final?.step, c.final?.['nDCG@10']], [2, 6, 0.7]);
});

test('resumed where the base was chosen before the stop: best/ kept, still step 0', async () => {
  const scores = { 0: 0.9, 2: 0.5, 4: 0.6, 6: 0.4 };
  const out = tmpDir();
  const c1 = cfg({ saveEvery: 1 });
  await train(SentenceEncoder.load(model), data, held, c1, scored(scores, out, { stopAfter: 3 }).opts);
  const r = await train(SentenceEncoder.load(model), data, held, c1, scored(scores, out, { resume: true }).opts);
  assert.equal(r.chosen?.step, 0);
  assertSameTensors(join(model, 'model.safetensors'), join(out, 'best', 'model.safetensors'));
});

test("the evaluator is told the step; at step 0 every method's encoder embeds as the loaded model, bit for bit, normalised or not (the study scores a fold's step 0 once)", async () => {
  const texts = ['what is a lobster roll', 'a passage about the coast of maine', 'x'];
  const lora = { r: 4, alpha: 8, dropout: 0.1, targets: ['query', 'value'] };
  const variants: [string, Partial<TrainConfig>][] = [
    ['full fine-tuning', {}],
    ['LoRA on query/value', { lora }],
    ['MNRL (the recipe)', { loss: 'mnrl' }],
    // the paper code's triplets: euclidean, vectors not normalised by the model
    ['full fine-tuning, unnormalised', { normalize: false, distance: 'euclidean', margin: 5 }],
    ['LoRA, unnormalised', { lora, normalize: false, distance: 'euclidean', margin: 5 }],
  ];
  for (const [name, over] of variants) {
    const base = SentenceEncoder.load(model);
    base.info.normalize = over.normalize ?? true;
    const want = base.encode(texts, 'passage');
    base.dispose();
    const seen: number[] = [];
    let atZero: Float32Array | null = null;
    await train(SentenceEncoder.load(model), data, held, cfg(over), {
      output: tmpDir(),
      resume: false,
      bestMetric: 'nDCG@10',
      retrievalEval: async (enc, step) => {
        seen.push(step);
        if (step === 0) atZero = enc.encode(texts, 'passage');
        return { 'nDCG@10': step === 0 ? 1 : 0 };
      },
    });
    assert.deepEqual(seen, [0, 2, 4, 6], name);
    const got = atZero as Float32Array | null;
    assert.ok(got !== null && Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${name}: step 0 differs`);
  }
});
