// The fixture's inference sections, computed, not typed in: per-query scores drawn from a
// seeded PRNG and passed through the library (armVerdict for verdict rows and dose CIs,
// minimumDetectableEffect for the design, negativesProfile for the negatives), so the report is
// checked against numbers the study's own code makes. Designed so every verdict occurs:
// full-hard better, full-random worse at its final step and equivalent where step 0 mostly
// won, lora-hard inconclusive (a large spread around a small effect).
import { Random } from '../../src/data/random.ts';
import { armVerdict, type ArmScores } from '../../src/analysis/arm-verdict.ts';
import { negativesProfile, type NegativeObservation } from '../../src/analysis/negatives-profile.ts';
import { minimumDetectableEffect, minimumEquivalenceMargin } from '../../src/eval/power.ts';
import type { DesignRecord, NegativesRecord, SweepRecord, VerdictRow } from '../../src/report/schema.ts';

export const MARGIN = 0.02;
export const ALPHA = 0.05;
export const SEEDS = [1, 2, 3];
const RESAMPLES = 2000; // fewer than a study's 10,000: the fixture is built by many tests
const METRIC = 'nDCG@10';

/** A checkpoint's recipe: true effect, per-query spread, and the step each seed's validation chose. */
interface Recipe {
  effect: number;
  sd: number;
  steps: number[]; // per seed; 0 = the base won, the arm scores equal the base's
}

export const RECIPES: Record<string, { chosen: Recipe; final: Recipe }> = {
  'full-hard': {
    chosen: { effect: 0.05, sd: 0.06, steps: [150, 200, 150] },
    final: { effect: 0.06, sd: 0.07, steps: [] },
  },
  'full-random': {
    chosen: { effect: -0.004, sd: 0.02, steps: [0, 0, 50] },
    final: { effect: -0.07, sd: 0.08, steps: [] },
  },
  'lora-hard': {
    chosen: { effect: 0.01, sd: 0.16, steps: [0, 100, 200] },
    final: { effect: 0.01, sd: 0.17, steps: [] },
  },
};
const FINAL_STEP = 200;

function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

interface FoldScores {
  fold: string;
  queries: string[];
  base: number[];
  arms: Record<string, Record<'chosen' | 'final', number[][]>>; // [seed][query]
}

/** One fold's scores: a shared per-query effect (what the arm learnt) plus a smaller per-seed noise. */
function foldScores(rng: Random, fold: string, test: string, n: number, scale = 1): FoldScores {
  const queries = Array.from({ length: n }, (_, i) => `${test}-q${i + 1}`);
  const base = queries.map(() => 0.15 + 0.8 * rng.next());
  const arms: FoldScores['arms'] = {};
  for (const [arm, r] of Object.entries(RECIPES)) {
    const draw = (c: Recipe): number[][] => {
      const shared = base.map(() => scale * c.effect + c.sd * normal(rng));
      return SEEDS.map((_, s) =>
        c.steps[s] === 0 ? [...base] : base.map((b, q) => clamp01(b + shared[q]! + (c.sd / 3) * normal(rng))),
      );
    };
    arms[arm] = { chosen: draw(r.chosen), final: draw(r.final) };
  }
  return { fold, queries, base, arms };
}

function pooled(folds: FoldScores[]): FoldScores {
  const arms: FoldScores['arms'] = {};
  for (const arm of Object.keys(RECIPES)) {
    const join = (c: 'chosen' | 'final'): number[][] => SEEDS.map((_, s) => folds.flatMap((f) => f.arms[arm]![c][s]!));
    arms[arm] = { chosen: join('chosen'), final: join('final') };
  }
  return { fold: 'pooled', queries: folds.flatMap((f) => f.queries), base: folds.flatMap((f) => f.base), arms };
}

function row(f: FoldScores, arm: string, checkpoint: 'chosen' | 'final', tests: number): VerdictRow {
  const scores: ArmScores = { queries: f.queries, base: f.base, arm: f.arms[arm]![checkpoint] };
  const v = armVerdict(scores, { margin: MARGIN, alpha: ALPHA, tests, resamples: RESAMPLES, seed: 42 });
  const steps = checkpoint === 'chosen' ? RECIPES[arm]!.chosen.steps : SEEDS.map(() => FINAL_STEP);
  return { fold: f.fold, protocol: 'rerank', arm, checkpoint, metric: METRIC, ...v, chosenSteps: steps };
}

