// Vectors with their ids, in the formats `ftlab embed --output` writes, streamed: rows are
// appended as they are encoded (the full collection's vectors never sit in memory at once),
// and nothing appears under the final name unless every row was written.
//   .npy          float32 [N, C]; ids one a line in FILE.ids.txt
//   .safetensors  "embeddings" F32 [N, C] and "ids" I64 [N] (non-numeric ids: metadata "ids")
//   .jsonl        {"id": ..., "vector": [...]} a line
import { extname } from 'node:path';
import { AtomicFile } from './atomic-file.ts';
import { npyHeader } from './npy.ts';
import { encodeHeader } from './safetensors.ts';

export const EMBEDDING_FORMATS = ['.npy', '.safetensors', '.jsonl'];

export class EmbeddingsWriter {
  readonly #files: AtomicFile[] = [];
  readonly #format: string;
  #row = 0;
  readonly #numericIds: boolean;

  constructor(
    readonly path: string,
    readonly n: number,
    readonly dim: number,
    readonly id: (i: number) => string,
  ) {
    this.#format = extname(path);
    if (!EMBEDDING_FORMATS.includes(this.#format)) throw new Error(`unknown embeddings format ${path}`);
    let numeric = true;
    for (let i = 0; i < n && numeric; i++) numeric = /^\d{1,15}$/.test(id(i));
    this.#numericIds = numeric;
    try {
      const main = new AtomicFile(path);
      this.#files.push(main);
      if (this.#format === '.npy') {
        main.write(npyHeader([n, dim], '<f4'));
        this.#files.push(new AtomicFile(`${path}.ids.txt`));
      } else if (this.#format === '.safetensors') {
        main.write(this.#safetensorsHeader());
      }
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  #safetensorsHeader(): Uint8Array {
    const vecBytes = this.n * this.dim * 4;
    const header: Record<string, unknown> = {
      embeddings: { dtype: 'F32', shape: [this.n, this.dim], data_offsets: [0, vecBytes] },
    };
    if (this.#numericIds)
      header.ids = { dtype: 'I64', shape: [this.n], data_offsets: [vecBytes, vecBytes + this.n * 8] };
    else header.__metadata__ = { ids: JSON.stringify(Array.from({ length: this.n }, (_, i) => this.id(i))) };
    return encodeHeader(header);
  }

  /** Appends rows [k, dim] (the next k ids). */
  append(vectors: Float32Array): void {
    const k = vectors.length / this.dim;
    const [main, second] = this.#files as [AtomicFile, AtomicFile | undefined];
    if (this.#format === '.jsonl') {
      const lines: string[] = [];
      for (let r = 0; r < k; r++) {
        lines.push(
          `${JSON.stringify({ id: this.id(this.#row + r), vector: Array.from(vectors.subarray(r * this.dim, (r + 1) * this.dim)) })}\n`,
        );
      }
      main.write(lines.join(''));
    } else {
      main.write(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
      if (second) second.write(Array.from({ length: k }, (_, r) => `${this.id(this.#row + r)}\n`).join(''));
    }
    this.#row += k;
  }

  commit(): void {
    if (this.#row !== this.n) throw new Error(`embeddings writer got ${this.#row} of ${this.n} rows`);
    if (this.#format === '.safetensors' && this.#numericIds) {
      const ids = new BigInt64Array(this.n);
      for (let i = 0; i < this.n; i++) ids[i] = BigInt(this.id(i));
      this.#files[0]!.write(new Uint8Array(ids.buffer));
    }
    for (const f of [...this.#files].reverse()) f.commit(); // the vectors file last
  }

  abort(): void {
    for (const f of this.#files) f.abort();
  }
}
