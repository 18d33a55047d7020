// `--preset paper`: the paper's experiment over the official MS MARCO files in one folder
// (collection.tsv, queries.train.tsv, qrels.train.tsv, triples.train.small.tar.gz,
// queries.dev.small.tsv, qrels.dev.small.tsv). Random triples are a seeded sample of the
// official triples, and hard negatives are mined with the base model over the whole collection
// (top-200, ranks 51-200), per seed (seed-specific sampling); the test is dev small, dense
// retrieval over the full corpus.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollection } from '../data/collection.ts';
import { loadQueries, type Queries } from '../data/queries.ts';
import { loadQrels } from '../data/qrels.ts';
import { sampleTriples } from '../data/sample-triples.ts';
import { parseTextTriple, type TextTriple } from '../data/triples.ts';
import { embedCollection, type CollectionEmbeddings } from '../retrieval/embedding-cache.ts';
import { UserError } from '../errors.ts';
import { splitByQuery, subset, touchedPassages, type Fold, type QuerySet } from './data.ts';
import { dataFile } from './provenance.ts';
import type { StudyContext } from './context.ts';
import { emptyStats, hardNegatives, judgedPositives, type NegativeStats } from '../retrieval/mining.ts';
import { HARD, textTriples } from './negatives.ts';
import { writeTriples, type NegativesOutput, type TrainFiles } from './negatives-stage.ts';
import { collectionNegativesKey } from './stage-keys.ts';

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

/** The paper's triples: official random triples sampled, hard negatives mined over the whole collection. */
export function collectionNegatives(ctx: StudyContext, fold: Fold): Promise<NegativesOutput> {
  const key = collectionNegativesKey(fold, ctx.options, ctx.baseId);
  return ctx.cache.run('negatives.paper', key, () => minePaper(ctx, fold));
}

/**
 * The base model encodes the collection once; each seed k (--seed + k) then samples its own
 * official triples and mines hard negatives for its sample's queries. Validation triples are
 * the first seed's (validation chooses checkpoints the same way for every seed).
 */
async function minePaper(ctx: StudyContext, fold: Fold): Promise<NegativesOutput> {
  const o = ctx.options;
  const c = fold.collection;
  const bar = ctx.progress('encode collection (base, hard negatives)', c.size, 'passages');
  const docs = embedCollection(ctx.base, c, fold.collectionPath, {
    cacheDir: o.cacheDir,
    onProgress: (d) => bar.update(d),
  });
  const mineSet = (queries: Queries, qrels: QuerySet['qrels'], excluded: Set<number>, m: SeedMining) =>
    mineOver(ctx, fold, { docs, queries, qrels, excluded, ...m });
  const out = (n: string, t: TextTriple[]) => writeTriples(join(o.output, 'triples', `paper.${n}.tsv`), t);
  // hard: the training queries of the seed's sample (by text), mined over the whole collection
  const trainExcluded = new Set([...fold.excluded, ...validationJudged(fold)]);
  const bySeed: TrainFiles[] = [];
  let first: { validation: TextTriple[]; random: NegativeStats; hard: NegativeStats } | null = null;
  for (let k = 0; k < o.seeds; k++) {
    const seed = o.seed + k;
    const random = await sampleOfficial(ctx, fold, seed);
    const hard = emptyStats();
    const hardTrain = await mineSet(sampled(fold.training, random.train), fold.training.qrels, trainExcluded, {
      stats: hard,
      seed,
    });
    logSeed(ctx, seed, random, hard);
    const tag = k === 0 ? '' : `.seed-${k}`;
    bySeed.push({
      'train-random': out(`train.random${tag}`, random.train),
      'train-hard': out(`train.hard${tag}`, hardTrain),
    });
    first ??= { validation: random.validation, random: random.stats, hard }; // the training lists are on disk
  }
  const { validation, random, hard } = first!;
  const valQueries = sampled(fold.validation, validation);
  const hardVal = await mineSet(valQueries, fold.validation.qrels, fold.excluded, {
    stats: emptyStats(),
    seed: o.seed,
  });
  return {
    files: {
      ...bySeed[0]!,
      'validation-random': out('validation.random', validation),
      'validation-hard': out('validation.hard', hardVal),
    },
    bySeed,
    stats: { random, hard },
    miningPassages: c.size,
  };
}

