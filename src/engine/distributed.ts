// Past one process on PyTorch's distributed engine (c10d, through the addon): the process
// group comes from the environment torchrun, Slurm or `ftlab launch` sets (WORLD_SIZE, RANK,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT), as any PyTorch program's does. Gloo carries CPU
// tensors, NCCL CUDA ones. Without WORLD_SIZE the world is this one process and every
// collective is the identity, so callers write one code path.
import { UserError } from '../errors.ts';
import { native } from './native.ts';
import { Tensor } from './tensor.ts';

export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

/** A process group: this rank, the world's size, collectives and the rendezvous store. */
export interface World {
  rank: number;
  size: number;
  /** In place; 'avg' divides the sum by the world size. */
  allReduce(t: Tensor, op: ReduceOp): void;
  /** In place, as one flat buffer: one collective for many tensors (gradients). */
  allReduceMany(ts: Tensor[], op: ReduceOp): void;
  /** [n, ...] per rank -> [size * n, ...] in rank order; gradients flow back to every rank's rows. */
  allGather(t: Tensor): Tensor;
  broadcast(t: Tensor, root: number): void;
  barrier(): void;
  store: {
    set(key: string, value: string): void;
    /** Waits for the key (up to the timeout). */
    get(key: string): string;
    add(key: string, by: number): number;
    has(key: string): boolean;
  };
}

const DEFAULT_TIMEOUT_S = 300;

function intVar(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const v = env[name];
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min)
    throw new UserError(`${name} must be an integer >= ${min}, got '${v ?? ''}'`);
  return n;
}

/** The process group's coordinates from the environment, or null when WORLD_SIZE is unset. */
export function distEnv(env: NodeJS.ProcessEnv = process.env): DistEnv | null {
  if (env.WORLD_SIZE === undefined) return null;
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new UserError(`RANK ${rank} is not below WORLD_SIZE ${worldSize}`);
  if (worldSize > 1 && (env.MASTER_ADDR === undefined || env.MASTER_PORT === undefined))
    throw new UserError('WORLD_SIZE > 1 needs MASTER_ADDR and MASTER_PORT (the rendezvous address of rank 0)');
  return {
    rank,
    worldSize,
    localRank: env.LOCAL_RANK === undefined ? rank : intVar(env, 'LOCAL_RANK', 0),
    masterAddr: env.MASTER_ADDR ?? '127.0.0.1',
    masterPort: env.MASTER_PORT === undefined ? 29500 : intVar(env, 'MASTER_PORT', 1),
  };
}

/** Seconds a rendezvous or a collective may wait: $FTLAB_DIST_TIMEOUT, default 300. */
export function distTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.FTLAB_DIST_TIMEOUT;
  if (v === undefined) return DEFAULT_TIMEOUT_S;
  const n = Number(v);
  if (!(n > 0)) throw new UserError(`FTLAB_DIST_TIMEOUT must be a positive number of seconds, got '${v}'`);
  return n;
}

const single: World = {
  rank: 0,
  size: 1,
  allReduce: () => {},
  allReduceMany: () => {},
  allGather: (t) => t.clone(),
  broadcast: () => {},
  barrier: () => {},
  store: (() => {
    const m = new Map<string, string>();
    return {
      set: (k, v) => void m.set(k, v),
      get: (k) => {
        const v = m.get(k);
        if (v === undefined) throw new UserError(`store key '${k}' was never set`);
        return v;
      },
      add: (k, by) => {
        const n = Number(m.get(k) ?? 0) + by;
        m.set(k, String(n));
        return n;
      },
      has: (k) => m.has(k),
    };
  })(),
};

let current: World | null = null;

/** A collective that failed because a peer died or timed out: one line, exit 1. */
function collective<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new UserError(`${what} failed on rank ${current?.rank} (another rank died or timed out): ${msg}`);
  }
}

function groupWorld(e: DistEnv): World {
  return {
    rank: e.rank,
    size: e.worldSize,
    allReduce: (t, op) => collective('allReduce', () => native.distAllReduce(t.handle, op)),
    allReduceMany: (ts, op) =>
      collective('allReduce', () =>
        native.distAllReduceMany(
          ts.map((t) => t.handle),
          op,
        ),
      ),
    allGather: (t) => new Tensor(collective('allGather', () => native.distAllGather(t.handle))),
    broadcast: (t, root) => collective('broadcast', () => native.distBroadcast(t.handle, root)),
    barrier: () => collective('barrier', () => native.distBarrier()),
    store: {
      set: (k, v) => collective('store set', () => native.storeSet(k, v)),
      get: (k) => collective('store get', () => native.storeGet(k)),
      add: (k, by) => collective('store add', () => native.storeAdd(k, by)),
      has: (k) => collective('store check', () => native.storeCheck(k)),
    },
  };
}

