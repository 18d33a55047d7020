// How a delta to the base in Table I reads: above or below only when the 95% CI excludes 0
// and the Holm-adjusted p is below alpha. A CI covering 0 is "not detected": the data cannot
// tell the arm from the base, which is never "no difference" (that needs an equivalence test
// at a declared margin: the verdict table, sections/verdicts.ts).
import type { MetricStats } from '../eval/comparison.ts';

export type Verdict = 'above' | 'below' | 'identical' | 'not-detected' | 'not-significant-after-adjustment';

export function verdict(s: MetricStats, alpha = 0.05): Verdict {
  if (s.identicalByConstruction) return 'identical';
  if (!s.ci95) return 'not-detected';
  const [lo, hi] = s.ci95;
  if (lo <= 0 && hi >= 0) return 'not-detected';
  if (s.pHolm !== null && s.pHolm >= alpha) return 'not-significant-after-adjustment';
  return lo > 0 ? 'above' : 'below';
}
