// Dense retrieval over a whole collection, and re-ranking of an existing run's candidates,
// both scored with the model's similarity (ftlab.json) unless the caller names another.
import { InputError } from '../errors.ts';
import type { Collection } from '../data/collection.ts';
import type { Queries } from '../data/queries.ts';
import { trecOrder, type Ranking, type Run, type Scored } from '../data/run.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { CollectionEmbeddings } from './embedding-cache.ts';
import { exactSearch, exactSearchAt, type TopK } from './exact-search.ts';
import { tensor, world, type Tensor } from '../engine/index.ts';
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
 * collection cache), else are encoded here.
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
  const docids = [...needed.keys()];
  const positions = docids.map((d) => needed.get(d)!);
  const C = encoder.dim;
  const normalise = normalisesAtScoring(encoder.info, similarity);
  const rawDv = docs
    ? docs.gather(positions)
    : encoder.encode(
        positions.map((p) => collection.text(p)),
        'passage',
        { batchSize },
      );
  const dv = normalise ? l2NormaliseRows(rawDv, C) : rawDv;
  const row = new Map(docids.map((d, i) => [d, i]));
  const qids = [...run.queries.keys()].filter((q) => queries.has(q));
  const rawQv = encoder.encode(
    qids.map((q) => queries.get(q)!),
    'query',
    { batchSize },
  );
  const qv = normalise ? l2NormaliseRows(rawQv, C) : rawQv;
  const ranking: Ranking = new Map();
  qids.forEach((qid, qi) => {
    const scored = run.queries
      .get(qid)!
      .map((r) => ({ docid: r.docid, score: rowDot(qv, qi, dv, row.get(r.docid)!, C) }));
    ranking.set(qid, scored.sort(trecOrder));
  });
  return ranking;
}
