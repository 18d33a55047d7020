// The study's negatives: one training triple per (training query, judged positive).
//  - random: the local analogue of triples.train.small: a passage sampled from the query's
//    own BM25 top-100 that is not judged relevant (the official triples draw from BM25's
//    top-1000 non-relevant passages); a dataset without a training run (a manifest's) draws
//    uniformly over the collection instead, never a passage judged for the query;
//  - hard: the base model's top-200 over the training passages, ranks 51-200, through the
//    one miner `ftlab mine` also uses (retrieval/mining.ts: judged-relevant excluded, the
//    false-negative guard).
// Hygiene: a passage in `excluded` (judged for, or a candidate of, a test or validation
// query) is never a positive or a negative.
import type { Collection } from '../data/collection.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Queries } from '../data/queries.ts';
import type { Run } from '../data/run.ts';
import { Random } from '../data/random.ts';
import { sampleRandomNegatives } from '../data/negatives.ts';
import type { TextTriple } from '../data/triples.ts';
import { relevantPositions, type MinedTriple, type NegativeStats, type Positive } from '../retrieval/mining.ts';

/** Hard negatives: the base model's top-200, ranks 51-200 (the paper's recipe). */
export const HARD = { depth: 200, lo: 51, hi: 200 };

export interface RandomNegativeOptions {
  positives: Positive[];
  qrels: Qrels;
  run: Run;
  collection: Collection;
  excluded: ReadonlySet<number>;
  seed: number;
  stats: NegativeStats;
  /** Negatives per positive, distinct, drawn without replacement (default 1). */
  count?: number;
}

export function randomNegatives(o: RandomNegativeOptions): MinedTriple[] {
  const rng = new Random((o.seed ^ 0x7a4d) >>> 0);
  const out: MinedTriple[] = [];
  for (const pos of o.positives) {
    const relevant = relevantPositions(o.qrels, pos.qid, o.collection);
    const pool: number[] = [];
    for (const r of o.run.queries.get(pos.qid) ?? []) {
      const p = o.collection.indexOf(r.docid);
      if (p < 0 || relevant.has(p)) continue;
      if (o.excluded.has(p)) {
        o.stats.excludedDropped++;
        continue;
      }
      pool.push(p);
    }
    const count = o.count ?? 1;
    if (pool.length < count) o.stats.shortPools++;
    // one negative: a single draw (the sequence of earlier runs); more: a partial Fisher-Yates shuffle
    if (count === 1 && pool.length > 0)
      out.push({ qid: pos.qid, positive: pos.position, negative: pool[rng.int(pool.length)]! });
    else
      for (let i = 0; i < Math.min(count, pool.length); i++) {
        const j = i + rng.int(pool.length - i);
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        out.push({ qid: pos.qid, positive: pos.position, negative: pool[i]! });
      }
  }
  o.stats.triples = out.length;
  return out;
}

/** Random negatives without first-stage candidates: uniform over the collection, never judged for the query. */
export function uniformNegatives(o: Omit<RandomNegativeOptions, 'run'>): MinedTriple[] {
  const rng = new Random((o.seed ^ 0x7a4d) >>> 0);
  const out: MinedTriple[] = [];
  for (const pos of o.positives) {
    const judged = new Set<number>();
    for (const d of o.qrels.get(pos.qid)?.keys() ?? []) judged.add(o.collection.indexOf(d));
    const refused = (p: number): boolean => judged.has(p) || o.excluded.has(p);
    const [negative] = sampleRandomNegatives(o.collection.size, refused, rng, 1);
    if (negative === undefined) o.stats.shortPools++;
    else out.push({ qid: pos.qid, positive: pos.position, negative });
  }
  o.stats.triples = out.length;
  return out;
}

export function textTriples(ids: readonly MinedTriple[], queries: Queries, collection: Collection): TextTriple[] {
  return ids.map((t) => ({
    query: queries.get(t.qid)!,
    positive: collection.text(t.positive),
    negative: collection.text(t.negative),
  }));
}
