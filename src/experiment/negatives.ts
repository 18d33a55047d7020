// The negatives stage: one training triple per (training query, judged positive).
//  - random: the local analogue of triples.train.small: a passage sampled from the query's
//    own BM25 top-100 that is not judged relevant (the official triples draw from BM25's
//    top-1000 non-relevant passages);
//  - hard: the base model's top-`depth` over the training passages, ranks lo..hi, judged-
//    relevant passages excluded, and a false-negative guard: a candidate the base model
//    scores above the positive minus `guardMargin` is likely an unjudged positive; dropped.
// Hygiene: a passage in `excluded` (judged for, or a candidate of, a test or validation
// query) is never a positive or a negative.
import type { Collection } from '../data/collection.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Queries } from '../data/queries.ts';
import type { Run } from '../data/run.ts';
import { Random } from '../data/random.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { exactSearch, type DocChunks } from '../retrieval/exact-search.ts';
import { l2NormaliseRows, normalisesAtScoring, rowDot } from '../retrieval/similarity.ts';

export interface Positive {
  qid: string;
  position: number;
}

export interface NegativeStats {
  triples: number;
  queries: number;
  positives: number;
  positivesExcluded: number; // judged positives dropped because a test/validation query touches them
  shortPools: number; // positives left without a negative
  guardDropped: number; // hard: candidates in ranks lo..hi the false-negative guard removed
  judgedDropped: number; // hard: judged-relevant candidates in ranks lo..hi
  excludedDropped: number; // candidates removed because a test/validation query touches them
}

export interface IdTriple {
  qid: string;
  positive: number;
  negative: number;
}

export function emptyStats(): NegativeStats {
  return {
    triples: 0,
    queries: 0,
    positives: 0,
    positivesExcluded: 0,
    shortPools: 0,
    guardDropped: 0,
    judgedDropped: 0,
    excludedDropped: 0,
  };
}

/** Judged positives (grade >= minGrade, with text) of each query, minus excluded passages. */
export function judgedPositives(
  queries: Queries,
  qrels: Qrels,
  collection: Collection,
  minGrade: number,
  excluded: ReadonlySet<number>,
  stats: NegativeStats,
): Positive[] {
  const out: Positive[] = [];
  for (const qid of [...queries.keys()].sort()) {
    for (const [docid, grade] of [...(qrels.get(qid) ?? new Map<string, number>())].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    )) {
      if (grade < minGrade) continue;
      const p = collection.indexOf(docid);
      if (p < 0) continue;
      if (excluded.has(p)) {
        stats.positivesExcluded++;
        continue;
      }
      out.push({ qid, position: p });
    }
  }
  stats.positives = out.length;
  stats.queries = new Set(out.map((p) => p.qid)).size;
  return out;
}

function relevantPositions(qrels: Qrels, qid: string, collection: Collection): Set<number> {
  const s = new Set<number>();
  for (const [d, g] of qrels.get(qid) ?? [])
    if (g >= 1) {
      const p = collection.indexOf(d);
      if (p >= 0) s.add(p);
    }
  return s;
}

export interface RandomNegativeOptions {
  positives: Positive[];
  qrels: Qrels;
  run: Run;
  collection: Collection;
  excluded: ReadonlySet<number>;
  seed: number;
  stats: NegativeStats;
}

export function randomNegatives(o: RandomNegativeOptions): IdTriple[] {
  const rng = new Random((o.seed ^ 0x7a4d) >>> 0);
  const out: IdTriple[] = [];
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
    if (pool.length === 0) {
      o.stats.shortPools++;
      continue;
    }
    out.push({ qid: pos.qid, positive: pos.position, negative: pool[rng.int(pool.length)]! });
  }
  o.stats.triples = out.length;
  return out;
}

export interface HardNegativeOptions {
  positives: Positive[];
  queries: Queries;
  qrels: Qrels;
  collection: Collection;
  encoder: SentenceEncoder;
  /** Passages searched: their vectors in chunks, and row -> collection position (null: rows are positions). */
  docs: DocChunks;
  rows: readonly number[] | null;
  excluded: ReadonlySet<number>;
  depth: number;
  lo: number;
  hi: number;
  guardMargin: number | null; // null: no guard
  seed: number;
  stats: NegativeStats;
  batchSize?: number;
}

export async function hardNegatives(o: HardNegativeOptions): Promise<IdTriple[]> {
  const rng = new Random((o.seed ^ 0x4a2d) >>> 0);
  const qids = [...new Set(o.positives.map((p) => p.qid))];
  const C = o.encoder.dim;
  // scored as the model is (cosine over unnormalised vectors normalises both sides), as search and mining are
  const normalize = normalisesAtScoring(o.encoder.info);
  const scoreRows = (v: Float32Array): Float32Array => (normalize ? l2NormaliseRows(v, C) : v);
  const qv = scoreRows(
    o.encoder.encode(
      qids.map((q) => o.queries.get(q)!),
      'query',
      { batchSize: o.batchSize },
    ),
  );
  const top = await exactSearch(qv, C, o.docs, o.depth, { device: o.encoder.device, normalize });
  const qrow = new Map(qids.map((q, i) => [q, i]));
  const uniquePos = [...new Set(o.positives.map((p) => p.position))];
  const pv =
    o.guardMargin === null
      ? null
      : scoreRows(
          o.encoder.encode(
            uniquePos.map((p) => o.collection.text(p)),
            'passage',
            { batchSize: o.batchSize },
          ),
        );
  const prow = new Map(uniquePos.map((p, i) => [p, i]));
  const out: IdTriple[] = [];
  for (const pos of o.positives) {
    const qi = qrow.get(pos.qid)!;
    const relevant = relevantPositions(o.qrels, pos.qid, o.collection);
    let positiveScore = Infinity;
    if (pv) {
      positiveScore = rowDot(qv, qi, pv, prow.get(pos.position)!, C);
    }
    const pool: number[] = [];
    for (let r = o.lo - 1; r < Math.min(o.hi, top.k); r++) {
      const row = top.indices[qi * top.k + r]!;
      if (row < 0) break;
      const p = o.rows ? o.rows[row]! : row;
      if (relevant.has(p)) {
        o.stats.judgedDropped++;
        continue;
      }
      if (o.excluded.has(p)) {
        o.stats.excludedDropped++;
        continue;
      }
      if (o.guardMargin !== null && top.scores[qi * top.k + r]! > positiveScore - o.guardMargin) {
        o.stats.guardDropped++;
        continue;
      }
      pool.push(p);
    }
    if (pool.length === 0) {
      o.stats.shortPools++;
      continue;
    }
    out.push({ qid: pos.qid, positive: pos.position, negative: pool[rng.int(pool.length)]! });
  }
  o.stats.triples = out.length;
  return out;
}

export function textTriples(ids: readonly IdTriple[], queries: Queries, collection: Collection): TextTriple[] {
  return ids.map((t) => ({
    query: queries.get(t.qid)!,
    positive: collection.text(t.positive),
    negative: collection.text(t.negative),
  }));
}
