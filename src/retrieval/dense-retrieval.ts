// Dense retrieval over a whole collection, and re-ranking of an existing run's candidates,
// both scored with the model's similarity (ftlab.json) unless the caller names another.
import { InputError } from '../errors.ts';
import type { Collection } from '../data/collection.ts';
import type { Queries } from '../data/queries.ts';
import { trecOrder, type Ranking, type Run, type Scored } from '../data/run.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { CollectionEmbeddings } from './embedding-cache.ts';
import { exactSearch, exactSearchAt, type TopK } from './exact-search.ts';
import { tensor, world, type Tensor, type World } from '../engine/index.ts';
import { encodeAllRanks, encodeShare } from './sharded-encoding.ts';
import { l2NormaliseRows, normalisesAtScoring, rowDot, type Similarity } from './similarity.ts';

export type { Ranking } from '../data/run.ts';

export interface RetrievalTiming {
  encodeSeconds: number; // query encoding
  searchSeconds: number; // similarity + top-k
}

/**
 * Top-k passages per query by `similarity` (default: the model's), ties in trec_eval's
 * order. `docs` must hold this model's vectors (the cache is keyed by its fingerprint).
 */
export async function denseRetrieve(
  encoder: SentenceEncoder,
  queries: Queries,
  collection: Collection,
  docs: CollectionEmbeddings,
  k: number,
  batchSize?: number,
  similarity: Similarity = encoder.info.similarity,
): Promise<{ ranking: Ranking; timing: RetrievalTiming }> {
  const qids = [...queries.keys()];
  const t0 = performance.now();
  const qv = encoder.encode(
    qids.map((q) => queries.get(q)!),
    'query',
    { batchSize },
  );
  const t1 = performance.now();
  const opts = { device: encoder.device, normalize: normalisesAtScoring(encoder.info, similarity) };
  const top = docs.owned
    ? mergeAcrossRanks(await exactSearchAt(qv, encoder.dim, docs.positioned(), k, opts))
    : await exactSearch(qv, encoder.dim, docs.chunks(), k, opts);
  const t2 = performance.now();
  const ranking: Ranking = new Map();
  qids.forEach((qid, i) => {
    const list: Scored[] = [];
    for (let j = 0; j < top.k; j++) {
      const p = top.indices[i * top.k + j]!;
      if (p >= 0) list.push({ docid: collection.id(p), score: top.scores[i * top.k + j]! });
    }
    ranking.set(qid, list.sort(trecOrder)); // top-k leaves ties in any order
  });
  return { ranking, timing: { encodeSeconds: (t1 - t0) / 1000, searchSeconds: (t2 - t1) / 1000 } };
}

/**
 * Every rank's top-k over its shards -> the top-k over the collection (on every rank): the
 * per-rank lists are all-gathered and merged per query by score, ties by lower position (as one
 * process's scan keeps the first). Exact: the global top-k is within the union of the local ones.
 */
function mergeAcrossRanks(local: TopK): TopK {
  const w = world();
  const { k } = local;
  const Q = local.scores.length / k;
  const mine = [tensor(local.scores, [1, Q * k]), tensor(Float64Array.from(local.indices), [1, Q * k])];
  const [scores, indices] = mine.map((t) => w.allGather(t)) as [Tensor, Tensor];
  const [s, ix] = [scores.f32(), indices.f64()];
  for (const t of [...mine, scores, indices]) t.dispose();
  const out: TopK = { k, scores: new Float32Array(Q * k).fill(-Infinity), indices: new Int32Array(Q * k).fill(-1) };
  const cand: number[] = [];
  for (let q = 0; q < Q; q++) {
    cand.length = 0;
    for (let r = 0; r < w.size; r++)
      for (let j = 0; j < k; j++) if (ix[r * Q * k + q * k + j]! >= 0) cand.push(r * Q * k + q * k + j);
    cand.sort((a, b) => s[b]! - s[a]! || ix[a]! - ix[b]!);
    cand.slice(0, k).forEach((c, j) => {
      out.scores[q * k + j] = s[c]!;
      out.indices[q * k + j] = ix[c]!;
    });
  }
  return out;
}

/**
 * Scores each query's candidates from `run` with the model (the re-ranking protocol) by
 * `similarity` (default: the model's). Passage vectors come from `docs` when given (the
 * collection cache), else are encoded here. Across ranks (world() > 1) the work is split and
 * the result is one process's, bit for bit, on every rank: the queries' and the candidates'
 * encoding batches are shared out (encodeShare: the same batches as one process), each
 * (query, candidate) score is computed on the rank holding the candidate's vector, and one
 * all-reduce of the scores (zeros elsewhere: x + 0 = x) gives every rank all of them.
 */
