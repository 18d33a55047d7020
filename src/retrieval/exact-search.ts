// Exact maximum-inner-product search: for every query, the k documents with the highest
// q . d (cosine when `normalize` L2-normalises both sides first), over a document matrix
// visited in chunks (one matmul per chunk and query block, folded into a running top-k).
// Memory: one chunk, one [Qb, chunk] score block and the running [Q, k] results.
// One core serves search and the timing table: an optional `clock` splits the time between
// similarity (uploads, normalisation, the matmul) and top-k (selection, merge, read-back).
import { cat, full, noGrad, synchronize, tensor, tidy, keep, int64, topkUpdate, type Tensor } from '../engine/index.ts';
import { l2Normalize } from '../model/pooling.ts';

export interface TopK {
  k: number;
  indices: Int32Array; // [Q * k] document positions (-1 where fewer than k documents exist)
  scores: Float32Array; // [Q * k], descending per query
}

/** Seconds spent per stage, accumulated (the device is synchronised at each boundary). */
export interface StageClock {
  similaritySeconds: number;
  topkSeconds: number;
}

export interface SearchOptions {
  queryBlock?: number; // queries per matmul (default 1024)
  device?: string;
  /** L2-normalise queries and documents before the inner product (cosine over unnormalised vectors). */
  normalize?: boolean;
  onChunk?: (docsDone: number) => void;
  clock?: StageClock;
}

/** A source of document chunks: [rows, dim] float32 each, in document order. */
export type DocChunks = Iterable<Float32Array> | AsyncIterable<Float32Array>;

export async function exactSearch(
  queries: Float32Array,
  dim: number,
  docs: DocChunks,
  k: number,
  opts: SearchOptions = {},
): Promise<TopK> {
  const s = new SearchState(queries, dim, k, opts);
  try {
    for await (const chunk of docs) s.add(chunk);
    return s.result();
  } finally {
    s.dispose();
  }
}

/** Chunks that are not contiguous (one rank's shards of a collection): each with its first row's position. */
export async function exactSearchAt(
  queries: Float32Array,
  dim: number,
  docs: Iterable<{ start: number; data: Float32Array }>,
  k: number,
  opts: SearchOptions = {},
): Promise<TopK> {
  const s = new SearchState(queries, dim, k, opts);
  try {
    for (const chunk of docs) s.add(chunk.data, chunk.start);
    return s.result();
  } finally {
    s.dispose();
  }
}

/** The same search over chunks already in memory, synchronously. */
export function exactSearchSync(
  queries: Float32Array,
  dim: number,
  docs: Iterable<Float32Array>,
  k: number,
  opts: SearchOptions = {},
): TopK {
  const s = new SearchState(queries, dim, k, opts);
  try {
    for (const chunk of docs) s.add(chunk);
    return s.result();
  } finally {
    s.dispose();
  }
}

interface Block {
  q: Tensor;
  values: Tensor | null;
  indices: Tensor | null;
}

class SearchState {
  private readonly blocks: Block[] = [];
  private readonly device: string;
  private offset = 0;

  constructor(
    private readonly queries: Float32Array,
    private readonly dim: number,
    private readonly k: number,
    private readonly opts: SearchOptions,
  ) {
    this.device = opts.device ?? 'cpu';
    const Q = queries.length / dim;
    const Qb = opts.queryBlock ?? 1024;
    this.timed('similaritySeconds', () => {
      for (let s = 0; s < Q; s += Qb) {
        const n = Math.min(Qb, Q - s);
        const q = tidy(() => keep(this.prepare(queries.subarray(s * dim, (s + n) * dim), n))); // [Qb, C]
        this.blocks.push({ q, values: null, indices: null });
      }
    });
  }

  /** Folds one chunk of documents (its first row at position `start`) into every query block's running top-k. */
  add(chunk: Float32Array, start = this.offset): void {
    const rows = chunk.length / this.dim;
    this.offset = start;
    if (rows === 0) return;
    noGrad(() =>
      tidy(() => {
        const dT = this.timed('similaritySeconds', () => this.prepare(chunk, rows).transpose(0, 1)); // [C, N]
        for (const b of this.blocks) {
          const scores = this.timed('similaritySeconds', () => b.q.matmul(dT)); // [Qb, N]
          this.timed('topkSeconds', () => this.merge(b, scores));
        }
      }),
    );
    this.offset += rows;
    this.opts.onChunk?.(this.offset);
  }

  result(): TopK {
    return this.timed('topkSeconds', () => this.readBack());
  }

  dispose(): void {
    for (const b of this.blocks) {
      b.q.dispose();
      b.values?.dispose();
      b.indices?.dispose();
    }
  }

  private prepare(data: Float32Array, rows: number): Tensor {
    const raw = tensor(data, [rows, this.dim]).to(this.device);
    return this.opts.normalize ? l2Normalize(raw) : raw;
  }

  private merge(b: Block, scores: Tensor): void {
    const k = this.k;
    if (this.device === 'cpu') {
      // one pass with a k-th-best threshold per query instead of top-k + merge (~3x less time in selection)
      if (b.values === null) {
        b.values = keep(full([scores.shape[0]!, k], -Infinity));
        b.indices = keep(full([scores.shape[0]!, k], -1, { dtype: 'int64' }));
      }
      topkUpdate(b.values, b.indices!, scores, this.offset);
      return;
    }
    const top = scores.topk(Math.min(k, scores.shape[1]!), 1); // [Qb, kk]
    const idx = top.indices.add(int64([this.offset]).to(this.device));
    if (b.values === null) {
      b.values = keep(top.values);
      b.indices = keep(idx);
      return;
    }
    // merge the running top-k with this chunk's
    const allV = cat([b.values, top.values], 1);
    const allI = cat([b.indices!, idx], 1);
    const m = allV.topk(Math.min(k, allV.shape[1]!), 1);
    b.values.dispose();
    b.indices!.dispose();
    b.values = keep(m.values);
    b.indices = keep(allI.gather(1, m.indices));
  }

  private readBack(): TopK {
    const { k } = this;
    const Q = this.queries.length / this.dim;
    const indices = new Int32Array(Q * k).fill(-1);
    const scores = new Float32Array(Q * k).fill(-Infinity);
    let row = 0;
    for (const b of this.blocks) {
      const n = b.q.shape[0]!;
      if (b.values) {
        const kk = b.values.shape[1]!;
        const v = b.values.f32();
        const ix = b.indices!.i64();
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < kk; j++) {
            indices[(row + i) * k + j] = Number(ix[i * kk + j]);
            scores[(row + i) * k + j] = v[i * kk + j]!;
          }
        }
      }
      row += n;
    }
    return { k, indices, scores };
  }

  /** Runs fn, adding its time to the clock's stage when there is a clock (device synchronised). */
  private timed<T>(stage: keyof StageClock, fn: () => T): T {
    const clock = this.opts.clock;
    if (!clock) return fn();
    synchronize();
    const t = performance.now();
    const r = fn();
    synchronize();
    clock[stage] += (performance.now() - t) / 1000;
    return r;
  }
}
