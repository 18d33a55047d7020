// Hard-negative mining, the one miner of `ftlab mine` and the study: for each (query, judged
// positive), the model's top-`depth` over the searched passages, ranks lo..hi, with
//  - judged-relevant passages (grade >= 1) excluded,
//  - passages in `excluded` never used (the study: judged for, or a candidate of, a test or
//    validation query),
//  - an optional false-negative guard: a candidate scoring above the positive minus
//    `guardMargin` is likely an unjudged positive, and dropped (sentence-transformers'
//    mine_hard_negatives offers the same guard),
// counting what each rule dropped. `mineTriples` adds the CLI's random recipe: negatives
// drawn uniformly from the whole collection.
import type { Collection } from '../data/collection.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Queries } from '../data/queries.ts';
import { Random } from '../data/random.ts';
import { sampleRandomNegatives } from '../data/negatives.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { CollectionEmbeddings } from './embedding-cache.ts';
import { exactSearch, type DocChunks, type TopK } from './exact-search.ts';
import { l2NormaliseRows, normalisesAtScoring, rowDot, type Similarity } from './similarity.ts';

export interface Positive {
  qid: string;
  position: number;
}

/** A triple by collection positions; `rank` is the hard negative's 1-based rank for its query. */
export interface MinedTriple {
  qid: string;
  positive: number;
  negative: number;
  rank?: number;
}

export interface NegativeStats {
  triples: number;
  queries: number;
  positives: number;
  positivesMissing: number; // judged positives whose passage is not in the collection
  positivesExcluded: number; // judged positives dropped because an excluded passage
  shortPools: number; // positives left with fewer negatives than asked
  guardDropped: number; // hard: candidates in ranks lo..hi the false-negative guard removed
  judgedDropped: number; // hard: judged-relevant candidates in ranks lo..hi
  excludedDropped: number; // candidates removed because excluded
}

export function emptyStats(): NegativeStats {
  return {
    triples: 0,
    queries: 0,
    positives: 0,
    positivesMissing: 0,
    positivesExcluded: 0,
    shortPools: 0,
    guardDropped: 0,
    judgedDropped: 0,
    excludedDropped: 0,
  };
}

/** Judged positives (grade >= minGrade, in the collection) of each query, by query id then docid; minus excluded. */
export function judgedPositives(
  set: { queries: Queries; qrels: Qrels },
  collection: Collection,
  filter: { minGrade: number; excluded: ReadonlySet<number> },
  stats: NegativeStats,
): Positive[] {
  const out: Positive[] = [];
  for (const qid of [...set.queries.keys()].sort()) {
    const judged = [...(set.qrels.get(qid) ?? new Map<string, number>())];
    for (const [docid, grade] of judged.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (grade < filter.minGrade) continue;
      const p = collection.indexOf(docid);
      if (p < 0) stats.positivesMissing++;
      else if (filter.excluded.has(p)) stats.positivesExcluded++;
      else out.push({ qid, position: p });
    }
  }
  stats.positives = out.length;
  stats.queries = new Set(out.map((p) => p.qid)).size;
  return out;
}

/** Positions of the passages judged relevant (grade >= 1) for a query. */
export function relevantPositions(qrels: Qrels, qid: string, collection: Collection): Set<number> {
  const s = new Set<number>();
  for (const [d, g] of qrels.get(qid) ?? [])
    if (g >= 1) {
      const p = collection.indexOf(d);
      if (p >= 0) s.add(p);
    }
  return s;
}

export interface HardNegativeOptions {
  positives: readonly Positive[];
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
  /** Negatives per positive, drawn without replacement (default 1). */
  count?: number;
  /** How candidates and positives are scored (default: the model's similarity). */
  similarity?: Similarity;
  batchSize?: number;
}