function logSeed(ctx: StudyContext, seed: number, random: SampledTriples, hard: NegativeStats): void {
  ctx.log(
    `negatives paper seed ${seed} random: ${random.train.length} training + ${random.validation.length} validation ` +
      `triples sampled; ${random.stats.excludedDropped} dropped ` +
      '(a dev-judged passage, or a validation-judged one in a training triple)',
  );
  ctx.log(
    `negatives paper seed ${seed} hard: ${hard.triples} triples from ${hard.queries} queries; dropped ` +
      `${hard.judgedDropped} judged-relevant, ${hard.guardDropped} by the false-negative guard, ` +
      `${hard.excludedDropped} dev-judged`,
  );
}

/** Training triples also keep off validation-judged passages (validation picks the checkpoint). */
function validationJudged(fold: Fold): Set<number> {
  return touchedPassages(fold.collection, [fold.validation], [null]);
}

interface SampledTriples {
  train: TextTriple[];
  validation: TextTriple[];
  stats: NegativeStats;
}

/**
 * The official triples, sampled with the seed; a triple touching a dev-judged passage is
 * dropped. One pass over the archive per seed: a seed's sample is held in memory only while
 * it is written.
 */
async function sampleOfficial(ctx: StudyContext, fold: Fold, seed: number): Promise<SampledTriples> {
  const o = ctx.options;
  const c = fold.collection;
  const { reservoir } = await sampleTriples(join(o.data, PAPER_FILES.triples), o.paperTriples, seed, false);
  const testTexts = new Set([...fold.excluded].map((p) => c.text(p)));
  const valJudgedTexts = new Set([...validationJudged(fold)].map((p) => c.text(p)));
  const valTexts = new Set(fold.validation.queries.values());
  const stats = emptyStats();
  const train: TextTriple[] = [];
  const validation: TextTriple[] = [];
  const decoder = new TextDecoder();
  let no = 0;
  for (const line of reservoir.inStreamOrder()) {
    const t = parseTextTriple(decoder.decode(line), PAPER_FILES.triples, ++no);
    if (testTexts.has(t.positive) || testTexts.has(t.negative)) stats.excludedDropped++;
    else if (valTexts.has(t.query)) validation.push(t);
    else if (valJudgedTexts.has(t.positive) || valJudgedTexts.has(t.negative)) stats.excludedDropped++;
    else train.push(t);
  }
  stats.triples = train.length;
  stats.queries = new Set(train.map((t) => t.query)).size;
  return { train, validation, stats };
}

/** The judged queries of a side whose text the sampled triples hold. */
function sampled(set: QuerySet, triples: readonly TextTriple[]): Queries {
  const byText = new Map([...set.queries].map(([q, t]) => [t, q]));
  const out: Queries = new Map();
  for (const { query } of triples) {
    const q = byText.get(query);
    if (q && set.qrels.has(q)) out.set(q, query);
  }
  return out;
}

/** What differs between seeds' mining: the draw among the hard candidates. */
interface SeedMining {
  stats: NegativeStats;
  seed: number;
}

interface CollectionMining extends SeedMining {
  docs: CollectionEmbeddings;
  queries: Queries;
  qrels: QuerySet['qrels'];
  excluded: Set<number>;
}

async function mineOver(ctx: StudyContext, fold: Fold, m: CollectionMining): Promise<TextTriple[]> {
  const c = fold.collection;
  const positives = judgedPositives(m, c, { minGrade: fold.minGrade, excluded: m.excluded }, m.stats);
  const ids = await hardNegatives({
    positives,
    queries: m.queries,
    qrels: m.qrels,
    collection: c,
    encoder: ctx.base,
    docs: m.docs.chunks(),
    rows: null,
    excluded: m.excluded,
    ...HARD,
    guardMargin: ctx.options.guardMargin,
    seed: m.seed,
    stats: m.stats,
  });
  return textTriples(ids, m.queries, c);
}
