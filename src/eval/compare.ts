// Models compared with a baseline on the queries they all share. compareTable gives, per
// model and metric: mean, delta to the baseline, a 95% paired bootstrap CI of the delta
// (by query, seeded, percentile method: bootstrap.ts), the two-sided paired t-test and
// randomisation-test p-values, and the randomisation p adjusted by Holm-Bonferroni over all
// comparisons in the table (every model x metric pair that has a p-value). A metric declared
// identical by construction gets no p-value and does not count as a comparison.
import { UserError } from '../errors.ts';
import type { Evaluation } from './evaluate.ts';
import type { ComparisonTable, MetricStats } from './comparison.ts';
import { bootstrapCI } from './bootstrap.ts';
import { holmAdjust } from './holm.ts';
import { pairedRandomisation, pairedTTest } from './significance.ts';

export interface CompareOptions {
  resamples?: number; // bootstrap resamples, default 10,000
  trials?: number; // randomisation trials, default 10,000
  seed?: number; // default 42
  identical?: string[]; // metric strings identical by construction: no p-value
}

interface Shared {
  queries: string[];
  metrics: string[];
  column: (e: Evaluation, i: number) => number[];
}

function sharedQueries(evals: Evaluation[]): Shared {
  if (evals.length === 0) throw new UserError('nothing to compare');
  const queries = evals[0]!.queries.filter((q) => evals.every((e) => e.perQuery.has(q)));
  if (queries.length < 2) throw new UserError(`the runs share ${queries.length} evaluated queries; need at least 2`);
  const metrics = evals[0]!.metrics;
  for (const e of evals) {
    if (e.metrics.join(',') !== metrics.join(','))
      throw new Error(`evaluations differ in metrics: ${e.metrics.join(',')} vs ${metrics.join(',')}`);
  }
  return { queries, metrics, column: (e, i) => queries.map((q) => e.perQuery.get(q)![i]!) };
}

const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / v.length;

export function compareTable(names: string[], evals: Evaluation[], o: CompareOptions = {}): ComparisonTable {
  if (names.length !== evals.length) throw new Error(`${names.length} names for ${evals.length} evaluations`);
  const { queries, metrics, column } = sharedQueries(evals);
  const resamples = o.resamples ?? 10_000;
  const trials = o.trials ?? 10_000;
  const seed = o.seed ?? 42;
  const identical = new Set(o.identical ?? []);
  for (const m of identical)
    if (!metrics.includes(m))
      throw new UserError(`identical metric '${m}' is not among the compared metrics (${metrics.join(', ')})`);
  const base = metrics.map((_, i) => column(evals[0]!, i));
  const tested: MetricStats[] = [];
  const rows = evals.map((e, r) => ({
    model: names[r]!,
    metrics: Object.fromEntries(
      metrics.map((m, i): [string, MetricStats] => {
        const values = column(e, i);
        const byConstruction = identical.has(m);
        if (r === 0)
          return [
            m,
            {
              mean: mean(values),
              delta: null,
              ci95: null,
              pTTest: null,
              pRandomisation: null,
              pHolm: null,
              identicalByConstruction: byConstruction,
            },
          ];
        const d = values.map((x, q) => x - base[i]![q]!);
        if (byConstruction && d.some((x) => x !== 0))
          throw new UserError(
            `${m} is declared identical by construction but ${names[r]} differs from ${names[0]} on it`,
          );
        const stats: MetricStats = {
          mean: mean(values),
          delta: mean(d),
          ci95: bootstrapCI(d, { resamples, seed }),
          pTTest: byConstruction ? null : pairedTTest(base[i]!, values).p,
          pRandomisation: byConstruction ? null : pairedRandomisation(base[i]!, values, trials, seed),
          pHolm: null,
          identicalByConstruction: byConstruction,
        };
        if (!byConstruction) tested.push(stats);
        return [m, stats];
      }),
    ),
  }));
  holmAdjust(tested.map((s) => s.pRandomisation!)).forEach((p, k) => (tested[k]!.pHolm = p));
  return {
    baseline: names[0]!,
    queries: queries.length,
    metrics,
    rows,
    bootstrap: { resamples, seed, level: 0.95 },
    randomisation: { trials, seed },
    adjustment: { method: 'holm', comparisons: tested.length },
  };
}