export async function hardNegatives(o: HardNegativeOptions): Promise<MinedTriple[]> {
  const rng = new Random((o.seed ^ 0x4a2d) >>> 0);
  const qids = [...new Set(o.positives.map((p) => p.qid))];
  const C = o.encoder.dim;
  // scored as the model is (cosine over unnormalised vectors normalises both sides), as search is
  const normalize = normalisesAtScoring(o.encoder.info, o.similarity);
  const score = (texts: string[], role: 'query' | 'passage'): Float32Array => {
    const v = o.encoder.encode(texts, role, { batchSize: o.batchSize });
    return normalize ? l2NormaliseRows(v, C) : v;
  };
  const qv = score(
    qids.map((q) => o.queries.get(q)!),
    'query',
  );
  const top = await exactSearch(qv, C, o.docs, o.depth, { device: o.encoder.device, normalize });
  const qrow = new Map(qids.map((q, i) => [q, i]));
  const uniquePos = [...new Set(o.positives.map((p) => p.position))];
  const pv =
    o.guardMargin === null
      ? null
      : score(
          uniquePos.map((p) => o.collection.text(p)),
          'passage',
        );
  const prow = new Map(uniquePos.map((p, i) => [p, i]));
  const count = o.count ?? 1;
  const out: MinedTriple[] = [];
  for (const pos of o.positives) {
    const qi = qrow.get(pos.qid)!;
    const positiveScore = pv ? rowDot(qv, qi, pv, prow.get(pos.position)!, C) : Infinity;
    const pool = candidatePool(o, { top, qi, qid: pos.qid, positiveScore });
    const drawn = draw(pool, rng, count);
    if (drawn.length < count) o.stats.shortPools++;
    for (const c of drawn) out.push({ qid: pos.qid, positive: pos.position, negative: c.position, rank: c.rank });
  }
  o.stats.triples = out.length;
  return out;
}

/** Ranks lo..hi of one query's search, less judged-relevant, excluded and guarded passages. */
function candidatePool(
  o: HardNegativeOptions,
  q: { top: TopK; qi: number; qid: string; positiveScore: number },
): { position: number; rank: number }[] {
  const { top, qi } = q;
  const relevant = relevantPositions(o.qrels, q.qid, o.collection);
  const pool: { position: number; rank: number }[] = [];
  for (let r = o.lo - 1; r < Math.min(o.hi, top.k); r++) {
    const row = top.indices[qi * top.k + r]!;
    if (row < 0) break;
    const p = o.rows ? o.rows[row]! : row;
    if (relevant.has(p)) o.stats.judgedDropped++;
    else if (o.excluded.has(p)) o.stats.excludedDropped++;
    else if (o.guardMargin !== null && top.scores[qi * top.k + r]! > q.positiveScore - o.guardMargin)
      o.stats.guardDropped++;
    else pool.push({ position: p, rank: r + 1 });
  }
  return pool;
}

/** `count` items without replacement (a partial Fisher-Yates shuffle: one draw of rng.int(n) for the first). */
function draw<T>(pool: T[], rng: Random, count: number): T[] {
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

export interface MiningOptions {
  strategy: 'hard' | 'random';
  queries: Queries;
  qrels: Qrels;
  collection: Collection;
  encoder: SentenceEncoder | null;
  docs: CollectionEmbeddings | null;
  depth: number;
  lo: number;
  hi: number;
  perPositive: number;
  minGrade: number;
  margin?: number;
  seed: number;
  /** How candidates and positives are scored (default: the model's similarity). */
  similarity?: Similarity;
  batchSize?: number;
}

export interface MiningResult {
  triples: MinedTriple[];
  queries: number;
  positivesMissing: number;
  shortPools: number;
}

/** `ftlab mine`: triples for every judged query with a positive in the collection. */
export async function mineTriples(o: MiningOptions): Promise<MiningResult> {
  const stats = emptyStats();
  const positives = judgedPositives(o, o.collection, { minGrade: o.minGrade, excluded: new Set() }, stats);
  const result = (triples: MinedTriple[]): MiningResult => ({
    triples,
    queries: stats.queries,
    positivesMissing: stats.positivesMissing,
    shortPools: stats.shortPools,
  });
  if (o.strategy === 'random') return result(randomTriples(o, positives, stats));
  if (!o.encoder || !o.docs) throw new Error('hard negatives need a model and collection embeddings');
  const triples = await hardNegatives({
    ...o,
    positives,
    encoder: o.encoder,
    docs: o.docs.chunks(),
    rows: null,
    excluded: new Set(),
    guardMargin: o.margin ?? null,
    stats,
    count: o.perPositive,
  });
  return result(triples);
}

/** Negatives drawn uniformly from the whole collection, never a passage judged relevant for the query. */
function randomTriples(o: MiningOptions, positives: readonly Positive[], stats: NegativeStats): MinedTriple[] {
  const rng = new Random(o.seed);
  const out: MinedTriple[] = [];
  for (const pos of positives) {
    const relevant = relevantPositions(o.qrels, pos.qid, o.collection);
    const negs = sampleRandomNegatives(o.collection.size, (i) => relevant.has(i), rng, o.perPositive);
    if (negs.length < o.perPositive) stats.shortPools++;
    for (const n of negs) out.push({ qid: pos.qid, positive: pos.position, negative: n });
  }
  return out;
}
