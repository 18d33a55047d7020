// Figure 1 and the numbers beside it: for each model, the vectors of the same query /
// relevant-passage pairs, their geometry (geometry-measures.ts) and a seeded UMAP to 2-D with
// the same settings for every model. models[0] is the base that drift and neighbour overlap
// are measured from.
import { loadCollection } from '../data/collection.ts';
import { loadQrels } from '../data/qrels.ts';
import { loadQueries } from '../data/queries.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { Precision } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import type { GeometryModel, GeometryPoint, GeometryResult } from './types.ts';
import { samplePairs, type Pair } from './pairs.ts';
import {
  alignment,
  anisotropy,
  cosineMatrix,
  drift,
  effectiveRank,
  meanOtherCosine,
  meanPairCosine,
  neighbourOverlap,
  normalizeRows,
  uniformity,
  type UnitRows,
} from './geometry-measures.ts';
import { projectUmap, UMAP_MIN_DIST, UMAP_N_NEIGHBORS } from './umap.ts';

export interface GeometryOptions {
  models: { label: string; spec: string }[]; // models[0] is the base: drift/overlap are null for it
  queriesFile: string;
  qrelsFile: string;
  collectionPath: string;
  n: number; // pairs, default 1000 (fewer available: all are used and the result says so)
  minGrade: number; // default 2
  seed: number;
  umap?: boolean; // default true
  device?: string;
  precision?: Precision; // the encoders' linear layers (default fp32)
  log?: (line: string) => void;
}

export const NEIGHBOURS = 10;

export async function runGeometry(o: GeometryOptions): Promise<GeometryResult> {
  if (o.models.length === 0) throw new UserError('geometry needs at least one model');
  const log = o.log ?? (() => {});
  const [queries, qrels, { collection }] = await Promise.all([
    loadQueries(o.queriesFile),
    loadQrels(o.qrelsFile),
    loadCollection(o.collectionPath),
  ]);
  const sample = samplePairs(qrels, queries, collection, o.n, o.minGrade, o.seed, {
    qrels: o.qrelsFile,
    queries: o.queriesFile,
    collection: o.collectionPath,
  });
  const n = sample.pairs.length;
  const notes: string[] = [];
  if (n < o.n) notes.push(`asked for ${o.n} pairs, ${sample.available} available: all used`);
  if (sample.skippedNoText > 0)
    notes.push(`${sample.skippedNoText} judged pairs skipped: passage has no text in ${o.collectionPath}`);
  if (sample.skippedNoQuery > 0)
    notes.push(`${sample.skippedNoQuery} judged pairs skipped: query has no text in ${o.queriesFile}`);
  notes.forEach((l) => log(l));
  const umapOn = o.umap ?? true;
  if (umapOn && 2 * n <= UMAP_N_NEIGHBORS)
    throw new UserError(
      `UMAP needs more than ${UMAP_N_NEIGHBORS} vectors: ${n} pairs give ${2 * n} (add pairs or turn UMAP off)`,
    );

  const models: GeometryModel[] = [];
  let base: { u: UnitRows; g: Float64Array } | null = null;
  let umapParams: GeometryResult['umapParams'] = {
    library: 'umap-js',
    version: '',
    nNeighbors: UMAP_N_NEIGHBORS,
    minDist: UMAP_MIN_DIST,
    metric: 'cosine',
    nEpochs: null,
    seed: o.seed,
  };
  for (const m of o.models) {
    log(`${m.label}: encoding ${2 * n} texts`);
    let t = performance.now();
    const { vectors, dim } = encodePairs(m.spec, sample.pairs, o.device, o.precision);
    const encodeSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const u = normalizeRows(vectors, 2 * n, dim);
    const g = cosineMatrix(u);
    const sameWidth = base !== null && base.u.dim === dim;
    if (base !== null && !sameWidth)
      log(`${m.label}: width ${dim} differs from the base's ${base.u.dim}: no drift / neighbour overlap`);
    const row: GeometryModel = {
      model: m.label,
      modelPath: m.spec,
      alignment: alignment(g, n),
      uniformity: uniformity(g, 2 * n),
      anisotropy: anisotropy(g, 2 * n),
      effectiveRank: effectiveRank(u),
      meanPairCosine: meanPairCosine(g, n),
      meanOtherCosine: meanOtherCosine(g, n),
      driftFromBase: sameWidth ? drift(base!.u, u) : null,
      neighbourOverlapWithBase: sameWidth ? neighbourOverlap(base!.g, g, 2 * n, NEIGHBOURS) : null,
      umap: [],
    };
    const numbersSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    if (umapOn) {
      log(`${m.label}: UMAP of ${2 * n} vectors`);
      const p = projectUmap(u.data, 2 * n, dim, o.seed);
      row.umap = p.points.map(([x, y], i): GeometryPoint => ({ x, y, kind: i < n ? 'query' : 'passage', pair: i % n }));
      umapParams = p.params;
    }
    row.seconds = { encode: encodeSeconds, numbers: numbersSeconds, umap: (performance.now() - t) / 1000 };
    models.push(row);
    base ??= { u, g };
  }
  return {
    pairs: n,
    requestedPairs: o.n,
    skippedNoText: sample.skippedNoText,
    minGrade: o.minGrade,
    seed: o.seed,
    umapParams,
    models,
    availablePairs: sample.available,
    skippedNoQuery: sample.skippedNoQuery,
    notes,
    pairIds: sample.pairs.map((p) => ({ qid: p.qid, pid: p.pid })),
  };
}

/** Rows: the n queries, then their n passages (unit vectors are made by the caller). */
function encodePairs(
  spec: string,
  pairs: readonly Pair[],
  device?: string,
  precision?: Precision,
): { vectors: Float32Array; dim: number } {
  const encoder = SentenceEncoder.load(spec, { device, precision });
  try {
    const q = encoder.encode(
      pairs.map((p) => p.query),
      'query',
    );
    const p = encoder.encode(
      pairs.map((x) => x.passage),
      'passage',
    );
    const vectors = new Float32Array(q.length + p.length);
    vectors.set(q);
    vectors.set(p, q.length);
    return { vectors, dim: encoder.dim };
  } finally {
    encoder.dispose();
  }
}
