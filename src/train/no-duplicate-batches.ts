// Batches for losses with in-batch negatives (MNRL): no query, and no identical text, twice in
// one batch; otherwise one query's other positives would be trained as its negatives. As
// sentence-transformers' NoDuplicatesBatchSampler (v3+):
// - the epoch's order is the trainer's shuffle (batch-order.ts: seeded by (seed, epoch)), so
//   without duplicates the batches equal the plain ones;
// - a batch takes the earliest remaining items in that order that clash with nothing already
//   in it (a query key, or any text: query, positive, negative); a clashing item waits, in
//   order, for the next batch;
// - when the remaining items cannot fill a batch, that batch is partial: dropped (dropLast,
//   default; its items are the epoch's leftovers) or kept, and batching goes on with the
//   items still waiting, so every item is used once per epoch or reported as a leftover.
// Cost: each batch rescans the waiting items, O(n) per batch when one query owns most items.
import { epochOrder, type BatchPlan } from './batch-order.ts';

export interface BatchItem {
  key: string; // the query's identity (id or text)
  texts: readonly string[]; // every text the item puts in the batch
}

export interface EpochBatches {
  batches: Uint32Array[]; // full batches first; partial ones only with dropLast false
  leftover: number[]; // items in dropped partial batches, in order
}

export interface NoDuplicateOptions {
  batchSize: number;
  seed: number;
  epoch?: number; // default 0
  dropLast?: boolean; // default true
}

/** A batch under construction: its items, keys and texts. */
class Batch {
  readonly items: number[] = [];
  readonly #keys = new Set<string>();
  readonly #texts = new Set<string>();

  fits(it: BatchItem): boolean {
    return !this.#keys.has(it.key) && !it.texts.some((t) => this.#texts.has(t));
  }

  add(i: number, it: BatchItem): void {
    this.items.push(i);
    this.#keys.add(it.key);
    for (const t of it.texts) this.#texts.add(t);
  }
}

export function noDuplicateBatches(items: readonly BatchItem[], o: NoDuplicateOptions): EpochBatches {
  return batchesInOrder(items, epochOrder(items.length, o.seed)(o.epoch ?? 0), o.batchSize, o.dropLast ?? true);
}

/** The greedy batching of `items` visited in `order` (a permutation of their indices). */
export function batchesInOrder(
  items: readonly BatchItem[],
  order: ArrayLike<number>,
  size: number,
  dropLast: boolean,
): EpochBatches {
  const n = order.length;
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`batch size must be a positive integer, got ${size}`);
  const out: EpochBatches = { batches: [], leftover: [] };
  let waiting: number[] = [];
  let next = 0;
  while (next < n || waiting.length > 0) {
    const batch = new Batch();
    const stillWaiting: number[] = [];
    const offer = (i: number): void => {
      if (batch.items.length < size && batch.fits(items[i]!)) batch.add(i, items[i]!);
      else stillWaiting.push(i);
    };
    for (const i of waiting) offer(i);
    while (batch.items.length < size && next < n) offer(order[next++]!);
    waiting = stillWaiting;
    if (batch.items.length === size || !dropLast) out.batches.push(Uint32Array.from(batch.items));
    else out.leftover.push(...batch.items);
  }
  return out;
}

/**
 * The trainer's BatchPlan over duplicate-free batches. Epochs can differ in how many full
 * batches they make, and a plan has one count per epoch: the smallest over the planned
 * epochs, so an epoch's surplus batches are dropped too (none when no query clashes).
 */
export function noDuplicateBatchPlan(
  items: readonly BatchItem[],
  batchSize: number,
  gradAccumulation: number,
  seed: number,
  epochs: number,
  micros?: number,
): BatchPlan {
  const epochBatches = (epoch: number): Uint32Array[] =>
    noDuplicateBatches(items, { batchSize, seed, epoch, dropLast: true }).batches;
  const cache = new Map<number, Uint32Array[]>();
  for (let e = 0; e < Math.max(1, epochs); e++) cache.set(e, epochBatches(e));
  const fewest = (): number => Math.min(...[...cache.values()].map((b) => b.length));
  // a run measured in micro-batches plans every epoch it reaches: one short of batches would stop it midway
  while (micros !== undefined && fewest() > 0 && cache.size * fewest() < micros)
    cache.set(cache.size, epochBatches(cache.size));
  const microPerEpoch = fewest();
  return {
    microPerEpoch,
    stepsPerEpoch: Math.floor(microPerEpoch / gradAccumulation),
    batch: (micro) => {
      const epoch = Math.floor(micro / microPerEpoch);
      let b = cache.get(epoch);
      if (!b) {
        b = epochBatches(epoch);
        if (b.length < microPerEpoch)
          throw new Error(`epoch ${epoch} makes ${b.length} duplicate-free batches, fewer than ${microPerEpoch}`);
        cache.set(epoch, b);
      }
      return b[micro % microPerEpoch]!;
    },
  };
}

/** Items of text triples: the query text is the key; the query, positive and negative are the texts. */
export function tripleItems(triples: readonly { query: string; positive: string; negative: string }[]): BatchItem[] {
  return triples.map((t) => ({ key: t.query, texts: [t.query, t.positive, t.negative] }));
}
