import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGeometry, type GeometryOptions } from '../../src/analysis/geometry.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { UserError } from '../../src/errors.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';

const dir = tmpDir('ftlab-geometry-');
const modelA = writeTinyModel(join(dir, 'a'), undefined, 0);
const modelB = writeTinyModel(join(dir, 'b'), undefined, 1);
const words = [
  'river',
  'bank',
  'loan',
  'tree',
  'stone',
  'cloud',
  'music',
  'piano',
  'storm',
  'coffee',
  'train',
  'paper',
];
// 12 queries; passages p0..p11 in the collection, p12 missing, p13 empty
const queries = words.map((w, i) => `q${i}\twhat is a ${w}`).join('\n');
const collection = [...words.map((w, i) => `p${i}\ta ${w} is a thing people talk about ${i}`), 'p13\t '].join('\n');
const qrels = [
  ...words.map((_, i) => `q${i} 0 p${i} 2`),
  'q0 0 p1 1', // below min grade
  'q1 0 p12 2', // passage not in the collection
  'q2 0 p13 3', // passage empty
].join('\n');
writeFileSync(join(dir, 'queries.tsv'), `${queries}\n`);
writeFileSync(join(dir, 'collection.tsv'), `${collection}\n`);
writeFileSync(join(dir, 'qrels.txt'), `${qrels}\n`);

const opts = (over: Partial<GeometryOptions> = {}): GeometryOptions => ({
  models: [
    { label: 'base', spec: modelA },
    { label: 'other', spec: modelB },
  ],
  queriesFile: join(dir, 'queries.tsv'),
  qrelsFile: join(dir, 'qrels.txt'),
  collectionPath: join(dir, 'collection.tsv'),
  n: 1000,
  minGrade: 2,
  seed: 7,
  device: 'cpu',
  ...over,
});

test('geometry: every available pair used and said so; skipped pairs counted; numbers from the model vectors', async () => {
  const r = await runGeometry(opts());
  assert.equal(r.pairs, 12);
  assert.equal(r.requestedPairs, 1000);
  assert.equal(r.skippedNoText, 2);
  assert.match(r.notes!.join('\n'), /asked for 1000 pairs, 12 available: all used/);
  // alignment recomputed directly from the encoder's vectors of the chosen pairs
  const enc = SentenceEncoder.load(modelA);
  const ids = r.pairIds!;
  const q = enc.encode(
    ids.map((p) => `what is a ${words[Number(p.qid.slice(1))]}`),
    'query',
  );
  const p = enc.encode(
    ids.map((x) => `a ${words[Number(x.pid.slice(1))]} is a thing people talk about ${x.pid.slice(1)}`),
    'passage',
  );
  const d = enc.dim;
  let align = 0;
  for (let i = 0; i < ids.length; i++) {
    let nq = 0,
      np = 0,
      dot = 0;
    for (let k = 0; k < d; k++) {
      nq += q[i * d + k]! ** 2;
      np += p[i * d + k]! ** 2;
      dot += q[i * d + k]! * p[i * d + k]!;
    }
    align += 2 - (2 * dot) / Math.sqrt(nq * np);
  }
  assert.ok(
    Math.abs(r.models[0]!.alignment - align / ids.length) < 1e-6,
    `${r.models[0]!.alignment} vs ${align / ids.length}`,
  );
  assert.equal(r.models[0]!.driftFromBase, null);
  assert.equal(r.models[0]!.neighbourOverlapWithBase, null);
  const other = r.models[1]!;
  // drift recomputed from both models' vectors of the same texts (queries then passages): mean cos(a_i, b_i)
  const encB = SentenceEncoder.load(modelB);
  const qs = ids.map((x) => `what is a ${words[Number(x.qid.slice(1))]}`);
  const ps = ids.map((x) => `a ${words[Number(x.pid.slice(1))]} is a thing people talk about ${x.pid.slice(1)}`);
  const texts = [...qs, ...ps];
  const both = (e: SentenceEncoder): Float32Array => {
    const [a, b] = [e.encode(qs, 'query'), e.encode(ps, 'passage')];
    const out = new Float32Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  const va = both(enc);
  const vb = both(encB);
  encB.dispose();
  let cos = 0;
  for (let i = 0; i < texts.length; i++) {
    let ab = 0,
      aa = 0,
      bb = 0;
    for (let k = 0; k < d; k++) {
      ab += va[i * d + k]! * vb[i * d + k]!;
      aa += va[i * d + k]! ** 2;
      bb += vb[i * d + k]! ** 2;
    }
    cos += ab / Math.sqrt(aa * bb);
  }
  assert.ok(
    Math.abs(other.driftFromBase! - cos / texts.length) < 1e-6,
    `drift ${other.driftFromBase} vs ${cos / texts.length} from the vectors`,
  );
  assert.ok(other.driftFromBase! < 0.999, 'two different random models drift');
  assert.ok(other.neighbourOverlapWithBase! >= 0 && other.neighbourOverlapWithBase! < 1);
  // UMAP: 2n points, tagged, the library's settings stated
  assert.equal(other.umap.length, 24);
  assert.deepEqual(
    other.umap.filter((x) => x.kind === 'query').map((x) => x.pair),
    [...Array(12).keys()],
  );
  assert.equal(r.umapParams.nNeighbors, 15);
  assert.equal(r.umapParams.nEpochs, 500);
});

test('geometry: same seed, same numbers and points; the same model twice has drift 1 and overlap 1', async () => {
  const o = opts({
    models: [
      { label: 'a', spec: modelA },
      { label: 'a again', spec: modelA },
    ],
    n: 9,
  });
  const r1 = await runGeometry(o);
  const r2 = await runGeometry(o);
  assert.equal(r1.pairs, 9);
  assert.deepEqual(
    r1.models.map((m) => ({ ...m, seconds: 0 })),
    r2.models.map((m) => ({ ...m, seconds: 0 })),
  );
  assert.ok(Math.abs(r1.models[1]!.driftFromBase! - 1) < 1e-9);
  assert.equal(r1.models[1]!.neighbourOverlapWithBase, 1);
  const r3 = await runGeometry({ ...o, seed: 8, umap: false });
  assert.notDeepEqual(r3.pairIds, r1.pairIds);
  assert.equal(r3.models[0]!.umap.length, 0);
});

test('geometry: fails with one line when no pair has text, or too few pairs for UMAP', async () => {
  writeFileSync(join(dir, 'qrels-bad.txt'), 'q1 0 p12 2\nq2 0 p13 2\n');
  await assert.rejects(
    runGeometry(opts({ qrelsFile: join(dir, 'qrels-bad.txt') })),
    (e: Error) =>
      e instanceof UserError && /no query \/ passage pairs left: 2 judged .* 2 without passage text/.test(e.message),
  );
  await assert.rejects(runGeometry(opts({ n: 5 })), /UMAP needs more than 15 vectors/);
});
