// One arm against the base on one metric, over seeds and queries: the row of the study's
// verdict table. The arm was trained with S seeds, each scored on the same Q test queries as
// the base (scores[seed][query]; the base is deterministic: one row).
//
// - delta: mean over seeds and queries of arm - base.
// - CIs: the two-level bootstrap (eval/seed-bootstrap.ts: queries resampled, the same draw for
//   every seed, then seeds), at 1 - alpha' (difference) and 1 - 2 alpha' (equivalence), where
//   alpha' = alpha / tests (Bonferroni over the table's verdicts: simultaneous intervals).
// - verdict: the four outcomes (eval/equivalence.ts `verdict`) from those two intervals at the
//   declared margin; never "matches" from a non-significant difference.
// - TOST and the paired t-test: on the seed-averaged per-query differences (the seeds' noise
//   averaged out, queries the unit), reported beside the bootstrap verdict.
// - d_z and win/tie/loss: on the seed-averaged per-query scores.
import { cohensDz, winTieLoss } from '../eval/effect-size.ts';
import { equivalenceTest, verdict, type Verdict } from '../eval/equivalence.ts';
import { seedBootstrapCI, seedSummary } from '../eval/seed-bootstrap.ts';

export interface ArmScores {
  queries: readonly string[]; // the shared query order
  base: readonly number[]; // [Q]
  arm: readonly (readonly number[])[]; // [S][Q]
}

export interface VerdictOptions {
  margin: number; // declared before the run
  alpha?: number; // family-wise, default 0.05
  tests?: number; // verdicts sharing alpha (Bonferroni), default 1
  resamples?: number; // bootstrap resamples, default 10,000
  seed?: number; // bootstrap RNG seed, default 42
}

export interface ArmVerdict {
  seeds: number;
  queries: number;
  baseMean: number;
  armMean: number;
  delta: number;
  perSeed: number[]; // each seed's mean delta
  seedSd: number | null;
  alpha: number; // per-verdict alpha' = alpha / tests
  ciDifference: [number, number]; // level 1 - alpha'
  ciEquivalence: [number, number]; // level 1 - 2 alpha'
  ciMethod: string;
  tost: { p: number; pLower: number; pUpper: number };
  pDifference: number; // two-sided paired t on the seed-averaged differences
  verdict: Verdict;
  equivalent: boolean;
  different: boolean;
  dz: number | null; // null when undefined (one query or no spread)
  wins: number;
  ties: number;
  losses: number;
  perQuery: { qid: string; base: number; arm: number }[]; // arm: mean over seeds
}

const mean = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;

function checkedScores(s: ArmScores): void {
  const q = s.queries.length;
  if (q < 2) throw new Error(`a verdict needs at least 2 queries, got ${q}`);
  if (s.base.length !== q) throw new Error(`base has ${s.base.length} scores for ${q} queries`);
  if (s.arm.length === 0) throw new Error('a verdict needs at least one seed');
  s.arm.forEach((row, i) => {
    if (row.length !== q) throw new Error(`seed ${i} has ${row.length} scores for ${q} queries`);
  });
}

export function armVerdict(s: ArmScores, o: VerdictOptions): ArmVerdict {
  checkedScores(s);
  const alpha = (o.alpha ?? 0.05) / (o.tests ?? 1);
  const deltas = s.arm.map((row) => row.map((x, i) => x - s.base[i]!)); // [S][Q]
  const boot = { resamples: o.resamples ?? 10_000, seed: o.seed ?? 42 };
  const ciDifference = seedBootstrapCI(deltas, { ...boot, level: 1 - alpha });
  const ciEquivalence = seedBootstrapCI(deltas, { ...boot, level: 1 - 2 * alpha });
  const v = verdict({ equivalence: ciEquivalence, difference: ciDifference }, o.margin);
  const armMeans = s.queries.map((_, i) => mean(s.arm.map((row) => row[i]!))); // [Q] over seeds
  const t = equivalenceTest(s.base, armMeans, { margin: o.margin, alpha });
  const spread = seedSummary(deltas);
  const dz = cohensDz(s.base, armMeans);
  return {
    seeds: s.arm.length,
    queries: s.queries.length,
    baseMean: mean(s.base),
    armMean: mean(armMeans),
    delta: spread.mean,
    perSeed: spread.perSeed,
    seedSd: spread.sd,
    alpha,
    ciDifference,
    ciEquivalence,
    ciMethod:
      s.arm.length > 1
        ? `two-level percentile bootstrap over ${s.queries.length} queries and ${s.arm.length} seeds (${boot.resamples} resamples)`
        : `paired percentile bootstrap over ${s.queries.length} queries (${boot.resamples} resamples; one seed)`,
    tost: { p: t.tost.p, pLower: t.tost.lower.p, pUpper: t.tost.upper.p },
    pDifference: t.difference.p,
    ...v,
    dz: Number.isFinite(dz) ? dz : null,
    ...winTieLoss(s.base, armMeans),
    perQuery: s.queries.map((qid, i) => ({ qid, base: s.base[i]!, arm: armMeans[i]! })),
  };
}
