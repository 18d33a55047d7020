import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTiming, cycledQueries, loadVariant, type TimingOptions } from '../../src/analysis/timing.ts';
import { syntheticChunks } from '../../src/analysis/passage-vectors.ts';
import { spread } from '../../src/analysis/stopwatch.ts';
import { stagedSearch } from '../../src/analysis/staged-search.ts';
import { exactSearch } from '../../src/retrieval/exact-search.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { Lora } from '../../src/model/lora.ts';
import { saveModelFolder } from '../../src/model/save-model.ts';
import { randn, setThreads } from '../../src/engine/index.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { writeAtomic } from '../../src/io/atomic-file.ts';
import { writeNpyF32 } from '../../src/io/npy.ts';

setThreads();
const dir = tmpDir('ftlab-timing-');
const model = writeTinyModel(join(dir, 'tiny'));
const loraDir = join(dir, 'lora');
{
  const enc = SentenceEncoder.load(model);
  const lora = Lora.create(enc.bert, { r: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] });
  for (const { B } of lora.adapters.values()) {
    const r = randn(B.shape);
    B.setRequiresGrad(false).addInPlace(r, 0.5);
    r.dispose();
  }
  saveModelFolder(loraDir, enc, { lora, base: model });
}
const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
  ' ',
);
writeFileSync(
  join(dir, 'queries.tsv'),
  `${words
    .slice(0, 7)
    .map((w, i) => `q${i}\twhere is the ${w} ${words[(i * 3) % words.length]}`)
    .join('\n')}\n`,
);
writeFileSync(
  join(dir, 'collection.tsv'),
  `${Array.from(
    { length: 300 },
    (_, i) => `${1000 + i}\t${words[i % 19]} ${words[(i * 7) % 19]} passage ${i} about ${words[(i * 5) % 19]}`,
  ).join('\n')}\n`,
);

const base = (over: Partial<TimingOptions> = {}): TimingOptions => ({
  models: [{ label: 'tiny', spec: model, variant: 'base' }],
  queriesFile: join(dir, 'queries.tsv'),
  n: 20,
  k: 5,
  repeats: 2,
  passages: { collectionPath: join(dir, 'collection.tsv') },
  paperProtocol: false,
  seed: 1,
  cacheDir: join(dir, 'cache'),
  device: 'cpu',
  ...over,
});

test('spread: median of odd and even counts, min, max', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
});

test('queries are cycled in file order with distinct run ids, and the result says so', async () => {
  const c = await cycledQueries(join(dir, 'queries.tsv'), 16);
  assert.equal(c.distinct, 7);
  assert.equal(c.texts[7], c.texts[0]);
  assert.deepEqual(c.qids.slice(6, 9), ['q6', 'q0.1', 'q1.1']);
  assert.equal(new Set(c.qids).size, 16);
  const r = await runTiming(base());
  assert.equal(r.cycled, true);
  assert.equal(r.distinctQueries, 7);
  assert.match(r.notes!.join('\n'), /has 7 queries: cycled in file order to 20/);
  assert.equal(r.passages, 300);
  assert.equal(r.dim, 16);
  const row = r.rows[0]!;
  assert.deepEqual(
    row.stages.map((s) => s.name),
    ['tokenize', 'encode', 'similarity', 'topk'],
  );
  assert.equal(row.qps, 20 / row.totalMedianSeconds);
  for (const s of row.stages)
    assert.ok(s.minSeconds <= s.medianSeconds && s.medianSeconds <= s.maxSeconds && s.minSeconds > 0);
});

