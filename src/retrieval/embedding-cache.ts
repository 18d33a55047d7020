// Collection embeddings on disk, keyed by the model's fingerprint and the collection file
// (path, size, mtime), so a second search or a mining run does not re-encode. Written in
// shards of SHARD passages (.npy, atomically) as encoding goes: an interrupted run resumes
// at the first missing shard. Search streams the shards back, one at a time.
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Collection } from '../data/collection.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { npyHeader, readNpyF32, writeNpyF32 } from '../io/npy.ts';
import { modelFingerprint } from '../model/fingerprint.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';

export const SHARD = 16384;

export function defaultCacheDir(): string {
  return process.env.FTLAB_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ftlab');
}

export interface CacheOptions {
  cacheDir?: string | null; // null: no cache (encode in memory)
  batchSize?: number;
  onProgress?: (done: number, total: number, note?: string) => void;
  /** A damaged cache entry was found (and is re-encoded): one line naming it. */
  warn?: (line: string) => void;
  /** Only the shards s with s % size === rank (one rank of a sharded encoding). */
  part?: { rank: number; size: number };
}

export class CollectionEmbeddings {
  constructor(
    readonly dir: string | null,
    readonly size: number,
    readonly dim: number,
    readonly memory: Float32Array[] | null,
    /** The shards this holds (one rank's part), or null for all. */
    readonly owned: number[] | null = null,
  ) {}

  /** The shards held, each with the position of its first passage. */
  *positioned(): Generator<{ start: number; data: Float32Array }> {
    const shards = this.owned ?? Array.from({ length: Math.ceil(this.size / SHARD) }, (_, s) => s);
    for (let i = 0; i < shards.length; i++) {
      const s = shards[i]!;
      yield {
        start: s * SHARD,
        data: this.memory ? this.memory[i]! : readNpyF32(join(this.dir!, shardName(s))).data,
      };
    }
  }

  /** Shards of [rows, dim] float32, in collection order. */
  *chunks(): Generator<Float32Array> {
    if (this.memory) {
      yield* this.memory;
      return;
    }
    for (let s = 0; s * SHARD < this.size; s++) yield readNpyF32(join(this.dir!, shardName(s))).data;
  }

