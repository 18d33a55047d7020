// ftlab compare: several runs side by side, with paired statistics against the first.
import type { Command } from '../command.ts';
import { int, required, str } from '../command.ts';
import { formatTable } from '../table.ts';
import { loadQrels } from '../../data/qrels.ts';
import { loadRun } from '../../data/run.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { metricString, parseMetric, parseMetrics } from '../../eval/metric.ts';
import { compareTable } from '../../eval/compare.ts';
import type { ComparisonTable, MetricStats } from '../../eval/comparison.ts';
import { DEFAULT_METRICS } from './eval.ts';
import { UserError } from '../../errors.ts';

export const compare: Command = {
  name: 'compare',
  summary: 'compare runs: means, deltas with bootstrap CIs, paired t-test, randomisation test, Holm-adjusted p',
  usage: `ftlab compare --qrels QRELS RUN_A RUN_B [RUN_C ...] [--metrics LIST] [--json]

Each run after the first is compared with the first (the baseline) on the queries that
all runs share, per metric: mean, delta of means, its 95% paired bootstrap confidence
interval (resampling queries, percentile method; --resamples, default 10000), the
two-sided paired t-test, a seeded two-sided paired randomisation test (--trials, default
10000; exact enumeration of all 2^n sign flips when 2^n <= trials), and the randomisation
p adjusted by Holm-Bonferroni over every comparison in the table. --seed (default 42)
seeds both resamplings.

  --identical LIST   metrics identical by construction (e.g. R@100 when re-ranking a
                     fixed top-100): no p-value, not counted as comparisons
  --json             the table as JSON (src/eval/comparison.ts)`,
  options: {
    qrels: { type: 'string' },
    metrics: { type: 'string', default: DEFAULT_METRICS },
    trials: { type: 'string' },
    resamples: { type: 'string' },
    seed: { type: 'string' },
    identical: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: true,
  async run(values, runs) {
    if (runs.length < 2) throw new UserError('give at least two runs to compare');
    const metrics = parseMetrics(str(values, 'metrics') ?? DEFAULT_METRICS);
    const identical = (str(values, 'identical') ?? '')
      .split(',')
      .filter((s) => s.trim().length > 0)
      .map((s) => metricString(parseMetric(s)));
    const qrelsPath = required(values, 'qrels');
    const qrels = await loadQrels(qrelsPath);
    const evals = [];
    for (const r of runs) evals.push(evaluate(await loadRun(r), qrels, metrics, qrelsPath));
    const table = compareTable(runs, evals, {
      trials: int(values, 'trials'),
      resamples: int(values, 'resamples'),
      seed: int(values, 'seed', 0),
      identical,
    });
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
      return;
    }
    process.stdout.write(formatComparison(table));
  },
};

const fixed = (x: number | null, digits = 4): string => (x === null ? '' : x.toFixed(digits));
const signed = (x: number | null): string => (x === null ? '' : `${x >= 0 ? '+' : ''}${x.toFixed(4)}`);

function cells(model: string, metric: string, v: MetricStats): string[] {
  const p = (x: number | null): string => (v.identicalByConstruction && v.delta !== null ? 'identical' : fixed(x));
  return [
    model,
    metric,
    fixed(v.mean),
    signed(v.delta),
    v.ci95 ? `[${signed(v.ci95[0])}, ${signed(v.ci95[1])}]` : '',
    p(v.pTTest),
    p(v.pRandomisation),
    p(v.pHolm),
  ];
}

function formatComparison(t: ComparisonTable): string {
  const rows = t.rows.flatMap((r) => t.metrics.map((m) => cells(r.model, m, r.metrics[m]!)));
  return (
    `${t.queries} queries shared by all runs; baseline ${t.baseline}; ` +
    `95% CI: paired bootstrap, ${t.bootstrap.resamples} resamples; randomisation ${t.randomisation.trials} trials; ` +
    `Holm over ${t.adjustment.comparisons} comparisons (randomisation p); seed ${t.bootstrap.seed}\n` +
    formatTable(['run', 'metric', 'mean', 'delta', '95% CI of delta', 'p (t-test)', 'p (random.)', 'p (Holm)'], rows)
  );
}
