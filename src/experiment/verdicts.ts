// The study's inference on the primary metric (nDCG@10): the verdict table (every trained arm
// against the base, at its validation-chosen checkpoint and at its last step, per fold and
// pooled over folds) and the dose points' deltas, both through analysis/arm-verdict.ts
// (two-level bootstrap over queries and seeds, Bonferroni over the table, paired t / TOST on
// the seed-averaged per-query differences).
// Pooled: every fold's test queries together (ids prefixed by the fold), each seed's scores
// concatenated over folds, the base's likewise.
import { armVerdict, type ArmScores } from '../analysis/arm-verdict.ts';
import type { DosePoint, VerdictRow } from '../report/schema.ts';
import { means, type StoredEvaluation } from './evaluation.ts';
import { doseSteps, type ArmOutcome, type DoseEvaluation, type FoldOutcome } from './fold-study.ts';
import type { Precision } from '../engine/index.ts';
import type { StudyOptions } from './options.ts';

/** The metric verdicts and dose deltas are given on. */
export const PRIMARY_METRIC = 'nDCG@10';

export type VerdictOptions = Pick<StudyOptions, 'equivalenceMargin' | 'alpha' | 'seed' | 'dose' | 'precision'>;

/** One arm against the base, before the statistics. */
interface Comparison {
  fold: string;
  protocol: 'rerank' | 'dense';
  arm: string;
  checkpoint: 'chosen' | 'final';
  scores: ArmScores;
  chosenSteps?: number[];
}

/** The primary metric's per-query scores: the base's, and each seed's of the arm, over the base's queries. */
export function armScores(base: StoredEvaluation, seeds: readonly StoredEvaluation[], prefix = ''): ArmScores {
  const m = base.metrics.indexOf(PRIMARY_METRIC);
  if (m < 0) throw new Error(`the evaluations have no ${PRIMARY_METRIC}`);
  const value = (e: StoredEvaluation, q: string): number => {
    const v = e.perQuery[q]?.[e.metrics.indexOf(PRIMARY_METRIC)];
    if (v === undefined) throw new Error(`query ${q} has no ${PRIMARY_METRIC} in an arm's evaluation`);
    return v;
  };
  return {
    queries: base.queries.map((q) => prefix + q),
    base: base.queries.map((q) => value(base, q)),
    arm: seeds.map((e) => base.queries.map((q) => value(e, q))),
  };
}

/** Every fold's arms against its base: re-ranking at the chosen checkpoint and the last step; dense chosen only. */
function foldComparisons(f: FoldOutcome): Comparison[] {
  const base = f.arms[0]!;
  const names = [...new Set(f.arms.filter((a) => a.record).map((a) => a.arm.name))];
  const out: Comparison[] = [];
  for (const arm of names) {
    const units = f.arms.filter((a) => a.arm.name === arm);
    const chosenSteps = units.map((a) => a.record!.chosen?.step ?? a.record!.config.maxSteps ?? 0);
    const common = { fold: f.fold.name, arm, chosenSteps };
    if (base.rerank && units.every((a) => a.rerank)) {
      for (const checkpoint of ['chosen', 'final'] as const) {
        const scores = armScores(
          base.rerank.chosen,
          units.map((a) => a.rerank![checkpoint]),
        );
        out.push({ ...common, protocol: 'rerank', checkpoint, scores });
      }
    }
    if (base.dense && units.every((a) => a.dense)) {
      const scores = armScores(
        base.dense,
        units.map((a) => a.dense!),
      );
      out.push({ ...common, protocol: 'dense', checkpoint: 'chosen', scores });
    }
  }
  return out;
}

