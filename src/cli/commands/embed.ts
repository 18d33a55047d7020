// ftlab embed: texts -> sentence vectors.
import { extname } from 'node:path';
import type { Command } from '../command.ts';
import { int, str, strs } from '../command.ts';
import { loadEncoder, modelHelp, modelOptions } from '../shared-options.ts';
import { Progress } from '../progress.ts';
import { readLines, splitIdText } from '../../data/lines.ts';
import { writeEmbeddings, EMBEDDING_FORMATS } from '../../io/embeddings-file.ts';
import { UserError } from '../../errors.ts';

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
    ...modelOptions,
  },
  async run(values) {
    const texts = strs(values, 'text');
    const input = str(values, 'input');
    const output = str(values, 'output');
    const json = values.json === true;
    if ((texts.length > 0) === (input !== undefined)) throw new UserError('give either --text (repeatable) or --input FILE');
    if (!output && !json) throw new UserError('give --output FILE or --json');
    if (output && !EMBEDDING_FORMATS.includes(extname(output))) {
      throw new UserError(`--output ${output}: the name must end in ${EMBEDDING_FORMATS.join(', ')}`);
    }
    let ids: string[];
    let docs: string[];
    if (input !== undefined) {
      ids = [];
      docs = [];
      const file = input === '-' ? 'stdin' : input;
      for await (const line of readLines(input)) {
        const [id, text] = splitIdText(line, file);
        ids.push(id);
        docs.push(text);
      }
    } else {
      ids = texts.map((_, i) => String(i));
      docs = texts;
    }
    const encoder = loadEncoder(values);
    const progress = new Progress('embed', docs.length, 'texts', process.stderr, input !== undefined && values.quiet !== true);
    const vectors = encoder.encode(docs, { batchSize: int(values, 'batch-size'), onProgress: (d, n) => progress.update(d) });
    if (output) writeEmbeddings(output, ids, vectors, encoder.dim);
    if (json) {
      const rows: string[] = [];
      for (let i = 0; i < docs.length; i++) rows.push(`[${Array.from(vectors.subarray(i * encoder.dim, (i + 1) * encoder.dim)).join(',')}]`);
      process.stdout.write(`[${rows.join(',\n')}]\n`);
    }
  },
};