  /** Vectors of the given passages (positions), [n, dim]. */
  gather(positions: readonly number[]): Float32Array {
    const out = new Float32Array(positions.length * this.dim);
    const byShard = new Map<number, number[]>();
    positions.forEach((p, i) => {
      const s = Math.floor(p / SHARD);
      if (!byShard.has(s)) byShard.set(s, []);
      byShard.get(s)!.push(i);
    });
    for (const [s, items] of byShard) {
      const data = this.memory ? this.memory[s]! : readNpyF32(join(this.dir!, shardName(s))).data;
      for (const i of items) {
        const r = positions[i]! - s * SHARD;
        out.set(data.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
      }
    }
    return out;
  }
}

function shardName(s: number): string {
  return `shard-${String(s).padStart(5, '0')}.npy`;
}

/**
 * Whether a shard file holds exactly what this cache writes for `rows` x `dim` vectors: the
 * same .npy header and the matching size. A truncated (killed copy, full disk) or foreign
 * file fails, and is re-encoded instead of crashing the search.
 */
export function shardProblem(path: string, rows: number, dim: number): string | null {
  const header = npyHeader([rows, dim], '<f4');
  const want = header.length + rows * dim * 4;
  const size = statSync(path).size;
  if (size !== want) return `${size} bytes, expected ${want}${size < want ? ' (truncated)' : ''}`;
  const got = Buffer.alloc(header.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, got, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return got.equals(Buffer.from(header)) ? null : "its header is not this cache's (foreign or corrupt file)";
}

function shardRows(s: number, n: number): number {
  return Math.min(SHARD, n - s * SHARD);
}

function collectionKey(path: string): string {
  const st = statSync(path);
  return `${realpathSync(path)}|${st.size}|${st.mtimeMs}`;
}

function cachePath(encoder: SentenceEncoder, collectionPath: string, cacheDir?: string): string {
  const key = createHash('sha256')
    .update(`${modelFingerprint(encoder)}|${collectionKey(collectionPath)}|${SHARD}`)
    .digest('hex')
    .slice(0, 24);
  return join(cacheDir ?? defaultCacheDir(), 'embeddings', key);
}

/** The cached embeddings of this model and collection when every shard is there, else null. */
export function cachedEmbeddings(
  encoder: SentenceEncoder,
  collection: Collection,
  collectionPath: string,
  cacheDir?: string,
  warn?: (line: string) => void,
): CollectionEmbeddings | null {
  const dir = cachePath(encoder, collectionPath, cacheDir);
  for (let s = 0; s * SHARD < collection.size; s++) {
    const path = join(dir, shardName(s));
    if (!existsSync(path)) return null;
    const problem = shardProblem(path, shardRows(s, collection.size), encoder.dim);
    if (problem) {
      warn?.(`embedding cache: ${path}: ${problem}; not used (encoding instead)`);
      return null;
    }
  }
  return new CollectionEmbeddings(dir, collection.size, encoder.dim, null);
}

/** Encodes (or loads from the cache) every passage of the collection. */
export function embedCollection(
  encoder: SentenceEncoder,
  collection: Collection,
  collectionPath: string,
  opts: CacheOptions = {},
): CollectionEmbeddings {
  const dim = encoder.dim;
  const n = collection.size;
  const part = opts.part ?? { rank: 0, size: 1 };
  const owned = Array.from({ length: Math.ceil(n / SHARD) }, (_, s) => s).filter((s) => s % part.size === part.rank);
  const ownedOrNull = part.size > 1 ? owned : null;
  const encodeShard = (s: number): Float32Array => {
    const texts: string[] = [];
    for (let i = s * SHARD; i < Math.min(n, (s + 1) * SHARD); i++) texts.push(collection.text(i));
    return encoder.encode(texts, 'passage', {
      batchSize: opts.batchSize,
      onProgress: (d) => opts.onProgress?.(s * SHARD + d, n),
    });
  };
  if (opts.cacheDir === null) {
    const memory = owned.map(encodeShard);
    return new CollectionEmbeddings(null, n, dim, memory, ownedOrNull);
  }
  const dir = cachePath(encoder, collectionPath, opts.cacheDir);
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest) && !manifestMatches(manifest, n, dim)) {
    opts.warn?.(`embedding cache: ${dir} was written for another collection or model; re-encoding`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  if (!existsSync(manifest)) {
    // atomic: ranks of a sharded encoding may write it at once (the same content)
    const text = JSON.stringify(
      { collection: realpathSync(collectionPath), model: encoder.files?.dir, passages: n, dim, shard: SHARD },
      null,
      2,
    );
    writeAtomic(manifest, (f) => f.write(text));
  }
  for (const s of owned) {
    const path = join(dir, shardName(s));
    const problem = existsSync(path) ? shardProblem(path, shardRows(s, n), dim) : 'missing';
    if (problem === null) {
      opts.onProgress?.(Math.min(n, (s + 1) * SHARD), n, '(cached)');
      continue;
    }
    if (problem !== 'missing') opts.warn?.(`embedding cache: ${path}: ${problem}; re-encoding it`);
    const vectors = encodeShard(s);
    writeAtomic(path, (f) => writeNpyF32(f, vectors, [vectors.length / dim, dim]));
  }
  return new CollectionEmbeddings(dir, n, dim, null, ownedOrNull);
}

function manifestMatches(path: string, n: number, dim: number): boolean {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { passages?: number; dim?: number; shard?: number };
    return m.passages === n && m.dim === dim && (m.shard ?? SHARD) === SHARD;
  } catch {
    return false;
  }
}
