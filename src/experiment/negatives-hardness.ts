// How hard a fold's training negatives are (results.json `negatives`): for each triple the base
// model's cosine of (query, negative) and of (query, positive) — their difference is the margin
// — and the negative's rank in the query's BM25 run (analysis/negatives-profile.ts summarises).
import { negativesProfile, firstStageRanks } from '../analysis/negatives-profile.ts';
import type { Run } from '../data/run.ts';
import type { Collection } from '../data/collection.ts';
import type { Queries } from '../data/queries.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { MinedTriple } from '../retrieval/mining.ts';
import { l2NormaliseRows, rowDot } from '../retrieval/similarity.ts';
import type { NegativesRecord } from '../report/schema.ts';

export interface HardnessInput {
  fold: string;
  kind: 'random' | 'hard';
  triples: readonly MinedTriple[];
  queries: Queries;
  collection: Collection;
  run: Run | null; // the queries' first-stage run (null: no BM25 rank)
}

/** Cosine (whatever the model's own normalisation) of each triple's query with its negative and its positive. */
export function negativesHardness(encoder: SentenceEncoder, h: HardnessInput): NegativesRecord {
  const C = encoder.dim;
  const qids = [...new Set(h.triples.map((t) => t.qid))];
  const passages = [...new Set(h.triples.flatMap((t) => [t.positive, t.negative]))];
  const qv = l2NormaliseRows(
    encoder.encode(
      qids.map((q) => h.queries.get(q)!),
      'query',
    ),
    C,
  );
  const pv = l2NormaliseRows(
    encoder.encode(
      passages.map((p) => h.collection.text(p)),
      'passage',
    ),
    C,
  );
  const qrow = new Map(qids.map((q, i) => [q, i]));
  const prow = new Map(passages.map((p, i) => [p, i]));
  const ranks = h.run
    ? firstStageRanks(
        h.run,
        h.triples.map((t) => ({ qid: t.qid, docid: h.collection.id(t.negative) })),
      )
    : h.triples.map(() => null);
  const profile = negativesProfile(
    h.triples.map((t, i) => ({
      negativeScore: rowDot(qv, qrow.get(t.qid)!, pv, prow.get(t.negative)!, C),
      positiveScore: rowDot(qv, qrow.get(t.qid)!, pv, prow.get(t.positive)!, C),
      bm25Rank: ranks[i]!,
    })),
  );
  return { fold: h.fold, kind: h.kind, ...profile };
}
