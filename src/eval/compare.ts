// Runs compared with a baseline on the queries they all share.
import { UserError } from '../errors.ts';
import type { Evaluation } from './evaluate.ts';
import { pairedTests } from './significance.ts';

export interface MetricComparison { mean: number; delta?: number; t?: number; pTTest?: number; pRandomisation?: number }
export interface Comparison {
  queries: number;
  metrics: string[];
  runs: { run: string; metrics: Record<string, MetricComparison> }[];
}

export function compareEvaluations(names: string[], evals: Evaluation[], trials = 10000, seed = 42): Comparison {
  const shared = evals[0]!.queries.filter((q) => evals.every((e) => e.perQuery.has(q)));
  if (shared.length < 2) throw new UserError(`the runs share ${shared.length} evaluated queries; need at least 2`);
  const metrics = evals[0]!.metrics;
  const column = (e: Evaluation, i: number): number[] => shared.map((q) => e.perQuery.get(q)![i]!);
  const runs = evals.map((e, r) => ({
    run: names[r]!,
    metrics: Object.fromEntries(metrics.map((m, i) => {
      const values = column(e, i);
      const mean = values.reduce((s, x) => s + x, 0) / values.length;
      if (r === 0) return [m, { mean }];
      const t = pairedTests(column(evals[0]!, i), values, trials, seed);
      return [m, { mean, delta: t.meanDelta, t: t.t, pTTest: t.pTTest, pRandomisation: t.pRandomisation }];
    })),
  }));
  return { queries: shared.length, metrics, runs };
}
