// Loading a collection and its embeddings with progress bars (shared by search and mine).
import { loadCollection, type Collection } from '../data/collection.ts';
import { embedCollection, type CollectionEmbeddings } from '../retrieval/embedding-cache.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { encodeAcrossRanks } from '../retrieval/sharded-encoding.ts';
import type { World } from '../engine/index.ts';
import { Progress } from './progress.ts';
import type { Options, Values } from './command.ts';
import { int, str } from './command.ts';

export const cacheOptions: Options = {
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
};

export const cacheHelp = `
Collection embeddings are cached (keyed by model fingerprint and collection file) under
--cache-dir (default $FTLAB_CACHE or ~/.cache/ftlab) in shards, so a second search or a
mining run does not re-encode and an interrupted encoding resumes; --no-cache keeps them
in memory only.`;

export async function loadCollectionWithProgress(path: string, values: Values): Promise<Collection> {
  const quiet = values.quiet === true;
  const { collection } = await loadCollection(path);
  if (!quiet) process.stderr.write(`collection: ${collection.size} passages from ${path}\n`);
  return collection;
}

/**
 * The same across the ranks of a process group (each rank its run of shards, then a wait for
 * every rank through the store: see WorkPhase); one process when the world is.
 */
export async function embedCollectionAcrossRanks(
  encoder: SentenceEncoder,
  collection: Collection,
  path: string,
  values: Values,
  world: World,
): Promise<CollectionEmbeddings> {
  const progress = new Progress(
    'encode collection',
    collection.size,
    'passages',
    process.stderr,
    values.quiet !== true && world.rank === 0,
  );
  const { docs } = await encodeAcrossRanks(encoder, collection, path, world, {
    cacheDir: values['no-cache'] === true ? null : str(values, 'cache-dir'),
    batchSize: int(values, 'batch-size'),
    onProgress: (d, _n, note) => progress.update(d, note),
    warn: (line) => process.stderr.write(`\n${line}\n`),
  });
  return docs;
}

export function embedCollectionWithProgress(
  encoder: SentenceEncoder,
  collection: Collection,
  path: string,
  values: Values,
): CollectionEmbeddings {
  const progress = new Progress(
    'encode collection',
    collection.size,
    'passages',
    process.stderr,
    values.quiet !== true,
  );
  return embedCollection(encoder, collection, path, {
    cacheDir: values['no-cache'] === true ? null : str(values, 'cache-dir'),
    batchSize: int(values, 'batch-size'),
    onProgress: (d, _n, note) => progress.update(d, note),
    warn: (line) => process.stderr.write(`\n${line}\n`),
  });
}
