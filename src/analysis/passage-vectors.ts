// The passage side of the timing table, held in memory as chunks of [rows, dim] float32 (a
// search index a server keeps loaded): a collection's embeddings (through the embedding cache),
// a .npy matrix, or N seeded random unit vectors.
import { readNpyF32 } from '../io/npy.ts';
import { manualSeed, noGrad, randn } from '../engine/index.ts';
import { SHARD } from '../retrieval/embedding-cache.ts';
import { InputError } from '../errors.ts';

export interface PassageChunks {
  chunks: Float32Array[];
  rows: number;
  dim: number;
  path?: string; // the .npy they were read from
}

/** Splits a row-major [rows, dim] matrix into views of `chunkRows` rows (no copy). */
export function chunkRows(data: Float32Array, dim: number, chunkRows = SHARD): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s * dim < data.length; s += chunkRows)
    out.push(data.subarray(s * dim, Math.min(data.length, (s + chunkRows) * dim)));
  return out;
}

export function readNpyChunks(path: string): PassageChunks {
  const { data, shape } = readNpyF32(path);
  if (shape.length !== 2 || shape[0]! < 1)
    throw new InputError(path, null, `expected a non-empty [N, C] float32 matrix, got shape [${shape.join(', ')}]`);
  if (shape[1]! < 1) throw new InputError(path, null, `vectors of width 0 (shape [${shape.join(', ')}])`);
  return { chunks: chunkRows(data, shape[1]!), rows: shape[0]!, dim: shape[1]!, path };
}

/**
 * n random unit vectors of width dim (normal draws, L2-normalised), from libtorch's generator
 * seeded with `seed`, made chunk by chunk (8.8M x 384 is 13.5 GB: no full-size temporary).
 */
export function syntheticChunks(n: number, dim: number, seed: number, rows = 65536): PassageChunks {
  if (!Number.isInteger(n) || n < 1) throw new Error(`synthetic passages: need a positive count, got ${n}`);
  manualSeed(seed);
  const chunks: Float32Array[] = [];
  for (let s = 0; s < n; s += rows) {
    const r = Math.min(rows, n - s);
    chunks.push(
      noGrad(() => {
        const x = randn([r, dim]);
        const u = x.normalize(2, 1);
        x.dispose();
        try {
          return u.f32();
        } finally {
          u.dispose();
        }
      }),
    );
  }
  return { chunks, rows: n, dim };
}