test('the staged search returns exactly what exactSearch returns', async () => {
  const { chunks } = syntheticChunks(5000, 16, 3, 1024);
  const q = syntheticChunks(37, 16, 4).chunks[0]!;
  const a = stagedSearch(q, 16, chunks, 50);
  const b = await exactSearch(q, 16, chunks, 50);
  assert.deepEqual(a.result.indices, b.indices);
  assert.deepEqual(a.result.scores, b.scores);
  assert.ok(a.similaritySeconds > 0 && a.topkSeconds > 0);
  // cosine over unnormalised vectors: both sides normalised first, as exactSearch does
  const raw = q.map((v, i) => v * (1 + (i % 5)));
  const docs = chunks.map((c) => c.map((v, i) => v * (1 + (i % 3))));
  const an = stagedSearch(raw, 16, docs, 20, { normalize: true });
  const bn = await exactSearch(raw, 16, docs, 20, { normalize: true });
  assert.deepEqual(an.result.indices, bn.indices);
  assert.deepEqual(an.result.scores, bn.scores);
  assert.notDeepEqual(stagedSearch(raw, 16, docs, 20).result.indices, an.result.indices);
});

test('per-stage medians add up to within 10% of the end-to-end clock (tiny model)', async () => {
  // enough work (about a second) and repeats that a stray context switch does not decide the medians
  const r = await runTiming(base({ n: 2000, k: 10, repeats: 5 }));
  const row = r.rows[0]!;
  const sum = row.stages.reduce((a, s) => a + s.medianSeconds, 0);
  const gap = Math.abs(sum - row.totalMedianSeconds) / row.totalMedianSeconds;
  assert.ok(
    gap <= 0.1,
    `stage sum ${sum} s differs from the end-to-end ${row.totalMedianSeconds} s by ${(100 * gap).toFixed(1)}%`,
  );
});

test("timed passes against the test's own clocks: inside runTiming's wall time, and no faster than the same work done here", async (t) => {
  const n = 400;
  const t0 = performance.now();
  const r = await runTiming(base({ n, k: 10, repeats: 3 }));
  const wall = (performance.now() - t0) / 1000;
  const row = r.rows[0]!;
  // three timed passes are exactly min, median and max; with the warm-up they ran inside runTiming
  const passes = row.totalMinSeconds + row.totalMedianSeconds + row.totalMaxSeconds;
  assert.ok(passes <= wall, `3 passes took ${passes.toFixed(3)} s, but runTiming returned after ${wall.toFixed(3)} s`);
  assert.ok(
    row.qps >= (3 * n) / wall,
    `QPS ${row.qps.toFixed(1)} below the ${((3 * n) / wall).toFixed(1)} the wall clock allows`,
  );
  // the same work by hand (encode the cycled queries, exact top-k over the pool's vectors), best of 3
  const { texts } = await cycledQueries(join(dir, 'queries.tsv'), n);
  const enc = SentenceEncoder.load(model);
  const pool = enc.encode(
    Array.from(
      { length: 300 },
      (_, i) => `${words[i % 19]} ${words[(i * 7) % 19]} passage ${i} about ${words[(i * 5) % 19]}`,
    ),
    'passage',
  );
  let own = Infinity;
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const q = enc.encode(texts, 'query');
    await exactSearch(q, enc.dim, [pool], 10, { normalize: false });
    own = Math.min(own, (performance.now() - s) / 1000);
  }
  enc.dispose();
  t.diagnostic(
    `fastest pass ${row.totalMinSeconds.toFixed(4)} s; the same work here ${own.toFixed(4)} s; wall ${wall.toFixed(3)} s`,
  );
  // contended machines: a wide band, but a pass that skipped the model or the search falls below it
  assert.ok(
    row.totalMinSeconds >= own / 4 && row.totalMinSeconds <= own * 4 + 0.05,
    `fastest pass ${row.totalMinSeconds.toFixed(4)} s vs ${own.toFixed(4)} s for the same work here`,
  );
});

