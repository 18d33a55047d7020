// ftlab compare: several runs side by side, with paired significance against the first.
import type { Command } from '../command.ts';
import { int, required, str } from '../command.ts';
import { formatTable } from '../table.ts';
import { loadQrels } from '../../data/qrels.ts';
import { loadRun } from '../../data/run.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { parseMetrics } from '../../eval/metric.ts';
import { compareEvaluations } from '../../eval/compare.ts';
import { DEFAULT_METRICS } from './eval.ts';
import { UserError } from '../../errors.ts';

export const compare: Command = {
  name: 'compare',
  summary: 'compare runs: means, deltas, paired t-test and randomisation test',
  usage: `ftlab compare --qrels QRELS RUN_A RUN_B [RUN_C ...] [--metrics LIST] [--json]

Each run after the first is compared with the first (the baseline) on the queries that
all runs share: delta of means, two-sided paired t-test, and a seeded two-sided paired
randomisation test (--trials, default 10000; --seed, default 42).`,
  options: {
    qrels: { type: 'string' },
    metrics: { type: 'string', default: DEFAULT_METRICS },
    trials: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
  async run(values, runs) {
    if (runs.length < 2) throw new UserError('give at least two runs to compare');
    const metrics = parseMetrics(str(values, 'metrics') ?? DEFAULT_METRICS);
    const qrelsPath = required(values, 'qrels');
    const qrels = await loadQrels(qrelsPath);
    const evals = [];
    for (const r of runs) evals.push(evaluate(await loadRun(r), qrels, metrics, qrelsPath));
    const result = compareEvaluations(runs, evals, int(values, 'trials') ?? 10000, int(values, 'seed', 0) ?? 42);
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const rows: string[][] = [];
    for (const r of result.runs) {
      for (const m of result.metrics) {
        const v = r.metrics[m]!;
        rows.push([r.run, m, v.mean.toFixed(4), v.delta === undefined ? '' : (v.delta >= 0 ? '+' : '') + v.delta.toFixed(4),
          v.pTTest === undefined ? '' : v.pTTest.toFixed(4), v.pRandomisation === undefined ? '' : v.pRandomisation.toFixed(4)]);
      }
    }
    process.stdout.write(`${result.queries} queries shared by all runs; baseline ${result.runs[0]!.run}\n`);
    process.stdout.write(formatTable(['run', 'metric', 'mean', 'delta', 'p (t-test)', 'p (random.)'], rows));
  },
};
