// `--preset paper`: the paper's experiment over the official MS MARCO files in one folder
// (collection.tsv, queries.train.tsv, qrels.train.tsv, triples.train.small.tar.gz,
// queries.dev.small.tsv, qrels.dev.small.tsv). Random triples are a seeded sample of the
// official triples; hard negatives are mined with the base model over the whole collection
// (top-200, ranks 51-200); the test is dev small, dense retrieval over the full corpus.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollection } from '../data/collection.ts';
import { loadQueries, type Queries } from '../data/queries.ts';
import { loadQrels } from '../data/qrels.ts';
import { sampleTriples } from '../data/sample-triples.ts';
import { parseTextTriple, type TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { embedCollection } from '../retrieval/embedding-cache.ts';
import { UserError } from '../errors.ts';
import { splitByQuery, subset, touchedPassages, type Fold, type QuerySet } from './data.ts';
import { dataFile } from './provenance.ts';
import { emptyStats, hardNegatives, judgedPositives, textTriples, type NegativeStats } from './negatives.ts';
import { HARD, writeTriples, type NegativesOutput } from './negatives-stage.ts';
import type { StageCache } from './stage-cache.ts';
import type { StudyOptions } from './options.ts';

export const PAPER_FILES = {
  collection: 'collection.tsv',
  trainQueries: 'queries.train.tsv',
  trainQrels: 'qrels.train.tsv',
  triples: 'triples.train.small.tar.gz',
  testQueries: 'queries.dev.small.tsv',
  testQrels: 'qrels.dev.small.tsv',
} as const;

export async function paperFold(dir: string, o: { validationFraction: number; seed: number }): Promise<Fold> {
  const path = (k: keyof typeof PAPER_FILES): string => join(dir, PAPER_FILES[k]);
  for (const k of Object.keys(PAPER_FILES) as (keyof typeof PAPER_FILES)[]) {
    if (!existsSync(path(k)))
      throw new UserError(
        `${path(k)} not found: --preset paper --data DIR needs ${Object.values(PAPER_FILES).join(', ')}`,
      );
  }
  const { collection } = await loadCollection(path('collection'));
  const side: QuerySet = {
    queries: await loadQueries(path('trainQueries')),
    qrels: await loadQrels(path('trainQrels')),
  };
  const test: QuerySet = { queries: await loadQueries(path('testQueries')), qrels: await loadQrels(path('testQrels')) };
  const judged = [...side.qrels.keys()].filter((q) => side.queries.has(q));
  const split = splitByQuery(judged, o.validationFraction, o.seed);
  const files = [];
  for (const k of Object.keys(PAPER_FILES) as (keyof typeof PAPER_FILES)[])
    files.push(await dataFile(`paper ${k}`, path(k)));
  return {
    name: 'train->dev-small',
    trainName: 'train',
    testName: 'dev-small',
    collection,
    collectionPath: path('collection'),
    training: subset(side, split.train),
    validation: subset(side, split.validation),
    test,
    trainRun: null,
    testRun: null,
    excluded: touchedPassages(collection, [test], [null]),
    files,
    testQueriesPath: path('testQueries'),
    testQrelsPath: path('testQrels'),
    minGrade: 1,
  };
}

export function paperNegatives(
  fold: Fold,
  dir: string,
  base: SentenceEncoder,
  baseId: string,
  o: StudyOptions,
  cache: StageCache,
): Promise<NegativesOutput> {
  const key = {
    fold: fold.files.map((f) => f.sha256),
    seed: o.seed,
    validation: o.validationFraction,
    base: baseId,
    guard: o.guardMargin,
    n: o.paperTriples,
    hard: HARD,
  };
  return cache.run('negatives.paper', key, () => minePaper(fold, dir, base, o));
}

async function minePaper(fold: Fold, dir: string, base: SentenceEncoder, o: StudyOptions): Promise<NegativesOutput> {
  const c = fold.collection;
  // random: the official triples, sampled; a triple touching a dev-judged passage is dropped
  const { reservoir } = await sampleTriples(join(dir, PAPER_FILES.triples), o.paperTriples, o.seed, false);
  const testTexts = new Set([...fold.excluded].map((p) => c.text(p)));
  // training triples also keep off validation-judged passages (validation picks the checkpoint)
  const valJudged = touchedPassages(c, [fold.validation], [null]);
  const valJudgedTexts = new Set([...valJudged].map((p) => c.text(p)));
  const valTexts = new Set(fold.validation.queries.values());
  const random = emptyStats();
  const train: TextTriple[] = [];
  const val: TextTriple[] = [];
  const decoder = new TextDecoder();
  let no = 0;
  for (const line of reservoir.inStreamOrder()) {
    const t = parseTextTriple(decoder.decode(line), PAPER_FILES.triples, ++no);
    if (testTexts.has(t.positive) || testTexts.has(t.negative)) {
      random.excludedDropped++;
      continue;
    }
    if (valTexts.has(t.query)) val.push(t);
    else if (valJudgedTexts.has(t.positive) || valJudgedTexts.has(t.negative)) random.excludedDropped++;
    else train.push(t);
  }
  random.triples = train.length;
  random.queries = new Set(train.map((t) => t.query)).size;
  o.log(
    `negatives paper random: ${train.length} training + ${val.length} validation triples sampled; ${random.excludedDropped} dropped (a dev-judged passage, or a validation-judged one in a training triple)`,
  );
  // hard: the training queries of the sample (by text), mined over the whole collection
  const byText = new Map<string, string>();
  for (const [q, text] of fold.training.queries) byText.set(text, q);
  const sampled = (set: QuerySet, texts: Iterable<string>, lookup: Map<string, string>): Queries => {
    const out: Queries = new Map();
    for (const t of texts) {
      const q = lookup.get(t);
      if (q && set.qrels.has(q)) out.set(q, t);
    }
    return out;
  };
  const bar = o.progress('encode collection (base, hard negatives)', c.size, 'passages');
  const docs = embedCollection(base, c, fold.collectionPath, {
    cacheDir: o.cacheDir,
    onProgress: (d) => bar.update(d),
  });
  const hard = emptyStats();
  const mineSet = async (
    queries: Queries,
    qrels: QuerySet['qrels'],
    stats: NegativeStats,
    excluded: Set<number>,
  ): Promise<TextTriple[]> => {
    const positives = judgedPositives(queries, qrels, c, fold.minGrade, excluded, stats);
    const ids = await hardNegatives({
      positives,
      queries,
      qrels,
      collection: c,
      encoder: base,
      docs: docs.chunks(),
      rows: null,
      excluded,
      ...HARD,
      guardMargin: o.guardMargin,
      seed: o.seed,
      stats,
    });
    return textTriples(ids, queries, c);
  };
  const trainExcluded = new Set([...fold.excluded, ...valJudged]);
  const hardTrain = await mineSet(
    sampled(
      fold.training,
      train.map((t) => t.query),
      byText,
    ),
    fold.training.qrels,
    hard,
    trainExcluded,
  );
  const valByText = new Map([...fold.validation.queries].map(([q, t]) => [t, q]));
  const hardVal = await mineSet(
    sampled(
      fold.validation,
      val.map((t) => t.query),
      valByText,
    ),
    fold.validation.qrels,
    emptyStats(),
    fold.excluded,
  );
  o.log(
    `negatives paper hard: ${hard.triples} triples from ${hard.queries} queries; dropped ${hard.judgedDropped} judged-relevant, ${hard.guardDropped} by the false-negative guard, ${hard.excludedDropped} dev-judged`,
  );
  const out = (n: string, t: TextTriple[]) => writeTriples(join(o.output, 'triples', `paper.${n}.tsv`), t);
  return {
    files: {
      'train-random': out('train.random', train),
      'train-hard': out('train.hard', hardTrain),
      'validation-random': out('validation.random', val),
      'validation-hard': out('validation.hard', hardVal),
    },
    stats: { random, hard },
    miningPassages: c.size,
  };
}
