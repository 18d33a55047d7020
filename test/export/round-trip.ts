// Shared by the export tests: real texts (pool passages and DL19 queries, or generated
// ones when the data is absent), transformers.js encoding of an exported folder, cosine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_MSMARCO } from '../helpers/tiny-model.ts';

const DL = join(SHARED_MSMARCO, 'trec-dl');

function firstTexts(path: string, n: number): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .slice(0, n)
    .map((l) => l.slice(l.indexOf('\t') + 1));
}

/** 50 pool passages and 20 DL19 queries (or generated stand-ins, with a note, when the data is absent). */
export function roundTripTexts(): { texts: string[]; real: boolean } {
  const pool = join(DL, 'collection.pool.tsv');
  const queries = join(DL, 'queries.dl19.tsv');
  if (existsSync(pool) && existsSync(queries))
    return { texts: [...firstTexts(pool, 50), ...firstTexts(queries, 20)], real: true };
  const words = ['river', 'bank', 'loan', 'piano', 'rain', 'tax', 'school', 'city'];
  const texts = Array.from({ length: 70 }, (_, i) =>
    Array.from({ length: 3 + ((i * 7) % 60) }, (_, j) => words[(i + j * 3) % 8]).join(' '),
  );
  return { texts, real: false };
}

/** transformers.js feature-extraction on an exported folder, mean pooling + L2 normalisation: [N * C]. */
export async function transformersJsEncode(
  dir: string,
  texts: string[],
  batch = 10,
  dtype: 'fp32' | 'q8' = 'fp32',
): Promise<{ vectors: Float32Array; dim: number }> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const extract = await pipeline('feature-extraction', dir, { local_files_only: true, dtype });
  const parts: Float32Array[] = [];
  let dim = 0;
  for (let i = 0; i < texts.length; i += batch) {
    const out = await extract(texts.slice(i, i + batch), { pooling: 'mean', normalize: true });
    dim = out.dims[1] as number;
    parts.push(out.data as Float32Array);
  }
  await extract.dispose();
  const vectors = new Float32Array(texts.length * dim);
  let off = 0;
  for (const p of parts) {
    vectors.set(p, off);
    off += p.length;
  }
  return { vectors, dim };
}

export function cosine(a: Float32Array, b: Float32Array, i: number, C: number): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let c = 0; c < C; c++) {
    const x = a[i * C + c]!,
      y = b[i * C + c]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The smallest row-wise cosine between two [N, C] matrices. */
export function minCosine(a: Float32Array, b: Float32Array, C: number): number {
  let m = Infinity;
  for (let i = 0; i < a.length / C; i++) m = Math.min(m, cosine(a, b, i, C));
  return m;
}
