// The study across workers: when `ftlab study` runs in a process group (ftlab launch, torchrun),
// its independent units (an arm at a seed on a fold, with that unit's test evaluations) are
// claimed through the group's store: each worker adds 1 to the unit's key and runs the units it
// was first to (a worker that is free claims the next), alone on its rank (no collectives),
// writing the unit's files into the shared run folder through the stage cache; a sweep's
// values are spread the same way. Shared stages (a fold's negatives and setup with the base's
// evaluation) are claimed too, one fold a worker; every worker then reads them from the stage
// cache. When every unit is done, rank 0 reads them all back from the cache (as a rerun
// would), runs the analysis and writes the results; the others wait for that.
//
// With `--parallel data` the units are not claimed: every worker runs each unit, in order,
// together (withWholeWorld): its training is data-parallel (each rank a slice of every batch,
// gradients averaged; train/train-step.ts) and its evaluations sharded (retrieval/), rank 0
// writing the files. For more workers than units, or a unit too long for one worker.
//
// Keys carry this launch's number, so a rerun (or a torchrun restart, whose store may outlive
// its ranks) claims every unit afresh and the stage cache decides what is left to compute.
// Waits poll the store rather than block in it: a stage may take longer than the collectives'
// timeout. A rank that fails posts its message; every waiting rank ends with the same line.
import { aloneOnThisRank, distTimeoutSeconds, withWholeWorld, type World } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { keepComputed, type StageTiming } from './stage-cache.ts';

const POLL_MS = 100;
const ROOT = 'ftlab/study';

export interface StudyWork {
  /** Whether this process runs the analysis and writes the results (rank 0). */
  readonly lead: boolean;
  /** This worker's rank, and how many there are. */
  readonly rank: number;
  readonly size: number;
  /** How many ranks train each unit together: the world's with `--parallel data`, else 1. */
  readonly trainingRanks: number;
  /** A stage every worker reads: rank 0 runs it first; the others wait, then run it (a stage-cache read). */
  shared<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Stages every worker reads, one per item: each is computed once, by the worker that claims
   * it (data-parallel: by rank 0), then read by every worker (stage-cache reads, whose timings
   * are dropped: rank 0 keeps each stage's time as the worker that computed it measured it).
   */
  sharedEach<U, T>(name: string, items: readonly U[], id: (u: U) => string, fn: (u: U) => Promise<T>): Promise<T[]>;
  /**
   * Runs the units this worker claims; returns when every worker's are done. Rank 0's stage
   * timings then hold every unit's, as the worker that ran it measured them.
   */
  spread<U>(name: string, units: readonly U[], id: (u: U) => string, run: (u: U) => Promise<void>): Promise<void>;
  /**
   * Runs the study on this rank: alone (world() is this process: the study shares work through
   * the store, never a collective); a failure is posted for the other ranks and rethrown.
   */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Rank 0: the results are written. The others: wait for that. */
  finish(): Promise<void>;
  /** Progress on this worker (cheap to call often): a worker waiting on the others' units sees it. */
  beat(): void;
}

/** One process: every stage and unit runs here, in order, as it always did. */
export const ONE_PROCESS: StudyWork = {
  lead: true,
  rank: 0,
  size: 1,
  trainingRanks: 1,
  shared: (_name, fn) => fn(),
  sharedEach: (_name, items, _id, fn) => inOrder(items, fn),
  spread: async () => {},
  run: (fn) => fn(),
  finish: async () => {},
  beat: () => {},
};

/** fn over the items, one after another. */
async function inOrder<U, T>(items: readonly U[], fn: (u: U) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const u of items) out.push(await fn(u));
  return out;
}

/** How a study shares its units among workers: each claimed by one (units), or all trained together (data). */
export type StudyParallel = 'units' | 'data';

/**
 * The study's share of work for this rank of `world` (ONE_PROCESS for a world of one); `timings`:
 * the stage cache's.
 */
