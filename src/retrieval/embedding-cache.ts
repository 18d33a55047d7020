// Collection embeddings on disk, keyed by the model's fingerprint and the collection file
// (path, size, mtime), so a second search or a mining run does not re-encode. Written in
// shards of SHARD passages (.npy, atomically) as encoding goes: an interrupted run resumes
// at the first missing shard. Search streams the shards back, one at a time. A shard is a
// range of passages, not a rank's work: ranks of a sharded encoding each write a contiguous
// run of shards into the same folder, which then serves any world size.
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
import type { TextRole } from '../model/config.ts';

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
  /** Only this rank's contiguous run of shards (shardsOf): one rank of a sharded encoding. */
  part?: { rank: number; size: number };
  /** Which prompt the model prepends (default passage; a query-role cache has its own key). */
  role?: TextRole;
}

/**
 * The shards rank `rank` of `size` encodes: a contiguous run, the runs in rank order and
 * their lengths differing by at most one. 5 shards on 2 ranks: [0, 1] and [2, 3, 4].
 */
export function shardsOf(shards: number, part: { rank: number; size: number }): number[] {
  const from = Math.floor((part.rank * shards) / part.size);
  const to = Math.floor(((part.rank + 1) * shards) / part.size);
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export class CollectionEmbeddings {
  constructor(
    readonly dir: string | null,
    readonly size: number,
    readonly dim: number,
    readonly memory: Float32Array[] | null,
    /** The shards this holds (one rank's part), or null for all. */
    readonly owned: number[] | null = null,
    /** How many of the held shards came from the cache (the others were encoded now). */
    readonly reused = 0,
  ) {}

  /** Shard s ([rows, dim] float32), which this must hold. */
  shard(s: number): Float32Array {
    const i = this.owned ? this.owned.indexOf(s) : s;
    if (i < 0) throw new Error(`shard ${s} is not held here (held: ${this.owned?.join(', ')})`);
    return this.memory ? this.memory[i]! : readNpyF32(join(this.dir!, shardName(s))).data;
  }

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

function cachePath(encoder: SentenceEncoder, collectionPath: string, cacheDir?: string, role?: TextRole): string {
  // passage vectors keep the key they always had; other roles add theirs
  const roleKey = role === undefined || role === 'passage' ? '' : `|${role}`;
  const key = createHash('sha256')
    .update(`${modelFingerprint(encoder)}|${collectionKey(collectionPath)}|${SHARD}${roleKey}`)
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
  const shards = Math.ceil(collection.size / SHARD);
  return new CollectionEmbeddings(dir, collection.size, encoder.dim, null, null, shards);
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
  const owned = shardsOf(Math.ceil(n / SHARD), part);
  const ownedOrNull = part.size > 1 ? owned : null;
  const role = opts.role ?? 'passage';
  const encodeShard = (s: number): Float32Array => {
    const texts: string[] = [];
    for (let i = s * SHARD; i < Math.min(n, (s + 1) * SHARD); i++) texts.push(collection.text(i));
    return encoder.encode(texts, role, {
      batchSize: opts.batchSize,
      onProgress: (d) => opts.onProgress?.(s * SHARD + d, n),
    });
  };
  if (opts.cacheDir === null) {
    const memory = owned.map(encodeShard);
    return new CollectionEmbeddings(null, n, dim, memory, ownedOrNull);
  }
  const dir = cachePath(encoder, collectionPath, opts.cacheDir, role);
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
      { collection: realpathSync(collectionPath), model: encoder.files?.dir, role, passages: n, dim, shard: SHARD },
      null,
      2,
    );
    writeAtomic(manifest, (f) => f.write(text));
  }
  let reused = 0;
  for (const s of owned) {
    const path = join(dir, shardName(s));
    const problem = existsSync(path) ? shardProblem(path, shardRows(s, n), dim) : 'missing';
    if (problem === null) {
      reused++;
      opts.onProgress?.(Math.min(n, (s + 1) * SHARD), n, '(cached)');
      continue;
    }
    if (problem !== 'missing') opts.warn?.(`embedding cache: ${path}: ${problem}; re-encoding it`);
    const vectors = encodeShard(s);
    writeAtomic(path, (f) => writeNpyF32(f, vectors, [vectors.length / dim, dim]));
  }
  return new CollectionEmbeddings(dir, n, dim, null, ownedOrNull, reused);
}

function manifestMatches(path: string, n: number, dim: number): boolean {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { passages?: number; dim?: number; shard?: number };
    return m.passages === n && m.dim === dim && (m.shard ?? SHARD) === SHARD;
  } catch {
    return false;
  }
}
