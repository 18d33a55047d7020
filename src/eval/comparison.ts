// The shape of a comparison table: models against a baseline on the same queries, per
// metric, with paired statistics (issue: honest statistics). Built by compare.ts; the
// study stores it in results.json and the report draws it. One zod schema gives the types
// and the check that src/report runs on results.json.
import { z } from 'zod';

const nullableNumber = z.number().nullable();

export const MetricStatsSchema = z.object({
  mean: z.number(),
  /** mean(model - baseline) over the shared queries; null on the baseline's row. */
  delta: nullableNumber,
  /** 95% paired bootstrap CI of the delta (by query, seeded); null on the baseline's row. */
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  /** Two-sided paired t-test and randomisation (sign-flip) test; null on the baseline's row or when identical by construction. */
  pTTest: nullableNumber,
  pRandomisation: nullableNumber,
  /** Holm-Bonferroni adjusted randomisation p over all comparisons in the table. */
  pHolm: nullableNumber,
  /** True when the metric cannot differ by construction (re-ranking a fixed top-100 leaves R@100 unchanged): no p-value. */
  identicalByConstruction: z.boolean(),
});
export type MetricStats = z.infer<typeof MetricStatsSchema>;

export const ComparisonRowSchema = z.object({
  model: z.string(),
  metrics: z.record(z.string(), MetricStatsSchema), // keyed by canonical metric string
});
export type ComparisonRow = z.infer<typeof ComparisonRowSchema>;

export const ComparisonTableSchema = z.object({
  baseline: z.string(),
  queries: z.number(), // shared evaluated queries
  metrics: z.array(z.string()),
  rows: z.array(ComparisonRowSchema), // baseline first
  bootstrap: z.object({ resamples: z.number(), seed: z.number(), level: z.literal(0.95) }),
  randomisation: z.object({ trials: z.number(), seed: z.number() }),
  adjustment: z.object({ method: z.literal('holm'), comparisons: z.number() }),
});
export type ComparisonTable = z.infer<typeof ComparisonTableSchema>;