/** One comparison per (protocol, arm, checkpoint) over every fold's queries together. */
export function pooled(per: readonly Comparison[]): Comparison[] {
  const groups = new Map<string, Comparison[]>();
  for (const c of per) {
    const k = `${c.protocol}\u0000${c.arm}\u0000${c.checkpoint}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].map((g) => ({
    fold: 'pooled',
    protocol: g[0]!.protocol,
    arm: g[0]!.arm,
    checkpoint: g[0]!.checkpoint,
    scores: {
      queries: g.flatMap((c) => c.scores.queries.map((q) => `${c.fold}:${q}`)),
      base: g.flatMap((c) => [...c.scores.base]),
      arm: g[0]!.scores.arm.map((_, k) => g.flatMap((c) => [...c.scores.arm[k]!])),
    },
    chosenSteps: g.flatMap((c) => c.chosenSteps ?? []),
  }));
}

/** The verdict table: per fold, and pooled when there are several; tests = its rows (Bonferroni). */
export function verdictRows(folds: readonly FoldOutcome[], o: VerdictOptions): VerdictRow[] {
  const per = folds.flatMap(foldComparisons);
  const all = folds.length > 1 ? [...per, ...pooled(per)] : per;
  return all.map((c) => {
    const v = armVerdict(c.scores, { margin: o.equivalenceMargin, alpha: o.alpha, tests: all.length, seed: o.seed });
    const row = { fold: c.fold, protocol: c.protocol, arm: c.arm, checkpoint: c.checkpoint, metric: PRIMARY_METRIC };
    return { ...row, ...v, ...(c.chosenSteps ? { chosenSteps: c.chosenSteps } : {}) };
  });
}

/** A dose point before its statistics: the arm's seeds' evaluations at one step. */
interface DoseCell {
  fold: string;
  arm: string;
  fraction: number;
  step: number;
  base: StoredEvaluation;
  seeds: StoredEvaluation[];
  /** What the point's encodes ran in: the base and the final step in --precision, training's snapshots in fp32. */
  precision: Precision;
}

function doseCells(f: FoldOutcome, o: VerdictOptions): DoseCell[] {
  const base = f.arms[0]!.rerank?.chosen;
  if (!base) return [];
  const names = [...new Set(f.arms.filter((a) => a.record).map((a) => a.arm.name))];
  return names.flatMap((arm) => {
    const units = f.arms.filter((a) => a.arm.name === arm);
    // a unit's steps are its own (epochs over its seed's triples)
    const at = (a: ArmOutcome, fraction: number): number => doseSteps([fraction], a.record!.config.maxSteps!)[0]!.step;
    return o.dose.flatMap((fraction) => {
      const step = at(units[0]!, fraction);
      const points = units.map((a) =>
        step === 0 ? { evaluation: base, precision: o.precision } : snapshot(a, at(a, fraction)),
      );
      // the points a unit snapshot: every seed's last step, the first seed's earlier ones
      const have = points.filter((p) => p !== null);
      if (have.length === 0) return [];
      const seeds = have.map((p) => p.evaluation);
      return [{ fold: f.fold.name, arm, fraction, step, base, seeds, precision: have[0]!.precision }];
    });
  });
}

function snapshot(a: ArmOutcome, step: number): DoseEvaluation | null {
  return a.dose.find((d) => d.step === step) ?? null;
}

/**
 * Dose points: test means over seeds; past step 0, the primary metric's delta to the base,
 * its CI (two-level bootstrap at 1 - alpha / tests, tests = the trained dose points) and the
 * paired t p on the seed-averaged per-query differences.
 */
export function dosePoints(folds: readonly FoldOutcome[], o: VerdictOptions): DosePoint[] {
  const cells = folds.flatMap((f) => doseCells(f, o));
  const tests = Math.max(1, cells.filter((c) => c.step > 0 && c.precision === o.precision).length);
  return cells.map((c) => {
    const metrics = averagedMeans(c.seeds);
    const point = {
      ...{ fold: c.fold, arm: c.arm, fraction: c.fraction, step: c.step },
      ...{ metrics, seeds: c.seeds.length, precision: c.precision },
    };
    // a training snapshot in fp32 against a base encoded in --precision would count the
    // precision's own effect as fine-tuning's: such points keep their means, without a delta
    if (c.step === 0 || c.precision !== o.precision) return point;
    const v = armVerdict(armScores(c.base, c.seeds), {
      margin: o.equivalenceMargin,
      alpha: o.alpha,
      tests,
      seed: o.seed,
    });
    return {
      ...point,
      delta: v.delta,
      ci: v.ciDifference,
      ...(Number.isFinite(v.pDifference) ? { p: v.pDifference } : {}),
    };
  });
}

function averagedMeans(evals: readonly StoredEvaluation[]): Record<string, number> {
  const all = evals.map(means);
  return Object.fromEntries(Object.keys(all[0]!).map((m) => [m, all.reduce((s, e) => s + e[m]!, 0) / all.length]));
}
