// ftlab sample: a uniform, seeded sample of training triples in one streaming pass.
import type { Command } from '../command.ts';
import { int, required } from '../command.ts';
import { sampleTriples } from '../../data/sample-triples.ts';
import { checkOutputPath, writeAtomic } from '../../io/atomic-file.ts';
import { displayName } from '../../data/lines.ts';
import { UserError } from '../../errors.ts';

export const sample: Command = {
  name: 'sample',
  summary: 'uniform random sample of triples (reservoir, one pass, seeded)',
  usage: `ftlab sample --triples PATH --n N --output FILE [--seed 42] [--skip-bad]

  --triples PATH   query<TAB>positive<TAB>negative lines: .tsv, .tsv.gz, or the .tar.gz
                   archive as distributed (triples.train.small.tar.gz)
  --n N            triples to keep (the paper: 1000000)
  --seed S         same seed, same sample (default 42)
  --skip-bad       count and skip malformed lines instead of failing on the first
The sample keeps the source file's order; lines are copied byte for byte.`,
  options: {
    triples: { type: 'string' },
    n: { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'string' },
    'skip-bad': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
  async run(values) {
    const path = required(values, 'triples');
    const output = required(values, 'output');
    const n = int(values, 'n');
    if (n === undefined) throw new UserError('--n is required');
    const seed = int(values, 'seed', 0) ?? 42;
    checkOutputPath(output);
    const { reservoir, skipped } = await sampleTriples(path, n, seed, values['skip-bad'] === true);
    if (reservoir.seen === 0)
      throw new UserError(
        `${displayName(path)}: no triples${skipped ? ` (${skipped} malformed lines skipped)` : ''}; nothing written`,
      );
    if (reservoir.seen < n) process.stderr.write(`sample: only ${reservoir.seen} triples in ${path}; keeping all\n`);
    writeAtomic(output, (f) => {
      for (const line of reservoir.inStreamOrder()) {
        f.write(line);
        f.write('\n');
      }
    });
    if (values.quiet !== true) {
      process.stderr.write(
        `sample: kept ${reservoir.items.length} of ${reservoir.seen} triples (seed ${seed})${skipped ? `, skipped ${skipped} malformed lines` : ''}\n`,
      );
    }
  },
};
