// UMAP to 2-D with umap-js, seeded: every random draw goes through ftlab's seeded PRNG
// (umap-js otherwise uses Math.random), so the same vectors and seed give the same points.
import { createRequire } from 'node:module';
import { UMAP } from 'umap-js';
import { Random } from '../data/random.ts';
import type { GeometryResult } from './types.ts';

export const UMAP_N_NEIGHBORS = 15;
export const UMAP_MIN_DIST = 0.1;

/** 1 - cosine (umap-js's own `cosine` is the same; this one is allocation-free and guards zero vectors). */
export function cosineDistance(x: number[], y: number[]): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    nx += x[i]! * x[i]!;
    ny += y[i]! * y[i]!;
  }
  return nx === 0 || ny === 0 ? 1 : 1 - dot / Math.sqrt(nx * ny);
}

export interface UmapProjection {
  points: [number, number][];
  params: GeometryResult['umapParams'];
}

/** Projects `rows` vectors of width `dim` (row-major) to 2-D. */
export function projectUmap(x: ArrayLike<number>, rows: number, dim: number, seed: number): UmapProjection {
  if (rows <= UMAP_N_NEIGHBORS) throw new Error(`UMAP needs more than ${UMAP_N_NEIGHBORS} vectors, got ${rows}`);
  const data: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: dim }, (_, j) => x[i * dim + j]!),
  );
  const rng = new Random(seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: UMAP_N_NEIGHBORS,
    minDist: UMAP_MIN_DIST,
    distanceFn: cosineDistance,
    random: () => rng.next(),
  });
  const nEpochs = umap.initializeFit(data); // the library's default epoch count for this size
  for (let e = 0; e < nEpochs; e++) umap.step();
  const points = umap.getEmbedding().map((p) => [p[0]!, p[1]!] as [number, number]);
  return {
    points,
    params: {
      library: 'umap-js',
      version: umapVersion(),
      nNeighbors: UMAP_N_NEIGHBORS,
      minDist: UMAP_MIN_DIST,
      metric: 'cosine',
      nEpochs,
      seed,
    },
  };
}

function umapVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('umap-js/package.json') as { version: string }).version;
}
