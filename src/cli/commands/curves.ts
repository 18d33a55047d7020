// ftlab curves: Figure 2's data (loss raw and smoothed, lr, grad norm, evaluations) from runs.
import { basename, resolve } from 'node:path';
import type { Command } from '../command.ts';
import { num, str, strs } from '../command.ts';
import { UserError } from '../../errors.ts';
import { readCurves, DEFAULT_ALPHA } from '../../analysis/curves.ts';
import { writeAtomic } from '../../io/atomic-file.ts';

export const curves: Command = {
  name: 'curves',
  summary: 'training curves of one or more runs as JSON (Figure 2)',
  usage: `ftlab curves RUN_DIR [RUN_DIR ...] [--label NAME ...] [--alpha A] [--json FILE]

Reads each RUN_DIR/log.jsonl (ftlab train): per step the loss (raw and smoothed by an
exponential moving average), learning rate and gradient norm; per evaluation the triplet
accuracy, eval loss and retrieval metrics.
  --label NAME   one per RUN_DIR, in order (default: the folder names)
  --alpha A      EMA weight of the newest step, in (0, 1] (default ${DEFAULT_ALPHA})
  --json FILE    write the JSON there (default: stdout)`,
  options: { label: { type: 'string', multiple: true }, alpha: { type: 'string' }, json: { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length === 0) throw new UserError('give at least one RUN_DIR (ftlab curves --help)');
    const labels = strs(values, 'label');
    if (labels.length > 0 && labels.length !== positionals.length)
      throw new UserError(`${labels.length} --label for ${positionals.length} runs`);
    const runs = positionals.map((dir, i) => ({ dir, label: labels[i] ?? basename(resolve(dir)) }));
    const text = `${JSON.stringify(readCurves(runs, num(values, 'alpha') ?? DEFAULT_ALPHA))}\n`;
    const out = str(values, 'json');
    if (out === undefined) process.stdout.write(text);
    else writeAtomic(out, (f) => f.write(text));
  },
};
