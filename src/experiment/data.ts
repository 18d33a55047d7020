// The data stage: folds (which judgments train, which test), the validation split by query,
// the passages training may never touch, and the provenance of every input file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollection, type Collection } from '../data/collection.ts';
import { loadQueries, type Queries } from '../data/queries.ts';
import { loadQrels, type Qrels } from '../data/qrels.ts';
import { loadRun, type Run } from '../data/run.ts';
import { Random } from '../data/random.ts';
import type { DataFile } from '../report/schema.ts';
import { UserError } from '../errors.ts';
import { dataFile } from './provenance.ts';

export interface QuerySet {
  queries: Queries;
  qrels: Qrels;
}

export interface Fold {
  name: string; // "dl20->dl19"
  trainName: string;
  testName: string;
  collection: Collection;
  collectionPath: string;
  training: QuerySet; // the training queries left after the validation split
  validation: QuerySet; // held out by query from the training side
  test: QuerySet;
  trainRun: Run | null; // BM25 candidates of the training side (random negatives; validation re-ranking)
  testRun: Run | null; // BM25 candidates of the test queries (the re-ranking protocol)
  /** Positions training never uses: judged (any grade) for a test or validation query, or a candidate of one. */
  excluded: Set<number>;
  files: DataFile[];
  testQueriesPath: string; // geometry reads the test pairs from files
  testQrelsPath: string;
  minGrade: number; // the grade a positive needs (TREC DL: 2; MS MARCO's binary judgments: 1)
}

export const TREC_DL_YEARS = ['dl19', 'dl20'] as const;
export type TrecDlYear = (typeof TREC_DL_YEARS)[number];

/** Splits query ids: a seeded shuffle of the sorted ids, the first round(fraction * n) held out (at least 1 of 2+). */
export function splitByQuery(
  ids: Iterable<string>,
  fraction: number,
  seed: number,
): { train: string[]; validation: string[] } {
  const sorted = [...new Set(ids)].sort();
  if (fraction <= 0 || sorted.length < 2) return { train: sorted, validation: [] };
  const shuffled = new Random((seed ^ 0x5a11) >>> 0).shuffle(sorted);
  const n = Math.min(sorted.length - 1, Math.max(1, Math.round(fraction * sorted.length)));
  return { train: shuffled.slice(n).sort(), validation: shuffled.slice(0, n).sort() };
}

export function subset(set: QuerySet, ids: readonly string[]): QuerySet {
  const queries: Queries = new Map();
  const qrels: Qrels = new Map();
  for (const q of ids) {
    const text = set.queries.get(q);
    if (text !== undefined) queries.set(q, text);
    const j = set.qrels.get(q);
    if (j) qrels.set(q, j);
  }
  return { queries, qrels };
}

/** Positions of every passage judged for these queries or among their candidates. */
export function touchedPassages(
  collection: Collection,
  sets: readonly QuerySet[],
  runs: readonly (Run | null)[],
): Set<number> {
  const out = new Set<number>();
  const add = (docid: string): void => {
    const p = collection.indexOf(docid);
    if (p >= 0) out.add(p);
  };
  for (const s of sets) for (const [q, judged] of s.qrels) if (s.queries.has(q)) for (const d of judged.keys()) add(d);
  runs.forEach((run, i) => {
    if (!run) return;
    const qs = sets[i]?.queries;
    for (const [q, list] of run.queries) if (!qs || qs.has(q)) for (const r of list) add(r.docid);
  });
  return out;
}

export interface TrecDlFoldOptions {
  dataDir: string;
  train: TrecDlYear;
  test: TrecDlYear;
  validationFraction: number;
  seed: number;
  collection?: Collection;
}

/** A TREC DL fold over trec-dl/ (the 30k-passage pool). */
export async function trecDlFold(o: TrecDlFoldOptions): Promise<Fold> {
  const dl = join(o.dataDir, 'trec-dl');
  const poolPath = join(dl, 'collection.pool.tsv');
  if (!existsSync(poolPath))
    throw new UserError(
      `${poolPath} not found: --data must hold trec-dl/ (see ../shared/data/msmarco/README.md) ` +
        'or ftlab-dataset.json (a manifest)',
    );
  const paths = {
    collection: poolPath,
    trainQueries: join(dl, `queries.${o.train}.tsv`),
    trainQrels: join(dl, `qrels.${o.train}-passage.txt`),
    trainRun: join(dl, `run.${o.train}.bm25.top100.trec`),
    testQueries: join(dl, `queries.${o.test}.tsv`),
    testQrels: join(dl, `qrels.${o.test}-passage.txt`),
    testRun: join(dl, `run.${o.test}.bm25.top100.trec`),
  };
  const collection = o.collection ?? (await loadCollection(poolPath)).collection;
  const side: QuerySet = { queries: await loadQueries(paths.trainQueries), qrels: await loadQrels(paths.trainQrels) };
  const test: QuerySet = { queries: await loadQueries(paths.testQueries), qrels: await loadQrels(paths.testQrels) };
  const trainRun = await loadRun(paths.trainRun);
  const testRun = await loadRun(paths.testRun);
  const judged = [...side.queries.keys()].filter((q) => side.qrels.has(q));
  const split = splitByQuery(judged, o.validationFraction, o.seed);
  const validation = subset(side, split.validation);
  const files: DataFile[] = [];
  for (const [role, path] of Object.entries(paths)) files.push(await dataFile(`${o.train}->${o.test} ${role}`, path));
  return {
    name: `${o.train}->${o.test}`,
    trainName: o.train,
    testName: o.test,
    collection,
    collectionPath: poolPath,
    training: subset(side, split.train),
    validation,
    test,
    trainRun,
    testRun,
    excluded: touchedPassages(collection, [test, validation], [testRun, trainRun]),
    files,
    testQueriesPath: paths.testQueries,
    testQrelsPath: paths.testQrels,
    minGrade: 2,
  };
}
