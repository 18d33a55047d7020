// ftlab embed: texts -> sentence vectors, streamed to the output in shards. Across ranks each
// rank encodes a contiguous run of the shards (into the embedding cache) and rank 0 writes.
import { extname } from 'node:path';
import type { Command } from '../command.ts';
import { int, str, strs } from '../command.ts';
import {
  checkModelOptions,
  loadEncoder,
  modelHelp,
  modelOptions,
  roleFlag,
  checkCpuAcrossRanks,
} from '../shared-options.ts';
import { checkOutputPath } from '../../io/atomic-file.ts';
import { Progress } from '../progress.ts';
import { Collection, loadCollection } from '../../data/collection.ts';
import { EmbeddingsWriter, EMBEDDING_FORMATS } from '../../io/embeddings-file.ts';
import { UserError } from '../../errors.ts';
import { SHARD } from '../../retrieval/embedding-cache.ts'; // texts tokenized, sorted and encoded together, as the cache's shards
import { encodeAcrossRanks, shardsInOrder } from '../../retrieval/sharded-encoding.ts';
import { cacheHelp, cacheOptions } from '../collection-loading.ts';
import { joinWorld, type World } from '../../engine/index.ts';
import type { TextRole } from '../../model/config.ts';
import type { SentenceEncoder } from '../../model/sentence-encoder.ts';
import type { Values } from '../command.ts';

export const embed: Command = {
  name: 'embed',
  summary: 'encode texts into sentence vectors',
  usage: `ftlab embed (--text T ... | --input FILE) (--output FILE | --json) [options]

Input:
  --text T           a text to encode (repeatable; ids are 0, 1, ...)
  --input FILE       id<TAB>text lines (.gz accepted; '-' reads stdin)
Output:
  --output FILE      .npy (float32 [N, C], ids in FILE.ids.txt), .safetensors
                     ("embeddings" [N, C] and ids) or .jsonl ({"id", "vector"} a line)
  --json             print a JSON array of vectors to stdout
  --role R           passage | query: which prompt the model prepends (default passage)
  Across ranks (ftlab launch, torchrun): each rank encodes a contiguous run of the cache's
  shards (16,384 texts each) into the cache, then rank 0 writes the output (the same file as
  one process). A rerun on any world size takes the cached shards. Not with --input -.
${cacheHelp}
  With --input FILE, embed fills the same cache as search (passage vectors of FILE are the
  collection's): a later search or embed of FILE takes them. --text and --input - are not cached.
${modelHelp}

Examples:
  ftlab embed --text "This is an example sentence" --json
  ftlab embed --input collection.tsv --output passages.npy --batch-size 128`,
  options: {
    text: { type: 'string', multiple: true },
    input: { type: 'string' },
    output: { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    role: { type: 'string', default: 'passage' },
    ...cacheOptions,
    ...modelOptions,
  },
  distributed: true,
  async run(values) {
    const texts = strs(values, 'text');
    const input = str(values, 'input');
    const output = str(values, 'output');
    const json = values.json === true;
    if (texts.length > 0 === (input !== undefined))
      throw new UserError('give either --text (repeatable) or --input FILE');
    if (!output && !json) throw new UserError('give --output FILE or --json');
    if (output && !EMBEDDING_FORMATS.includes(extname(output))) {
      throw new UserError(`--output ${output}: the name must end in ${EMBEDDING_FORMATS.join(', ')}`);
    }
    if (output) checkOutputPath(output);
    const role = roleFlag(values);
    const device = checkModelOptions(values).device;
    const world = joinWorld(device);
    checkCpuAcrossRanks('embed', device, world.size);
    if (input === '-' && world.size > 1)
      throw new UserError('--input - (stdin) runs as one process: every rank would read it; give a file');
    let source: Collection;
    if (input !== undefined) {
      source = (await loadCollection(input, { what: 'id<TAB>text' })).collection;
    } else {
      source = new Collection('--text');
      texts.forEach((t, i) => source.add(String(i), t));
    }
    const encoder = loadEncoder(values);
    const cached = input !== undefined && input !== '-' && values['no-cache'] !== true;
    const out = new Output(world.rank === 0 ? output : undefined, json && world.rank === 0, source, encoder.dim);
    try {
      if (world.size === 1 && !cached) encodeStreaming(encoder, source, role, values, out, input !== undefined);
      else await encodeSharded(encoder, source, cached ? input! : null, role, values, out, world);
      out.commit();
    } catch (e) {
      out.abort();
      throw e;
    }
  },
};

/** Where the vectors go, in collection order: the output file and/or --json (given on rank 0 only). */
class Output {
  #writer: EmbeddingsWriter | null = null;
  readonly #rows: string[] = [];

  constructor(
    readonly path: string | undefined,
    readonly json: boolean,
    readonly source: Collection,
    readonly dim: number,
  ) {}

  /** Opened at the first vectors (after a sharded encoding, not before it). */
  #open(): EmbeddingsWriter | null {
    if (this.path && !this.#writer)
      this.#writer = new EmbeddingsWriter(this.path, this.source.size, this.dim, (i) => this.source.id(i));
    return this.#writer;
  }

  append(vectors: Float32Array): void {
    this.#open()?.append(vectors);
    if (this.json)
      for (let r = 0; r * this.dim < vectors.length; r++)
        this.#rows.push(`[${Array.from(vectors.subarray(r * this.dim, (r + 1) * this.dim)).join(',')}]`);
  }

  commit(): void {
    this.#open()?.commit();
    if (this.json) process.stdout.write(`[${this.#rows.join(',\n')}]\n`);
  }

  abort(): void {
    this.#writer?.abort();
  }
}

function progressBar(values: Values, n: number, show: boolean): Progress {
  return new Progress('embed', n, 'texts', process.stderr, show && values.quiet !== true);
}

/** One process, no cache: each shard encoded and appended in turn (one shard in memory). */
function encodeStreaming(
  encoder: SentenceEncoder,
  source: Collection,
  role: TextRole,
  values: Values,
  out: Output,
  showProgress: boolean,
): void {
  const n = source.size;
  const progress = progressBar(values, n, showProgress);
  for (let s = 0; s < n; s += SHARD) {
    const batch = Array.from({ length: Math.min(SHARD, n - s) }, (_, k) => source.text(s + k));
    out.append(
      encoder.encode(batch, role, { batchSize: int(values, 'batch-size'), onProgress: (d) => progress.update(s + d) }),
    );
  }
}

/**
 * Through the embedding cache (`path` null: in memory), each rank its run of shards; then the
 * shards in order to rank 0, which writes them (the other ranks only pass theirs on).
 */
async function encodeSharded(
  encoder: SentenceEncoder,
  source: Collection,
  path: string | null,
  role: TextRole,
  values: Values,
  out: Output,
  world: World,
): Promise<void> {
  const progress = progressBar(values, source.size, path !== null && world.rank === 0);
  const enc = await encodeAcrossRanks(encoder, source, path, world, {
    cacheDir: str(values, 'cache-dir'),
    batchSize: int(values, 'batch-size'),
    role,
    onProgress: (d, _n, note) => progress.update(d, note),
    warn: (line) => process.stderr.write(`\n${line}\n`),
  });
  for (const vectors of shardsInOrder(enc.docs, world)) if (world.rank === 0) out.append(vectors);
  if (path !== null && world.rank === 0 && values.quiet !== true)
    process.stderr.write(
      `embed: ${source.size} texts in ${enc.shards} cache shards, ${enc.reused} of them from the cache, ` +
        `${enc.shards - enc.reused} encoded${world.size > 1 ? ` on ${world.size} ranks` : ''}\n`,
    );
}
