// ftlab mine: the paper's training triples — hard negatives mined with a model, or random
// negatives from the collection — for every judged query with a positive in the collection.
import type { Command } from '../command.ts';
import { int, num, required, str } from '../command.ts';
import {
  checkModelOptions,
  loadEncoder,
  modelHelp,
  modelOptions,
  similarityFlag,
  similarityHelp,
  similarityOptions,
} from '../shared-options.ts';
import {
  cacheHelp,
  cacheOptions,
  embedCollectionWithProgress,
  loadCollectionWithProgress,
} from '../collection-loading.ts';
import { loadQueries } from '../../data/queries.ts';
import { loadQrels } from '../../data/qrels.ts';
import { mineTriples, type MinedTriple } from '../../retrieval/mining.ts';
import { checkOutputPath, writeAtomic } from '../../io/atomic-file.ts';
import { UserError } from '../../errors.ts';

export const mine: Command = {
  name: 'mine',
  summary: 'make training triples: hard negatives mined with a model, or random negatives',
  usage: `ftlab mine --collection C --queries Q --qrels QR --output FILE [options]

  --strategy hard|random     hard (default): retrieve --depth with the model, sample from
                             --range; random: uniform over the whole collection
  --depth N                  passages retrieved per query (default 200)
  --range LO-HI              ranks (1-based, inclusive) negatives come from (default 51-200)
  --negatives-per-query N    negatives per (query, positive) pair (default 1)
  --min-grade G              grade a positive needs (default 1; TREC-DL recipes use 2).
                             Every passage judged >= 1 is excluded from the negatives.
  --margin M                 drop candidates scoring above (positive score - M): likely
                             unjudged positives (off by default)
  --seed S                   default 42
  --ids                      write qid<TAB>pid+<TAB>pid- instead of text triples
${similarityHelp}
${cacheHelp}
${modelHelp}`,
  options: {
    collection: { type: 'string' },
    queries: { type: 'string' },
    qrels: { type: 'string' },
    output: { type: 'string' },
    strategy: { type: 'string', default: 'hard' },
    depth: { type: 'string' },
    range: { type: 'string' },
    'negatives-per-query': { type: 'string' },
    'min-grade': { type: 'string' },
    margin: { type: 'string' },
    seed: { type: 'string' },
    ids: { type: 'boolean', default: false },
    ...similarityOptions,
    ...cacheOptions,
    ...modelOptions,
  },
  async run(values) {
    const strategy = str(values, 'strategy') ?? 'hard';
    if (strategy !== 'hard' && strategy !== 'random')
      throw new UserError(`--strategy must be hard or random, got '${strategy}'`);
    const depth = int(values, 'depth') ?? 200;
    const range = str(values, 'range') ?? '51-200';
    const m = /^(\d+)-(\d+)$/.exec(range);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
      throw new UserError(`--range must be LO-HI with 1 <= LO <= HI, got '${range}'`);
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (strategy === 'hard' && hi > depth) throw new UserError(`--range ${range} reaches past --depth ${depth}`);
    const output = required(values, 'output');
    const similarity = similarityFlag(values);
    const collectionPath = required(values, 'collection');
    const queriesPath = required(values, 'queries');
    const qrelsPath = required(values, 'qrels');
    const perPositive = int(values, 'negatives-per-query') ?? 1;
    const minGrade = int(values, 'min-grade', -1000) ?? 1;
    const margin = num(values, 'margin');
    if (margin !== undefined && margin < 0) throw new UserError(`--margin must be >= 0, got ${margin}`);
    const seed = int(values, 'seed', 0) ?? 42;
    checkOutputPath(output);
    if (strategy === 'hard') checkModelOptions(values);
    const queries = await loadQueries(queriesPath);
    const qrels = await loadQrels(qrelsPath);
    const collection = await loadCollectionWithProgress(collectionPath, values);
    const encoder = strategy === 'hard' ? loadEncoder(values) : null;
    const docs = encoder ? embedCollectionWithProgress(encoder, collection, collectionPath, values) : null;
    const result = await mineTriples({
      strategy,
      queries,
      qrels,
      collection,
      encoder,
      docs,
      depth,
      lo,
      hi,
      perPositive,
      minGrade,
      margin,
      seed,
      similarity,
      batchSize: int(values, 'batch-size'),
    });
    if (result.triples.length === 0) {
      throw new UserError(
        `mine: 0 triples (${result.queries} queries with a positive of grade >= ${minGrade} in the collection, ` +
          `${result.positivesMissing} positives missing from it, ${result.shortPools} pairs without enough candidates); nothing written to ${output}`,
      );
    }
    const ids = values.ids === true;
    writeAtomic(output, (f) => {
      for (const t of result.triples) f.write(formatTriple(t, ids, queries, collection));
    });
    if (values.quiet !== true) {
      process.stderr.write(
        `mine: ${result.triples.length} triples for ${result.queries} queries (${strategy}); ` +
          `${result.positivesMissing} positives not in the collection, ${result.shortPools} (query, positive) pairs without enough candidates\n`,
      );
    }
  },
};

function formatTriple(
  t: MinedTriple,
  ids: boolean,
  queries: Map<string, string>,
  collection: { text(i: number): string; id(i: number): string },
): string {
  if (ids) return `${t.qid}\t${collection.id(t.positive)}\t${collection.id(t.negative)}\n`;
  return `${queries.get(t.qid)}\t${collection.text(t.positive)}\t${collection.text(t.negative)}\n`;
}