export function studyWork(world: World, timings: StageTiming[], parallel: StudyParallel = 'units'): StudyWork {
  if (world.size === 1) return ONE_PROCESS;
  const { store } = world;
  // every rank adds 1 once per launch: launch g's ranks read values in ((g-1) N, g N]
  const launch = Math.ceil(store.add(`${ROOT}/launches`, 1) / world.size);
  const key = (k: string): string => `${ROOT}/${launch}/${k}`;
  const failed = key('failed');
  /** Polls until `ready`; a failure posted by any rank ends this one with the same line. */
  const until = async (ready: () => boolean): Promise<void> => {
    for (;;) {
      if (store.has(failed)) throw new UserError(store.get(failed));
      if (ready()) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  const beats = key('beats');
  let lastBeat = 0;
  /**
   * Polls until every unit is done. Rank 0's death ends the wait through the store (it serves
   * it); another worker's, under a launcher that does not stop the others (a bare srun), would
   * not: so the wait also ends when no worker has shown progress for the timeout.
   */
  const untilUnitsDone = async (ready: () => boolean): Promise<void> => {
    const timeoutS = distTimeoutSeconds();
    let seen = -1;
    let since = Date.now();
    await until(() => {
      if (ready()) return true;
      const b = store.add(beats, 0);
      if (b !== seen) [seen, since] = [b, Date.now()];
      else if (Date.now() - since > timeoutS * 1000)
        throw new UserError(
          `study: worker ${world.rank} waited ${timeoutS} s for the other workers' units without a sign of progress ` +
            'from any (a worker hung or was lost; FTLAB_DIST_TIMEOUT sets the wait)',
        );
      return false;
    });
  };
  const lead = world.rank === 0;
  /**
   * Runs the units this worker is first to claim, then waits (with `wait`) until every unit is
   * done; rank 0's timings then hold every unit's, as the worker that ran it measured them.
   */
  const claimEach = async <U>(
    name: string,
    units: readonly U[],
    id: (u: U) => string,
    run: (u: U) => Promise<unknown>,
    wait: (ready: () => boolean) => Promise<void>,
  ): Promise<void> => {
    const done = key(`done/${name}`);
    const mine = new Set<string>();
    for (const u of units) {
      if (store.add(key(`claim/${name}/${id(u)}`), 1) !== 1) continue; // another worker's
      const from = timings.length;
      await run(u);
      mine.add(id(u));
      store.set(key(`timings/${name}/${id(u)}`), JSON.stringify(timings.slice(from)));
      store.add(done, 1);
    }
    await wait(() => store.add(done, 0) >= units.length);
    if (!lead) return;
    for (const u of units)
      if (!mine.has(id(u))) timings.push(...(JSON.parse(store.get(key(`timings/${name}/${id(u)}`))) as StageTiming[]));
  };
  const work: StudyWork = {
    lead,
    rank: world.rank,
    size: world.size,
    trainingRanks: parallel === 'data' ? world.size : 1,
    async shared(name, fn) {
      if (lead) {
        const value = await fn();
        store.set(key(`shared/${name}`), 'done');
        return value;
      }
      await until(() => store.has(key(`shared/${name}`)));
      return fn();
    },
    async sharedEach(name, items, id, fn) {
      if (parallel === 'data') return inOrder(items, (u) => work.shared(`${name}/${id(u)}`, () => fn(u)));
      // like shared(): no watchdog, a shared stage may run long without a progress bar to beat
      // (a search over the collection); a lost worker there is ended by its launcher
      await claimEach(name, items, id, fn, until);
      const reads = timings.length;
      const values = await inOrder(items, fn);
      keepComputed(timings, reads);
      return values;
    },
    async spread(name, units, id, run) {
      if (parallel === 'data') {
        // together, in order: rank 0 runs (and times) every unit, so its timings are whole
        for (const u of units) await withWholeWorld(() => run(u));
        return;
      }
      await claimEach(name, units, id, run, untilUnitsDone);
    },
    async run(fn) {
      try {
        return await aloneOnThisRank(fn);
      } catch (e) {
        try {
          if (!store.has(failed)) store.set(failed, (e as Error).message.split('\n')[0] ?? 'failed');
        } catch {
          // the store is gone with rank 0: the others learn of it from their own store calls
        }
        throw e;
      }
    },
    async finish() {
      if (lead) store.set(key('finished'), 'done');
      else await until(() => store.has(key('finished')));
    },
    beat() {
      const now = Date.now();
      if (now - lastBeat < 1000) return;
      lastBeat = now;
      store.add(beats, 1);
    },
  };
  return work;
}