test('synthetic vectors: seeded, unit length, streamed in chunks', () => {
  const a = syntheticChunks(1000, 16, 9, 300);
  const b = syntheticChunks(1000, 16, 9, 300);
  assert.deepEqual(
    a.chunks.map((c) => c.length),
    [4800, 4800, 4800, 1600],
  );
  assert.deepEqual(a.chunks, b.chunks);
  const c = a.chunks[3]!;
  for (let i = 0; i < 100; i++) {
    let s = 0;
    for (let j = 0; j < 16; j++) s += c[i * 16 + j]! ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  assert.notDeepEqual(syntheticChunks(1000, 16, 10, 300).chunks[0], a.chunks[0]);
});

test('LoRA merged in memory gives the unmerged vectors; paper-protocol and synthetic rows', async () => {
  const texts = ['a lora test', 'another text here'];
  const un = loadVariant({ label: 'u', spec: loraDir, variant: 'lora-unmerged' }, 'cpu').encode(texts, 'passage');
  const me = loadVariant({ label: 'm', spec: loraDir, variant: 'lora-merged' }, 'cpu').encode(texts, 'passage');
  const plain = SentenceEncoder.load(model).encode(texts, 'passage');
  un.forEach((v, i) => assert.ok(Math.abs(v - me[i]!) < 1e-4, `${v} vs ${me[i]}`));
  assert.ok(
    un.some((v, i) => Math.abs(v - plain[i]!) > 1e-3),
    'the adapters change the vectors',
  );
  assert.throws(() => loadVariant({ label: 'x', spec: model, variant: 'lora-merged' }, 'cpu'), /needs a LoRA folder/);

  const r = await runTiming(
    base({
      models: [
        { label: 'lora', spec: loraDir, variant: 'lora-unmerged' },
        { label: 'lora merged', spec: loraDir, variant: 'lora-merged' },
      ],
      paperProtocol: true,
      repeats: 1,
    }),
  );
  assert.deepEqual(
    r.rows.map((x) => [x.model, x.protocol, x.variant]),
    [
      ['lora', 'ftlab', 'lora-unmerged'],
      ['lora (paper protocol)', 'paper', 'lora-unmerged'],
      ['lora merged', 'ftlab', 'lora-merged'],
      ['lora merged (paper protocol)', 'paper', 'lora-merged'],
    ],
  );
  assert.deepEqual(
    r.rows[1]!.stages.map((s) => s.name),
    ['load-model', 'read-embeddings', 'tokenize', 'encode', 'similarity', 'topk', 'write-run'],
  );
  // synthetic vectors: the paper protocol reads them from a temporary .npy; 'first' times it for the first model only
  const s = await runTiming(
    base({
      models: [
        { label: 'base', spec: model, variant: 'base' },
        { label: 'lora', spec: loraDir, variant: 'lora-unmerged' },
      ],
      passages: { synthetic: 5000 },
      paperProtocol: 'first',
      repeats: 1,
    }),
  );
  assert.equal(s.passages, 5000);
  assert.equal(s.synthetic, true);
  assert.deepEqual(
    s.rows.map((x) => [x.model, x.protocol]),
    [
      ['base', 'ftlab'],
      ['base (paper protocol)', 'paper'],
      ['lora', 'ftlab'],
    ],
  );
  assert.ok(s.rows[1]!.stages.some((x) => x.name === 'read-embeddings' && x.medianSeconds > 0));
  assert.match(s.notes!.join('\n'), /temporary \.npy, outside the clock/);
});

test('passages from a .npy file: the same vectors for every model; a width mismatch is a user error', async () => {
  const m = syntheticChunks(700, 16, 5);
  const path = join(dir, 'passages.npy');
  writeAtomic(path, (f) => writeNpyF32(f, m.chunks[0]!, [700, 16]));
  const r = await runTiming(base({ passages: { embeddingsNpy: path }, paperProtocol: true, repeats: 1 }));
  assert.equal(r.passages, 700);
  assert.deepEqual(
    r.rows.map((x) => x.protocol),
    ['ftlab', 'paper'],
  );
  const wide = join(dir, 'wide.npy');
  writeAtomic(wide, (f) => writeNpyF32(f, new Float32Array(8 * 32), [8, 32]));
  await assert.rejects(
    runTiming(base({ passages: { embeddingsNpy: wide } })),
    /width 16, but the passage vectors in .*wide\.npy have 32/,
  );
});
