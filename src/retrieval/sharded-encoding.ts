// A collection encoded across the ranks of a process group: each rank encodes its contiguous
// run of cache shards (shardsOf), writing them to the embedding cache as one process would
// (the same shards, the same batches: the same vectors), then the shards travel to every rank
// in collection order, one broadcast per shard from the rank that holds it, so rank 0 streams
// them into one output while holding one shard at a time. c10d has no gather-to-one in the
// addon, so the other ranks receive each shard too (a shard is 16,384 rows: 25 MB at 384-d).
import { tensor, WorkPhase, type World, zeros } from '../engine/index.ts';
import type { Collection } from '../data/collection.ts';
import { type EncodeOptions, planBatches, type SentenceEncoder } from '../model/sentence-encoder.ts';
import type { TextRole } from '../model/config.ts';
import { type CacheOptions, type CollectionEmbeddings, embedCollection, SHARD, shardsOf } from './embedding-cache.ts';

export interface ShardedEncoding {
  docs: CollectionEmbeddings; // this rank's shards
  shards: number; // in the whole collection
  reused: number; // of those, found in the cache (all ranks together)
}

/**
 * Encodes (or finds in the cache) this rank's shards, then waits for every rank to be done
 * (WorkPhase: the encoding may take hours, longer than a collective may wait).
 * `collectionPath` null: texts with no file behind them, encoded in memory (no cache).
 */
export async function encodeAcrossRanks(
  encoder: SentenceEncoder,
  collection: Collection,
  collectionPath: string | null,
  w: World,
  opts: CacheOptions = {},
): Promise<ShardedEncoding> {
  const phase = new WorkPhase(w, 'encode collection');
  const docs = embedCollection(encoder, collection, collectionPath ?? '', {
    ...opts,
    cacheDir: collectionPath === null ? null : opts.cacheDir,
    part: { rank: w.rank, size: w.size },
    onProgress: (done, n, note) => {
      phase.beat();
      opts.onProgress?.(done, n, note);
    },
  });
  await phase.done();
  const reused = tensor(Float64Array.of(docs.reused), [1]);
  w.allReduce(reused, 'sum');
  const total = reused.f64()[0]!;
  reused.dispose();
  return { docs, shards: Math.ceil(collection.size / SHARD), reused: total };
}

/** The rank whose contiguous run of shards (shardsOf) holds shard s. */
export function shardOwner(s: number, shards: number, size: number): number {
  for (let r = 0; r < size; r++) {
    const own = shardsOf(shards, { rank: r, size });
    if (own.length > 0 && s <= own[own.length - 1]!) return r;
  }
  throw new Error(`shard ${s} of ${shards} has no owner among ${size} ranks`);
}

/** Every shard of the collection, [rows, dim] float32 in collection order, on every rank. */
export function* shardsInOrder(docs: CollectionEmbeddings, w: World): Generator<Float32Array> {
  if (docs.owned === null) {
    yield* docs.chunks();
    return;
  }
  const shards = Math.ceil(docs.size / SHARD);
  for (let s = 0; s < shards; s++) {
    const owner = shardOwner(s, shards, w.size);
    const shape = [Math.min(SHARD, docs.size - s * SHARD), docs.dim];
    const t = owner === w.rank ? tensor(docs.shard(s), shape) : zeros(shape);
    try {
      w.broadcast(t, owner);
      yield t.f32();
    } finally {
      t.dispose();
    }
  }
}

/**
 * This rank's part of `encoder.encode(texts)`: the batches one process would run (planBatches),
 * cut into contiguous runs of about equal padded tokens, one run a rank. Re-planning a run
 * gives back the same batches (the greedy plan restarts at a batch boundary), so each text's
 * vector is the one a single process computes, bit for bit. `rows`: which texts, in order.
 */
export function encodeShare(
  encoder: SentenceEncoder,
  texts: readonly string[],
  role: TextRole,
  opts: EncodeOptions,
  w: World,
): { rows: number[]; vectors: Float32Array } {
  const lists = encoder.tokenize(texts, role);
  const plan = planBatches(
    lists.map((l) => l.length),
    opts,
  );
  const rows = batchRuns(plan, lists, w.size)[w.rank]!.flat();
  const vectors = encoder.encodeTokenized(
    rows.map((i) => lists[i]!),
    { ...opts, onProgress: undefined }, // its counts would be this rank's alone
  );
  return { rows, vectors };
}

/**
 * Consecutive batches grouped into `size` runs by padded tokens (B x longest): a batch goes to
 * the run its cost's midpoint falls in (run floor(size * midpoint / total)). Costs 6, 4, 2 on
 * 2 ranks: total 12, midpoints 3, 8, 11 -> runs 0, 1, 1: [b0] and [b1, b2], 6 padded tokens each.
 */
export function batchRuns(plan: number[][], lists: readonly number[][], size: number): number[][][] {
  const cost = plan.map((b) => b.length * Math.max(1, ...b.map((i) => lists[i]!.length)));
  const total = cost.reduce((a, b) => a + b, 0);
  const runs: number[][][] = Array.from({ length: size }, () => []);
  let before = 0;
  plan.forEach((b, k) => {
    const r = Math.min(size - 1, Math.floor((size * (before + cost[k]! / 2)) / Math.max(total, 1)));
    runs[r]!.push(b);
    before += cost[k]!;
  });
  return runs;
}

/**
 * Every text's vector on every rank, [N * C] (what `encoder.encode(texts)` returns): each rank
 * encodes its share (encodeShare), the rest of its rows zero, and an all-reduce sums them
 * (x + 0 = x: exact). For queries, short enough to hold whole on every rank.
 */
export function encodeAllRanks(
  encoder: SentenceEncoder,
  texts: readonly string[],
  role: TextRole,
  opts: EncodeOptions,
  w: World,
): Float32Array {
  if (w.size === 1) return encoder.encode(texts, role, opts);
  const C = encoder.dim;
  const { rows, vectors } = encodeShare(encoder, texts, role, opts, w);
  const full = new Float32Array(texts.length * C);
  rows.forEach((i, k) => full.set(vectors.subarray(k * C, (k + 1) * C), i * C));
  const t = tensor(full, [texts.length, C]);
  try {
    w.allReduce(t, 'sum');
    return t.f32();
  } finally {
    t.dispose();
  }
}
