// Vectors with their ids, in the formats `ftlab embed --output` writes.
import { extname } from 'node:path';
import { tensor, int64, type Tensor } from '../engine/index.ts';
import { AtomicFile, writeAtomic } from './atomic-file.ts';
import { writeNpyF32 } from './npy.ts';
import { saveSafetensors } from '../model/safetensors.ts';

export const EMBEDDING_FORMATS = ['.npy', '.safetensors', '.jsonl'];

/** Writes vectors [N, dim] with ids; nothing appears unless everything was written. */
export function writeEmbeddings(path: string, ids: string[], vectors: Float32Array, dim: number): void {
  const n = ids.length;
  switch (extname(path)) {
    case '.npy': {
      // Two files, committed together: vectors, then ids one a line.
      const vec = new AtomicFile(path);
      const idf = new AtomicFile(`${path}.ids.txt`);
      try {
        writeNpyF32(vec, vectors, [n, dim]);
        idf.write(ids.map((id) => `${id}\n`).join(''));
      } catch (e) {
        vec.abort();
        idf.abort();
        throw e;
      }
      idf.commit();
      vec.commit();
      return;
    }
    case '.safetensors': {
      const numeric = ids.every((id) => /^\d{1,15}$/.test(id));
      const tensors = new Map<string, Tensor>([['embeddings', tensor(vectors, [n, dim])]]);
      if (numeric) tensors.set('ids', int64(ids.map(Number), [n]));
      try {
        saveSafetensors(path, tensors, numeric ? {} : { ids: JSON.stringify(ids) });
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
      return;
    }
    case '.jsonl':
      writeAtomic(path, (f) => {
        for (let i = 0; i < n; i++) {
          f.write(`${JSON.stringify({ id: ids[i], vector: Array.from(vectors.subarray(i * dim, (i + 1) * dim)) })}\n`);
        }
      });
      return;
    default:
      throw new Error(`unknown embeddings format ${path}`);
  }
}
