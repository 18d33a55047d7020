// ftlab sample: a uniform, seeded sample of training triples in one streaming pass.
import type { Command } from '../command.ts';
import { int, required } from '../command.ts';
import { forEachLineBytes, displayName } from '../../data/lines.ts';
import { Random } from '../../data/random.ts';
import { Reservoir } from '../../data/reservoir.ts';
import { isTripleLine } from '../../data/triples.ts';
import { writeAtomic } from '../../io/atomic-file.ts';
import { InputError, UserError } from '../../errors.ts';

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
    const res = sampleTriples(path, n, seed, values['skip-bad'] === true);
    const { reservoir, skipped } = await res;
    if (reservoir.seen < n) process.stderr.write(`sample: only ${reservoir.seen} triples in ${path}; keeping all\n`);
    writeAtomic(output, (f) => {
      for (const line of reservoir.inStreamOrder()) {
        f.write(line);
        f.write('\n');
      }
    });
    if (values.quiet !== true) {
      process.stderr.write(`sample: kept ${reservoir.items.length} of ${reservoir.seen} triples (seed ${seed})${skipped ? `, skipped ${skipped} malformed lines` : ''}\n`);
    }
  },
};

export async function sampleTriples(path: string, n: number, seed: number, skipBad: boolean): Promise<{ reservoir: Reservoir<Uint8Array>; skipped: number }> {
  const reservoir = new Reservoir<Uint8Array>(n, new Random(seed));
  let skipped = 0;
  await forEachLineBytes(path, (buf, start, end, no) => {
    if (!isTripleLine(buf, start, end)) {
      if (skipBad) { skipped++; return; }
      throw new InputError(displayName(path), no, 'expected query<TAB>positive<TAB>negative (3 non-empty fields)');
    }
    reservoir.offer(() => new Uint8Array(buf.subarray(start, end))); // a copy: a view would pin its whole read chunk
  });
  return { reservoir, skipped };
}