export function rerank(
  encoder: SentenceEncoder,
  queries: Queries,
  collection: Collection,
  run: Run,
  docs: CollectionEmbeddings | null,
  batchSize?: number,
  similarity: Similarity = encoder.info.similarity,
): Ranking {
  const w = world();
  const needed = new Map<string, number>(); // docid -> collection position
  for (const [qid, list] of run.queries) {
    if (!queries.has(qid)) continue;
    for (const r of list) {
      if (needed.has(r.docid)) continue;
      const p = collection.indexOf(r.docid);
      if (p < 0)
        throw new InputError(run.source, null, `passage ${r.docid} (query ${qid}) is not in ${collection.source}`);
      needed.set(r.docid, p);
    }
  }
  const C = encoder.dim;
  const normalise = normalisesAtScoring(encoder.info, similarity);
  const docids = [...needed.keys()];
  const mine = candidateVectors(encoder, collection, [...needed.values()], docs, batchSize, w);
  const dv = normalise ? l2NormaliseRows(mine.vectors, C) : mine.vectors;
  const row = new Map(mine.rows.map((i, k) => [docids[i]!, k])); // docid -> row of dv, for this rank's
  const qids = [...run.queries.keys()].filter((q) => queries.has(q));
  const rawQv = encodeAllRanks(
    encoder,
    qids.map((q) => queries.get(q)!),
    'query',
    { batchSize },
    w,
  );
  const qv = normalise ? l2NormaliseRows(rawQv, C) : rawQv;
  const lists = qids.map((q) => run.queries.get(q)!);
  const scores = new Float64Array(lists.reduce((a, l) => a + l.length, 0));
  let at = 0;
  lists.forEach((list, qi) => {
    for (const r of list) {
      const k = row.get(r.docid);
      if (k !== undefined) scores[at] = rowDot(qv, qi, dv, k, C);
      at++;
    }
  });
  allReduceScores(scores, w);
  const ranking: Ranking = new Map();
  at = 0;
  qids.forEach((qid, qi) => {
    ranking.set(qid, lists[qi]!.map((r) => ({ docid: r.docid, score: scores[at++]! })).sort(trecOrder));
  });
  return ranking;
}

/**
 * This rank's candidate passages and their vectors: from the cache, a contiguous run of the
 * candidates a rank; encoded, this rank's share of one process's batches. `rows` index
 * `positions`.
 */
function candidateVectors(
  encoder: SentenceEncoder,
  collection: Collection,
  positions: number[],
  docs: CollectionEmbeddings | null,
  batchSize: number | undefined,
  w: World,
): { rows: number[]; vectors: Float32Array } {
  // The cache splits the candidates one way and encoding another: every rank must take the same
  // path, or the summed scores count some pairs twice and others never (node-local caches, a
  // damaged shard on one rank). The cache is used only when every rank has it.
  const useCache = everyRank(docs !== null, w);
  if (docs && useCache) {
    const from = Math.floor((w.rank * positions.length) / w.size);
    const to = Math.floor(((w.rank + 1) * positions.length) / w.size);
    const rows = Array.from({ length: to - from }, (_, i) => from + i);
    return { rows, vectors: docs.gather(rows.map((i) => positions[i]!)) };
  }
  const texts = positions.map((p) => collection.text(p));
  if (w.size === 1)
    return { rows: positions.map((_, i) => i), vectors: encoder.encode(texts, 'passage', { batchSize }) };
  return encodeShare(encoder, texts, 'passage', { batchSize }, w);
}

/** Whether `flag` holds on every rank (one all-reduce of min; each rank must call it once). */
function everyRank(flag: boolean, w: World): boolean {
  if (w.size === 1) return flag;
  const t = tensor(Float64Array.of(flag ? 1 : 0), [1]);
  try {
    w.allReduce(t, 'min');
    return t.f64()[0] === 1;
  } finally {
    t.dispose();
  }
}

/** Sums a float64 score array over the ranks, in place (each score was set on one rank, 0 elsewhere). */
function allReduceScores(scores: Float64Array, w: World): void {
  if (w.size === 1 || scores.length === 0) return;
  const t = tensor(scores, [scores.length]);
  try {
    w.allReduce(t, 'sum');
    scores.set(t.f64());
  } finally {
    t.dispose();
  }
}
