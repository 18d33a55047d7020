// ftlab study: the experiment runner on the TREC-DL data (see src/experiment/).
import type { Command } from '../command.ts';
import { int, required, str } from '../command.ts';
import { setThreads } from '../../engine/index.ts';
import { runTrecDlStudy } from '../../experiment/trec-dl-study.ts';
import { UserError } from '../../errors.ts';

export const study: Command = {
  name: 'study',
  summary: 'run the fine-tuning study (train DL20, test DL19) and write report.md',
  usage: `ftlab study --output DIR [--data ../shared/data/msmarco] [options]

Mines random and hard (base model, ranks 51-200) negatives for the DL20 judgments,
trains full fine-tuning and LoRA (r=16, alpha=32, query/value) on each, evaluates the
base model and the four variants on DL19 and writes DIR/report.md, DIR/results.json,
the runs, the triples and the models.

  --steps N              optimizer steps per variant (default 200)
  --batch-size N         default 16
  --preset paper-text|paper-run   (default paper-text)
  --protocol rerank|dense|both    (default both; dense encodes the pool once per model)
  --seed S  --threads N  --cache-dir DIR`,
  options: {
    output: { type: 'string' }, data: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' },
    preset: { type: 'string' }, protocol: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' },
    'cache-dir': { type: 'string' },
  },
  async run(values) {
    setThreads(int(values, 'threads'));
    const preset = str(values, 'preset') ?? 'paper-text';
    if (preset !== 'paper-text' && preset !== 'paper-run') throw new UserError(`unknown --preset '${preset}' (paper-text or paper-run)`);
    const protocol = str(values, 'protocol') ?? 'both';
    if (!['rerank', 'dense', 'both'].includes(protocol)) throw new UserError('--protocol must be rerank, dense or both');
    await runTrecDlStudy({
      data: str(values, 'data') ?? '../shared/data/msmarco',
      output: required(values, 'output'),
      steps: int(values, 'steps') ?? 200,
      batchSize: int(values, 'batch-size') ?? 16,
      preset,
      protocols: protocol === 'both' ? ['rerank', 'dense'] : [protocol as 'rerank' | 'dense'],
      seed: int(values, 'seed', 0) ?? 42,
      cacheDir: str(values, 'cache-dir'),
      log: (l) => process.stderr.write(`${l}\n`),
    });
  },
};