export interface Inference {
  verdicts: VerdictRow[];
  design: DesignRecord;
  doseDelta: (
    fold: string,
    arm: string,
    fraction: number,
  ) => Pick<VerdictRow, 'delta' | 'ciDifference' | 'pDifference'>;
}

/** Verdict rows (pooled first, then each fold; chosen and final per arm) and the design that bounds them. */
export function inference(seed: number, folds: { name: string; test: string }[], sizes: number[]): Inference {
  const rng = new Random(seed * 1009 + 17);
  const perFold = folds.map((f, i) => foldScores(rng, f.name, f.test, sizes[i]!));
  const all = [pooled(perFold), ...perFold];
  const tests = Object.keys(RECIPES).length * 2; // one table's verdicts share alpha
  const verdicts = all.flatMap((f) =>
    Object.keys(RECIPES).flatMap((arm) => [row(f, arm, 'chosen', tests), row(f, arm, 'final', tests)]),
  );
  const pilot = verdicts.find((v) => v.fold === 'pooled' && v.arm === 'lora-hard' && v.checkpoint === 'final')!;
  const d = pilot.perQuery.map((q) => q.arm - q.base);
  const m = d.reduce((a, x) => a + x, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / (d.length - 1));
  const n = all[0]!.queries.length;
  const design: DesignRecord = {
    metric: METRIC,
    queries: n,
    tests,
    alpha: ALPHA,
    power: 0.8,
    sd,
    sdSource: 'FIXTURE: sd of a seeded arm’s per-query differences',
    mde: minimumDetectableEffect({ sd, n, alpha: ALPHA, tests, power: 0.8 }),
    equivalenceMargin: MARGIN,
    minimumMargin: minimumEquivalenceMargin({ sd, n, alpha: ALPHA, tests, power: 0.8 }),
    note: 'Bonferroni over the table’s verdicts; exact power of the paired t-test and of TOST.',
  };
  const doseDelta: Inference['doseDelta'] = (fold, arm, fraction) => {
    const f = perFold.find((x) => x.fold === fold)!;
    const scaled = f.arms[arm]!.final.map((s) => s.map((x, q) => f.base[q]! + fraction * (x - f.base[q]!)));
    const v = armVerdict(
      { queries: f.queries, base: f.base, arm: scaled },
      { margin: MARGIN, alpha: ALPHA, tests, resamples: RESAMPLES },
    );
    return { delta: v.delta, ciDifference: v.ciDifference, pDifference: v.pDifference };
  };
  return { verdicts, design, doseDelta };
}

/** Random negatives: low base-model scores, mostly outside BM25's top 1000; hard: BM25's top 30, near the positive. */
export function negatives(seed: number, folds: { name: string }[]): NegativesRecord[] {
  const rng = new Random(seed * 31 + 5);
  return folds.flatMap((f) => {
    const random: NegativeObservation[] = Array.from({ length: 300 }, () => ({
      negativeScore: 0.05 + 0.08 * normal(rng),
      bm25Rank: rng.next() < 0.1 ? 1 + rng.int(1000) : null,
    }));
    const hard: NegativeObservation[] = Array.from({ length: 300 }, () => ({
      negativeScore: 0.45 + 0.12 * normal(rng),
      positiveScore: 0.6 + 0.1 * normal(rng),
      bm25Rank: 1 + rng.int(30),
    }));
    return [
      { fold: f.name, kind: 'random' as const, ...negativesProfile(random) },
      { fold: f.name, kind: 'hard' as const, ...negativesProfile(hard) },
    ];
  });
}

/** Learning rates tried per arm, each scored on validation; the choice is the best score. */
export function sweeps(seed: number, folds: { name: string }[]): SweepRecord[] {
  const rng = new Random(seed * 7 + 3);
  const tried: Record<string, { parameter: string; values: number[] }> = {
    'full-hard': { parameter: 'lr', values: [1e-5, 2e-5, 5e-5] },
    'lora-hard': { parameter: 'lr', values: [1e-4, 2e-4, 1e-3] },
  };
  return folds.flatMap((f) =>
    Object.entries(tried).map(([arm, t]) => {
      const scores = t.values.map(() => 0.5 + 0.15 * rng.next());
      const best = scores.indexOf(Math.max(...scores));
      return {
        fold: f.name,
        arm,
        parameter: t.parameter,
        metric: METRIC,
        values: t.values,
        scores,
        chosen: t.values[best]!,
      };
    }),
  );
}
