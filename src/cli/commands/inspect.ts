// ftlab inspect: Table III for a trained model folder (final loss, held-out accuracy, validation).
import { basename, resolve } from 'node:path';
import type { Command } from '../command.ts';
import { int, str } from '../command.ts';
import { UserError } from '../../errors.ts';
import { readTrainingConfig, summarizeTraining } from '../../analysis/training-summary.ts';
import { heldOutAccuracy } from '../../analysis/held-out-accuracy.ts';
import { loadTextTriples } from '../../data/triples.ts';
import { resolveDevice, setThreads } from '../../engine/index.ts';
import { formatTable } from '../table.ts';
import type { TrainingSummary } from '../../analysis/types.ts';

export const inspect: Command = {
  name: 'inspect',
  summary: 'training summary of a model folder (Table III: final loss, eval cosine accuracy)',
  usage: `ftlab inspect MODEL_DIR [--held-out TRIPLES] [--label NAME] [--json]

Reads MODEL_DIR/log.jsonl and MODEL_DIR/ftlab.json (written by ftlab train):
  final loss          mean training loss of the last 1% of steps (rounded up, at least 1)
  triplet accuracy    cosine triplet accuracy on the held-out triples at the last evaluation
  validation          the best evaluation's retrieval metric, when the run computed one
  --held-out FILE     recompute the triplet accuracy of the final model on these
                      query<TAB>positive<TAB>negative triples (loads the model)
  --label NAME        the model's name in the output (default: the folder name)
  --json              print the summary as JSON
  --device D --threads N   for --held-out`,
  options: {
    'held-out': { type: 'string' },
    label: { type: 'string' },
    json: { type: 'boolean', default: false },
    device: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UserError('give one MODEL_DIR (ftlab inspect --help)');
    const dir = positionals[0]!;
    const summary = summarizeTraining(dir, str(values, 'label') ?? basename(resolve(dir)));
    const heldOut = str(values, 'held-out');
    if (heldOut !== undefined) {
      setThreads(int(values, 'threads'));
      const { triples } = await loadTextTriples(heldOut);
      const r = heldOutAccuracy(dir, triples, readTrainingConfig(dir), resolveDevice(str(values, 'device')));
      Object.assign(summary, {
        tripletAccuracy: r.tripletAccuracy,
        heldOutTriples: r.triples,
        heldOutQueries: r.queries,
      });
    }
    process.stdout.write(values.json === true ? `${JSON.stringify(summary, null, 2)}\n` : summaryTable(summary));
  },
};

function summaryTable(s: TrainingSummary): string {
  const f = (x: number | null, d = 4): string => (x === null ? '-' : x.toFixed(d));
  return formatTable(
    ['model', 'method', 'loss', 'steps', 'final loss', 'held-out triples', 'triplet acc', 'validation'],
    [
      [
        s.model,
        s.method,
        s.loss,
        String(s.steps),
        `${f(s.finalLoss)} (last ${s.finalLossSteps})`,
        s.heldOutTriples > 0 ? `${s.heldOutTriples} (${s.heldOutQueries} queries)` : 'not logged',
        f(s.tripletAccuracy),
        s.validation ? `${s.validation.metric} ${f(s.validation.value)} @${s.validation.step}` : '-',
      ],
    ],
  );
}
