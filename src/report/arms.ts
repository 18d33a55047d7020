// Names a reader sees: the arm's label from the study config when there is one.
import type { StudyResults } from './schema.ts';
import type { ComparisonTable } from '../eval/comparison.ts';

export function armLabel(results: StudyResults, name: string): string {
  return results.config.arms.find((a) => a.name === name)?.label ?? name;
}

/** The metric the summary leads with: nDCG@10 when the table has it, else its first metric. */
export function primaryMetric(table: Pick<ComparisonTable, 'metrics'>): string | undefined {
  return table.metrics.includes('nDCG@10') ? 'nDCG@10' : table.metrics[0];
}
