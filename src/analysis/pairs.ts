// Query / relevant-passage pairs for the geometry: every judgment with grade >= minGrade whose
// query and passage both have text, in qrels order, then a seeded sample of n of them.
import { UserError } from '../errors.ts';
import type { Collection } from '../data/collection.ts';
import type { Qrels } from '../data/qrels.ts';
import type { Queries } from '../data/queries.ts';
import { Random } from '../data/random.ts';

export interface Pair {
  qid: string;
  pid: string;
  query: string;
  passage: string;
}

export interface PairSample {
  pairs: Pair[];
  available: number; // judged pairs with text on both sides (pairs.length = min(n, available))
  skippedNoText: number; // judged pairs whose passage is missing from the collection or empty
  skippedNoQuery: number; // judged pairs whose query has no text in the queries file
}

export function samplePairs(
  qrels: Qrels,
  queries: Queries,
  collection: Collection,
  n: number,
  minGrade: number,
  seed: number,
  files: { qrels: string; queries: string; collection: string } = {
    qrels: 'qrels',
    queries: 'queries',
    collection: 'collection',
  },
): PairSample {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`the number of pairs must be a positive integer, got ${n}`);
  const candidates: Pair[] = [];
  let skippedNoText = 0;
  let skippedNoQuery = 0;
  let judged = 0;
  for (const [qid, docs] of qrels) {
    for (const [pid, grade] of docs) {
      if (grade < minGrade) continue;
      judged++;
      const query = queries.get(qid);
      if (query === undefined || query.trim().length === 0) {
        skippedNoQuery++;
        continue;
      }
      const pos = collection.indexOf(pid);
      const passage = pos < 0 ? '' : collection.text(pos);
      if (passage.trim().length === 0) {
        skippedNoText++;
        continue;
      }
      candidates.push({ qid, pid, query, passage });
    }
  }
  if (judged === 0) throw new UserError(`${files.qrels}: no judgments with grade >= ${minGrade}`);
  if (candidates.length === 0) {
    throw new UserError(
      `no query / passage pairs left: ${judged} judged pairs with grade >= ${minGrade} in ${files.qrels}, ${skippedNoText} without passage text in ${files.collection}, ${skippedNoQuery} without query text in ${files.queries}`,
    );
  }
  const pairs = new Random(seed).shuffle(candidates).slice(0, n);
  return { pairs, available: candidates.length, skippedNoText, skippedNoQuery };
}
