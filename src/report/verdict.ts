// How a delta to the base reads: above or below only when the 95% CI excludes 0 and the
// Holm-adjusted p is below alpha; a CI covering 0 is always "no difference".
import type { MetricStats } from '../eval/comparison.ts';

export type Verdict = 'above' | 'below' | 'no-difference' | 'not-significant-after-adjustment';

export function verdict(s: MetricStats, alpha = 0.05): Verdict {
  if (!s.ci95 || s.identicalByConstruction) return 'no-difference';
  const [lo, hi] = s.ci95;
  if (lo <= 0 && hi >= 0) return 'no-difference';
  if (s.pHolm !== null && s.pHolm >= alpha) return 'not-significant-after-adjustment';
  return lo > 0 ? 'above' : 'below';
}
