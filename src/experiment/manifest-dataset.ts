// A user's dataset described by a manifest (src/data/manifest.ts) as the study's third
// dataset value (dataset.ts), through the same stages as the built-in ones:
//  - one fold, train -> test; validation is the manifest's split, or held out by query from
//    train (as the quick preset does);
//  - protocol: re-ranking the test split's run when it has one, else dense retrieval over the
//    collection (the notes say which);
//  - negatives: the candidate stage (negatives-stage.ts): random ones from the training run,
//    or uniform over the collection without one (never a judged passage); hard ones mined by
//    the base model through the one miner;
//  - metrics: nDCG@10, RR@10 and R@100 at the manifest's `minGrade` (default 1).
// The manifest and every file it names are read and checked when the value is made, before
// the run folder exists: a bad file is one file:line error and nothing is written.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, loadDataset, type SplitData } from '../data/manifest.ts';
import type { Run } from '../data/run.ts';
import { type Fold, type QuerySet, splitByQuery, subset, touchedPassages } from './data.ts';
import type { StudyDataset, StudyDefaults, StudyOptionsForFolds } from './dataset.ts';
import { candidateNegatives, plannedMiningPassages, plannedTrainingTriples } from './negatives-stage.ts';
import { dataFile } from './provenance.ts';

/** The manifest's name when `--data` is a folder. */
export const MANIFEST_FILE = 'ftlab-dataset.json';

/** The manifest `--data` names: a .json file, or a folder holding ftlab-dataset.json; null: a built-in layout. */
export function manifestPath(data: string): string | null {
  if (/\.json$/i.test(data)) return data; // readManifest says so if it is missing
  const inside = join(data, MANIFEST_FILE);
  return existsSync(data) && statSync(data).isDirectory() && existsSync(inside) ? inside : null;
}

/** nDCG@10 with the grades; RR@10 and R@100 counting grade >= minGrade as relevant (canonical: rel=1 omitted). */
export function manifestMetrics(minGrade: number): string[] {
  const rel = minGrade === 1 ? '' : `(rel=${minGrade})`;
  return ['nDCG@10', `RR${rel}@10`, `R${rel}@100`];
}

/** Reads and checks the manifest and all its files; `defaults` come from the preset (`--preset`). */
export async function manifestDataset(path: string, defaults: StudyDefaults): Promise<StudyDataset> {
  const d = await loadDataset(path);
  const rerank = d.splits.test.run !== null;
  return {
    name: 'manifest',
    defaults: {
      ...defaults,
      folds: 'one', // a manifest describes one fold (train -> test)
      data: d.manifest.path,
      protocols: rerank ? ['rerank'] : ['dense'],
      miningPool: d.splits.train.run ? 'candidates' : 'pool',
    },
    metrics: manifestMetrics(d.manifest.minGrade),
    loadFolds: async (o) => [await manifestFold(d, o)],
    negatives: candidateNegatives,
    miningPassages: plannedMiningPassages,
    plannedTriples: plannedTrainingTriples,
    timingQueries: () => d.manifest.splits.test.queries,
    notes: manifestNotes(d),
  };
}

/** The manifest's splits as the study's one fold. */
export async function manifestFold(
  d: Dataset,
  o: Pick<StudyOptionsForFolds, 'validationFraction' | 'seed'>,
): Promise<Fold> {
  const { manifest, collection, splits } = d;
  const train = judged(splits.train);
  const held = splitByQuery(train.queries.keys(), o.validationFraction, o.seed);
  const validation = splits.validation ? judged(splits.validation) : subset(train, held.validation);
  const trainRun = joinRuns(splits.train.run, splits.validation?.run ?? null);
  const test: QuerySet = { queries: splits.test.queries, qrels: splits.test.qrels };
  const fold: Fold = {
    name: 'train->test',
    trainName: 'train',
    testName: 'test',
    collection,
    collectionPath: manifest.collection,
    training: splits.validation ? train : subset(train, held.train),
    validation,
    test,
    trainRun,
    testRun: splits.test.run,
    excluded: touchedPassages(collection, [test, validation], [splits.test.run, trainRun]),
    files: [await dataFile('manifest', manifest.path), await dataFile('collection', manifest.collection)],
    testQueriesPath: manifest.splits.test.queries,
    testQrelsPath: manifest.splits.test.qrels,
    minGrade: manifest.minGrade,
  };
  for (const [name, files] of Object.entries(manifest.splits))
    for (const [role, file] of Object.entries(files ?? {}))
      if (typeof file === 'string') fold.files.push(await dataFile(`${name} ${role}`, file));
  return fold;
}

/** A split's judged queries that have text (the ones a study can use). */
function judged(s: SplitData): QuerySet {
  return subset(s, [...s.qrels.keys()].filter((q) => s.queries.has(q)).sort());
}

/** The training side's candidates: the train run, plus the validation split's (its queries are disjoint). */
function joinRuns(train: Run | null, validation: Run | null): Run | null {
  if (!train || !validation) return train; // random negatives need the training queries' candidates
  const queries = new Map([...train.queries, ...validation.queries]);
  return { format: train.format, queries, source: `${train.source} + ${validation.source}` };
}

function manifestNotes(d: Dataset): string[] {
  const m = d.manifest;
  const s = d.splits;
  const out = [
    `Dataset "${m.name}" from the manifest ${m.path}: ${d.collection.size} passages; a judgment counts as ` +
      `relevant at grade >= ${m.minGrade}; validation ` +
      `${s.validation ? "is the manifest's split" : 'held out by query from train'}.`,
  ];
  out.push(
    s.train.run
      ? "Random negatives: a non-relevant passage from the training query's first-stage run."
      : 'Random negatives: uniform over the collection, never a passage judged for the query (no training run).',
  );
  if (!s.test.run)
    out.push(
      'The test split has no first-stage run: dense retrieval over the whole collection, no dose-response ' +
        '(each point would re-encode the collection).',
    );
  if (!s.train.run)
    out.push(
      'No training run: hard negatives are searched over the training part of the collection, and each arm ' +
        'keeps its final step (no validation candidates to re-rank for a choice).',
    );
  else if (s.validation && !s.validation.run)
    out.push('The validation split has no run: each arm keeps its final step (no candidates to choose by).');
  return out;
}
