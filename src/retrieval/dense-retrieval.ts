// Dense retrieval over a whole collection, and re-ranking of an existing run's candidates.
import { InputError } from '../errors.ts';
import type { Collection } from '../data/collection.ts';
import type { Queries } from '../data/queries.ts';
import type { Run } from '../data/run.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { CollectionEmbeddings } from './embedding-cache.ts';
import { exactSearch } from './exact-search.ts';

export type Ranking = Map<string, { docid: string; score: number }[]>;

export interface RetrievalTiming {
  encodeSeconds: number; // query encoding
  searchSeconds: number; // similarity + top-k
}

/** Top-k passages per query by inner product (cosine for normalised models). */
export async function denseRetrieve(encoder: SentenceEncoder, queries: Queries, collection: Collection, docs: CollectionEmbeddings, k: number, batchSize?: number): Promise<{ ranking: Ranking; timing: RetrievalTiming }> {
  const qids = [...queries.keys()];
  const t0 = performance.now();
  const qv = encoder.encode(qids.map((q) => queries.get(q)!), { batchSize });
  const t1 = performance.now();
  const top = await exactSearch(qv, encoder.dim, docs.chunks(), k, { device: encoder.device });
  const t2 = performance.now();
  const ranking: Ranking = new Map();
  qids.forEach((qid, i) => {
    const list: { docid: string; score: number }[] = [];
    for (let j = 0; j < top.k; j++) {
      const p = top.indices[i * top.k + j]!;
      if (p >= 0) list.push({ docid: collection.id(p), score: top.scores[i * top.k + j]! });
    }
    ranking.set(qid, list);
  });
  return { ranking, timing: { encodeSeconds: (t1 - t0) / 1000, searchSeconds: (t2 - t1) / 1000 } };
}

/**
 * Scores each query's candidates from `run` with the model (the re-ranking protocol).
 * Passage vectors come from `docs` when given (the collection cache), else are encoded here.
 */
export function rerank(encoder: SentenceEncoder, queries: Queries, collection: Collection, run: Run, docs: CollectionEmbeddings | null, batchSize?: number): Ranking {
  const needed = new Map<string, number>(); // docid -> collection position
  for (const [qid, list] of run.queries) {
    if (!queries.has(qid)) continue;
    for (const r of list) {
      if (needed.has(r.docid)) continue;
      const p = collection.indexOf(r.docid);
      if (p < 0) throw new InputError(run.source, null, `passage ${r.docid} (query ${qid}) is not in ${collection.source}`);
      needed.set(r.docid, p);
    }
  }
  const docids = [...needed.keys()];
  const positions = docids.map((d) => needed.get(d)!);
  const dv = docs ? docs.gather(positions) : encoder.encode(positions.map((p) => collection.text(p)), { batchSize });
  const row = new Map(docids.map((d, i) => [d, i]));
  const qids = [...run.queries.keys()].filter((q) => queries.has(q));
  const qv = encoder.encode(qids.map((q) => queries.get(q)!), { batchSize });
  const C = encoder.dim;
  const ranking: Ranking = new Map();
  qids.forEach((qid, qi) => {
    const scored = run.queries.get(qid)!.map((r) => {
      const di = row.get(r.docid)!;
      let s = 0;
      for (let c = 0; c < C; c++) s += qv[qi * C + c]! * dv[di * C + c]!;
      return { docid: r.docid, score: s };
    });
    scored.sort((a, b) => b.score - a.score || (a.docid < b.docid ? 1 : a.docid > b.docid ? -1 : 0));
    ranking.set(qid, scored);
  });
  return ranking;
}