/** What this engine build can do: c10d over Gloo (CPU) and NCCL (CUDA). */
export function distributedInfo(): { gloo: boolean; nccl: boolean } {
  return native.distributedInfo();
}

/**
 * Joins the process group the environment describes (once per process; later calls return
 * it), or the single-process world when WORLD_SIZE is unset. Gloo for CPU, NCCL for CUDA.
 */
export function joinWorld(device = 'cpu', env: NodeJS.ProcessEnv = process.env): World {
  if (current) return current;
  const e = distEnv(env);
  if (!e) {
    current = single;
    return current;
  }
  const backend = device.startsWith('cuda') ? 'nccl' : 'gloo';
  const info = distributedInfo();
  if (!info[backend])
    throw new UserError(
      `distributed ${backend} is not available in this build of the engine` +
        (backend === 'gloo'
          ? ' (it needs libtorch 2.x and Gloo headers: apt-get install libgloo-dev, then npm run build:native)'
          : ' (it needs a CUDA libtorch with NCCL headers)'),
    );
  const timeout = distTimeoutSeconds(env);
  try {
    native.distInit(backend, e.masterAddr, e.masterPort, e.rank, e.worldSize, timeout * 1000, e.localRank);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new UserError(
      `rendezvous at ${e.masterAddr}:${e.masterPort} failed for rank ${e.rank} of ${e.worldSize} ` +
        `(timeout ${timeout} s, FTLAB_DIST_TIMEOUT): ${msg}`,
    );
  }
  current = groupWorld(e);
  return current;
}

/** Depth of `aloneOnThisRank` calls: inside one, world() is this process alone. */
let alone = 0;

/** The world joined so far (the single process when none was joined, or inside `aloneOnThisRank`). */
export function world(): World {
  return alone > 0 ? single : (current ?? single);
}

/**
 * Runs `fn` as if this process were the whole world: code inside that reads `world()` (the
 * trainer, sharded search) runs whole on this rank, with no collectives, while the process group
 * stays joined for its store. For work one rank claimed for itself (a study unit).
 */
export async function aloneOnThisRank<T>(fn: () => Promise<T>): Promise<T> {
  alone++;
  try {
    return await fn();
  } finally {
    alone--;
  }
}

/**
 * Inside `aloneOnThisRank`, runs `fn` with the whole process group again: work that every rank
 * does together (a data-parallel study unit: its training and its sharded evaluations).
 */
export async function withWholeWorld<T>(fn: () => Promise<T>): Promise<T> {
  const was = alone;
  alone = 0;
  try {
    return await fn();
  } finally {
    alone = was;
  }
}

/** Leaves the process group: a barrier first (on success) so rank 0's store outlives every peer's use. */
export function leaveWorld(ok: boolean): void {
  if (!current || current === single) {
    current = null;
    return;
  }
  try {
    if (ok) current.barrier();
  } finally {
    native.distDestroy();
    current = null;
  }
}

const POLL_MS = 200;
const BEAT_MS = 1000;

/**
 * Work of unbounded length (encoding a corpus slice: hours) that every rank finishes before
 * the next collective. A collective started early would wait on the slower ranks under the
 * collective timeout and fail; instead each rank beats while it works and waits through the
 * store, which fails only when no rank has beaten for the timeout (a rank hung or lost).
 * Every rank makes the same phases in the same order, so the n-th phase of each rank shares
 * the store keys `name#n/...` with the others' n-th.
 */
export class WorkPhase {
  static #made = 0;
  #lastBeat = 0;
  readonly #key: string;

  constructor(
    readonly w: World,
    readonly name: string,
    readonly timeoutS = distTimeoutSeconds(),
  ) {
    this.#key = `${name}#${WorkPhase.#made++}`;
  }

  /** Progress: cheap to call often (it reaches the store at most once a second). */
  beat(): void {
    if (this.w.size === 1) return;
    const now = Date.now();
    if (now - this.#lastBeat < BEAT_MS) return;
    this.#lastBeat = now;
    this.w.store.add(`${this.#key}/beats`, 1);
  }

  /** This rank is done: waits until every rank is. */
  async done(): Promise<void> {
    if (this.w.size === 1) return;
    const { store, size } = this.w;
    store.add(`${this.#key}/done`, 1);
    let beats = -1;
    let since = Date.now();
    for (;;) {
      if (store.add(`${this.#key}/done`, 0) >= size) return;
      const b = store.add(`${this.#key}/beats`, 0);
      if (b !== beats) [beats, since] = [b, Date.now()];
      else if (Date.now() - since > this.timeoutS * 1000)
        throw new UserError(
          `${this.name}: rank ${this.w.rank} waited ${this.timeoutS} s for the other ranks without a sign of ` +
            'progress from any (a rank hung or was lost; FTLAB_DIST_TIMEOUT sets the wait)',
        );
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
