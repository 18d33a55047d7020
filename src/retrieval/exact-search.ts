// Exact maximum-inner-product search: for every query, the k documents with the highest
// q . d (cosine when `normalize` L2-normalises both sides first), over a document matrix
// visited in chunks, folded into a running top-k. Ties rank the lower document position first.
// On the CPU each chunk goes through one fused native step (engine searchFold): scores are
// computed a [rowsPerBlock, docsPerTile] tile at a time and selected while the tile is in
// cache, each thread owning whole queries. Elsewhere one matmul per chunk and query block,
// then topk and a merge. Memory: one chunk and the running [Q, k] results (plus one
// [Qb, chunk] score block off the CPU).
// `scan: 'bf16'` (CPU): scores from a bf16 GEMM, and every document within the bf16 error
// bound of a query's running k-th best re-scored in fp32 (native/search.cc derives the bound):
// the exact top-k (up to fp32 rounding on near-ties), with fewer fp32 multiply-adds.
// One core serves search and the timing table: an optional `clock` splits the time between
// similarity (uploads, normalisation, the matmul) and top-k (selection, merge, read-back); in
// the fused step the split is by the seconds its threads spent in each.
import {
  cat,
  full,
  noGrad,
  synchronize,
  tensor,
  tidy,
  keep,
  int64,
  searchFold,
  type SearchFoldOptions,
  type Tensor,
} from '../engine/index.ts';
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
  queryBlock?: number; // queries per block (default: 1024, all of them on the CPU)
  device?: string;
  /** L2-normalise queries and documents before the inner product (cosine over unnormalised vectors). */
  normalize?: boolean;
  onChunk?: (docsDone: number) => void;
  clock?: StageClock;
  /** 'bf16': the bf16 scan with fp32 re-scoring (CPU only). Default 'fp32'. */
  scan?: 'fp32' | 'bf16';
  /** GEMM tile of the fused CPU step (default DEFAULT_TILE). */
  tile?: { rowsPerBlock: number; docsPerTile: number };
}

/** A [128, 1024] fp32 score tile is 512 KiB: it stays in a core's L2 cache while it is selected from. */
export const DEFAULT_TILE = { rowsPerBlock: 128, docsPerTile: 1024 };

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
    if (opts.scan === 'bf16' && this.device !== 'cpu')
      throw new Error('exactSearch: the bf16 scan runs on the CPU only');
    const Q = queries.length / dim;
    const Qb = opts.queryBlock ?? (this.device === 'cpu' ? Math.max(Q, 1) : 1024);
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
        if (this.device === 'cpu') return this.fold(this.timed('similaritySeconds', () => this.prepare(chunk, rows)));
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

  /** The fused CPU step over one chunk's documents d [N, C], for every query block. */
  private fold(d: Tensor): void {
    const o: SearchFoldOptions = { ...(this.opts.tile ?? DEFAULT_TILE), bf16: this.opts.scan === 'bf16' };
    for (const b of this.blocks) {
      if (b.values === null) {
        b.values = keep(full([b.q.shape[0]!, this.k], -Infinity));
        b.indices = keep(full([b.q.shape[0]!, this.k], -1, { dtype: 'int64' }));
      }
      const t0 = performance.now();
      const spent = searchFold(b.values, b.indices!, b.q, d, this.offset, o);
      const clock = this.opts.clock;
      if (!clock) continue;
      const wall = (performance.now() - t0) / 1000;
      const share = spent.gemmSeconds / Math.max(spent.gemmSeconds + spent.selectSeconds, 1e-12);
      clock.similaritySeconds += wall * share;
      clock.topkSeconds += wall * (1 - share);
    }
  }

  private merge(b: Block, scores: Tensor): void {
    const k = this.k;
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
