// The two training-set recipes over a collection: for every query with judged positives
// (grade >= minGrade) present in the collection, one triple per (positive, negative).
import type { Collection } from '../data/collection.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Queries } from '../data/queries.ts';
import { Random } from '../data/random.ts';
import { sampleHardNegatives, sampleRandomNegatives } from '../data/negatives.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { CollectionEmbeddings } from './embedding-cache.ts';
import { denseRetrieve } from './dense-retrieval.ts';
import { l2NormaliseRows, normalisesAtScoring, rowDot, type Similarity } from './similarity.ts';

export interface MinedTriple {
  qid: string;
  positive: number;
  negative: number;
  rank?: number;
} // positions in the collection

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

export async function mineTriples(o: MiningOptions): Promise<MiningResult> {
  const rng = new Random(o.seed);
  const qids = [...o.qrels.keys()].filter((q) => o.queries.has(q)).sort();
  const judgedRelevant = new Map<string, Set<string>>();
  const positives = new Map<string, number[]>();
  let positivesMissing = 0;
  for (const q of qids) {
    const judged = o.qrels.get(q)!;
    judgedRelevant.set(q, new Set([...judged].filter(([, g]) => g >= 1).map(([d]) => d)));
    const pos: number[] = [];
    for (const [d, g] of [...judged].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (g < o.minGrade) continue;
      const p = o.collection.indexOf(d);
      if (p < 0) positivesMissing++;
      else pos.push(p);
    }
    if (pos.length > 0) positives.set(q, pos);
  }
  const used = qids.filter((q) => positives.has(q));
  const triples: MinedTriple[] = [];
  let shortPools = 0;
  if (o.strategy === 'random') {
    for (const q of used) {
      const judged = judgedRelevant.get(q)!;
      for (const p of positives.get(q)!) {
        const negs = sampleRandomNegatives(
          o.collection.size,
          (i) => judged.has(o.collection.id(i)),
          rng,
          o.perPositive,
        );
        if (negs.length < o.perPositive) shortPools++;
        for (const n of negs) triples.push({ qid: q, positive: p, negative: n });
      }
    }
    return { triples, queries: used.length, positivesMissing, shortPools };
  }
  if (!o.encoder || !o.docs) throw new Error('hard negatives need a model and collection embeddings');
  const sub = new Map(used.map((q) => [q, o.queries.get(q)!]));
  const similarity = o.similarity ?? o.encoder.info.similarity;
  const { ranking } = await denseRetrieve(o.encoder, sub, o.collection, o.docs, o.depth, o.batchSize, similarity);
  const C = o.encoder.dim;
  // the margin compares a candidate's score with the positive's: both by the same similarity
  const normalise = normalisesAtScoring(o.encoder.info, similarity);
  const asScored = (v: Float32Array): Float32Array => (normalise ? l2NormaliseRows(v, C) : v);
  const qv =
    o.margin === undefined
      ? null
      : asScored(
          o.encoder.encode(
            used.map((q) => o.queries.get(q)!),
            'query',
            { batchSize: o.batchSize },
          ),
        );
  used.forEach((q, qi) => {
    const ranked = ranking.get(q)!;
    const judged = judgedRelevant.get(q)!;
    const posList = positives.get(q)!;
    const posVecs = qv ? asScored(o.docs!.gather(posList)) : null;
    posList.forEach((p, pi) => {
      const positiveScore = qv && posVecs ? rowDot(qv, qi, posVecs, pi, C) : undefined;
      const negs = sampleHardNegatives(ranked, judged, rng, {
        lo: o.lo,
        hi: o.hi,
        count: o.perPositive,
        positiveScore,
        margin: o.margin,
      });
      if (negs.length < o.perPositive) shortPools++;
      for (const n of negs) {
        triples.push({
          qid: q,
          positive: p,
          negative: o.collection.indexOf(n.docid),
          rank: ranked.findIndex((r) => r.docid === n.docid) + 1,
        });
      }
    });
  });
  return { triples, queries: used.length, positivesMissing, shortPools };
}
