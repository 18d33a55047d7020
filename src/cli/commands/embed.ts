// ftlab embed: texts -> sentence vectors, streamed to the output in shards.
import { extname } from 'node:path';
import type { Command } from '../command.ts';
import { int, str, strs } from '../command.ts';
import { checkModelOptions, loadEncoder, modelHelp, modelOptions, roleFlag } from '../shared-options.ts';
import { checkOutputPath } from '../../io/atomic-file.ts';
import { Progress } from '../progress.ts';
import { Collection, loadCollection } from '../../data/collection.ts';
import { EmbeddingsWriter, EMBEDDING_FORMATS } from '../../io/embeddings-file.ts';
import { UserError } from '../../errors.ts';
import { SHARD } from '../../retrieval/embedding-cache.ts'; // texts tokenized, sorted and encoded together, as the cache's shards

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
    ...modelOptions,
  },
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
    checkModelOptions(values);
    let source: Collection;
    if (input !== undefined) {
      source = (await loadCollection(input, { what: 'id<TAB>text' })).collection;
    } else {
      source = new Collection('--text');
      texts.forEach((t, i) => source.add(String(i), t));
    }
    const encoder = loadEncoder(values);
    const n = source.size;
    const writer = output ? new EmbeddingsWriter(output, n, encoder.dim, (i) => source.id(i)) : null;
    const progress = new Progress('embed', n, 'texts', process.stderr, input !== undefined && values.quiet !== true);
    const rows: string[] = [];
    try {
      for (let s = 0; s < n; s += SHARD) {
        const batch = Array.from({ length: Math.min(SHARD, n - s) }, (_, k) => source.text(s + k));
        const vectors = encoder.encode(batch, role, {
          batchSize: int(values, 'batch-size'),
          onProgress: (d) => progress.update(s + d),
        });
        writer?.append(vectors);
        if (json)
          for (let r = 0; r < batch.length; r++)
            rows.push(`[${Array.from(vectors.subarray(r * encoder.dim, (r + 1) * encoder.dim)).join(',')}]`);
      }
      writer?.commit();
    } catch (e) {
      writer?.abort();
      throw e;
    }
    if (json) process.stdout.write(`[${rows.join(',\n')}]\n`);
  },
};
