// The shape of a comparison table: models against a baseline on the same queries, per
// metric, with paired statistics (issue: honest statistics). Built by compare.ts; the
// study stores it in results.json and the report draws it.

export interface MetricStats {
  mean: number;
  /** mean(model - baseline) over the shared queries; null on the baseline's row. */
  delta: number | null;
  /** 95% paired bootstrap CI of the delta (by query, seeded); null on the baseline's row. */
  ci95: [number, number] | null;
  /** Two-sided paired t-test and randomisation (sign-flip) test; null on the baseline's row or when identical by construction. */
  pTTest: number | null;
  pRandomisation: number | null;
  /** Holm-Bonferroni adjusted randomisation p over all comparisons in the table. */
  pHolm: number | null;
  /** True when the metric cannot differ by construction (re-ranking a fixed top-100 leaves R@100 unchanged): no p-value. */
  identicalByConstruction: boolean;
}

export interface ComparisonRow {
  model: string;
  metrics: Record<string, MetricStats>; // keyed by canonical metric string
}

export interface ComparisonTable {
  baseline: string;
  queries: number; // shared evaluated queries
  metrics: string[];
  rows: ComparisonRow[]; // baseline first
  bootstrap: { resamples: number; seed: number; level: 0.95 };
  randomisation: { trials: number; seed: number };
  adjustment: { method: 'holm'; comparisons: number };
}
