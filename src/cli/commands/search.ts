// ftlab search: dense retrieval over a collection, or re-ranking of a run's candidates.
import type { Command } from '../command.ts';
import { int, required, str } from '../command.ts';
import {
  checkCpuAcrossRanks,
  checkModelOptions,
  loadEncoder,
  modelHelp,
  modelOptions,
  similarityFlag,
  similarityHelp,
  similarityOptions,
} from '../shared-options.ts';
import { checkOutputPath } from '../../io/atomic-file.ts';
import {
  cacheHelp,
  cacheOptions,
  embedCollectionAcrossRanks,
  loadCollectionWithProgress,
} from '../collection-loading.ts';
import { loadQueries } from '../../data/queries.ts';
import { loadRun, type Ranking, writeTrecRun } from '../../data/run.ts';
import { cachedEmbeddings } from '../../retrieval/embedding-cache.ts';
import { denseRetrieve, rerank } from '../../retrieval/dense-retrieval.ts';
import { joinWorld } from '../../engine/index.ts';

export const search: Command = {
  name: 'search',
  summary: 'dense retrieval (exact cosine or inner product, top-k) or re-ranking; writes a TREC run',
  usage: `ftlab search --collection C --queries Q --output run.trec [--k 1000] [--rerank RUN] [options]

  --collection FILE  pid<TAB>text (.gz accepted)
  --queries FILE     qid<TAB>query
  --k N              results per query (default 1000; with --rerank, the top k of the
                     re-ranked candidates)
  --rerank RUN       score only each query's candidates from RUN (the re-ranking protocol)
  --output FILE      TREC run (qid Q0 pid rank score ftlab)
  --tag NAME         run tag (default ftlab)
  Across ranks (ftlab launch, torchrun): each rank encodes a contiguous run of the
  collection's cache shards (16,384 passages each) and searches them; the per-rank top-k
  are merged (the same run as one process); rank 0 writes the run. With --rerank the
  queries' and candidates' encoding (or the cached candidates) is shared out and the scores
  merged: the same run as one process. A rerun on any world size takes the cached shards
  when the cache is on a disk every rank sees.
${similarityHelp}
${cacheHelp}
${modelHelp}`,
  options: {
    collection: { type: 'string' },
    queries: { type: 'string' },
    k: { type: 'string' },
    rerank: { type: 'string' },
    output: { type: 'string' },
    tag: { type: 'string' },
    ...similarityOptions,
    ...cacheOptions,
    ...modelOptions,
  },
  distributed: true,
  async run(values) {
    const output = required(values, 'output');
    const similarityOverride = similarityFlag(values);
    const collectionPath = required(values, 'collection');
    const queriesPath = required(values, 'queries');
    const k = int(values, 'k') ?? 1000;
    checkOutputPath(output);
    const device = checkModelOptions(values).device;
    const world = joinWorld(device);
    const queries = await loadQueries(queriesPath);
    const rerankPath = str(values, 'rerank');
    const run = rerankPath ? await loadRun(rerankPath) : null;
    const collection = await loadCollectionWithProgress(collectionPath, values);
    const encoder = loadEncoder(values);
    const batchSize = int(values, 'batch-size');
    const similarity = similarityOverride ?? encoder.info.similarity;
    let ranking: Ranking;
    if (run) {
      checkCpuAcrossRanks('search --rerank', device, world.size);
      const warn = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const cached =
        values['no-cache'] === true
          ? null
          : cachedEmbeddings(encoder, collection, collectionPath, str(values, 'cache-dir'), warn);
      ranking = new Map(
        [...rerank(encoder, queries, collection, run, cached, batchSize, similarity)].map(([q, l]) => [
          q,
          l.slice(0, k),
        ]),
      );
    } else {
      const docs = await embedCollectionAcrossRanks(encoder, collection, collectionPath, values, world);
      const r = await denseRetrieve(encoder, queries, collection, docs, k, batchSize, similarity);
      ranking = r.ranking;
      if (values.quiet !== true && world.rank === 0) {
        process.stderr.write(
          `search: ${queries.size} queries, encode ${r.timing.encodeSeconds.toFixed(2)} s, search ${r.timing.searchSeconds.toFixed(2)} s\n`,
        );
      }
    }
    if (world.rank === 0) writeTrecRun(output, ranking, str(values, 'tag') ?? 'ftlab');
  },
};
