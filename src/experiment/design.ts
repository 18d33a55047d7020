// What the study's design can detect, stated before the run (the plan prints it; results.json
// `design`): the minimum detectable effect of the paired t-test at 80% power and the smallest
// equivalence margin TOST can show, both after the Bonferroni correction over the verdict
// table, from an assumed sd of per-query nDCG@10 differences. The seeds' extra variance is not
// in it: with several seeds the arm's per-query scores are averaged, so this is for one seed
// and conservative for more.
import { minimumDetectableEffect, minimumEquivalenceMargin } from '../eval/power.ts';
import type { DesignRecord } from '../report/schema.ts';
import type { Fold } from './data.ts';
import type { StudyOptions } from './options.ts';
import { PRIMARY_METRIC } from './verdicts.ts';

export const POWER = 0.8;
/** The default --assumed-sd and where it comes from. */
export const DEFAULT_ASSUMED_SD = 0.05;
const DEFAULT_SD_SOURCE =
  "assumed (--assumed-sd 0.05): the spread seen in ftlab's earlier default run, where full-hard's 95% CI " +
  'half-width 0.011 over 43 queries gives sd ~0.036 and LoRA at lr 1e-3 ~0.069';

export type DesignOptions = Pick<StudyOptions, 'arms' | 'protocols' | 'alpha' | 'equivalenceMargin' | 'assumedSd'>;

/** Judged test queries of a fold (the queries a verdict is over). */
function testQueries(f: Pick<Fold, 'test'>): number {
  return [...f.test.queries.keys()].filter((q) => (f.test.qrels.get(q)?.size ?? 0) > 0).length;
}

/** Rows of the verdict table: trained arms x checkpoints (re-ranking: chosen and final; dense: chosen) x folds (+ pooled). */
export function plannedTests(o: Pick<DesignOptions, 'arms' | 'protocols'>, folds: number, rerankable: boolean): number {
  const trained = o.arms.filter((a) => a.kind !== 'base').length;
  const checkpoints = (rerankable && o.protocols.includes('rerank') ? 2 : 0) + (o.protocols.includes('dense') ? 1 : 0);
  return trained * checkpoints * (folds > 1 ? folds + 1 : folds);
}

export function studyDesign(o: DesignOptions, folds: readonly Pick<Fold, 'test' | 'testRun'>[]): DesignRecord | null {
  const tests = plannedTests(
    o,
    folds.length,
    folds.every((f) => f.testRun !== null),
  );
  const queries = folds.reduce((s, f) => s + testQueries(f), 0);
  if (tests === 0 || queries < 2) return null;
  const design = { sd: o.assumedSd, n: queries, alpha: o.alpha, tests, power: POWER };
  const mde = minimumDetectableEffect(design);
  const minimumMargin = minimumEquivalenceMargin(design);
  const unit =
    folds.length > 1 ? `the ${queries} test queries of ${folds.length} folds pooled` : `${queries} test queries`;
  const perFold =
    folds.length > 1
      ? `; a single fold's rows (${folds.map(testQueries).join(', ')} queries) detect less: MDE ` +
        folds.map((f) => minimumDetectableEffect({ ...design, n: testQueries(f) }).toFixed(3)).join(', ')
      : '';
  return {
    metric: PRIMARY_METRIC,
    queries,
    tests,
    alpha: o.alpha,
    power: POWER,
    sd: o.assumedSd,
    sdSource: o.assumedSd === DEFAULT_ASSUMED_SD ? DEFAULT_SD_SOURCE : `assumed (--assumed-sd ${o.assumedSd})`,
    mde,
    equivalenceMargin: o.equivalenceMargin,
    minimumMargin,
    note:
      `over ${unit}, ${tests} verdicts sharing alpha ${o.alpha} (Bonferroni: ${(o.alpha / tests).toPrecision(2)} each), ` +
      `${POWER * 100}% power, one seed (more seeds average the arm's scores: the MDE is then smaller)${perFold}` +
      (minimumMargin > o.equivalenceMargin
        ? `; the declared margin ${o.equivalenceMargin} is below what TOST can show (${minimumMargin.toFixed(3)}): ` +
          'expect inconclusive rather than equivalent verdicts'
        : ''),
  };
}

/** The plan's lines for the design. */
export function formatDesign(d: DesignRecord | null): string[] {
  if (!d) return [];
  return [
    `  design: ${d.metric}, margin ±${d.equivalenceMargin} declared; MDE ${d.mde.toFixed(3)} at ${d.power * 100}% power ` +
      `and smallest TOST margin ${d.minimumMargin.toFixed(3)} (sd ${d.sd} ${d.sdSource.startsWith('assumed') ? 'assumed' : ''})`,
    `    ${d.note}`,
  ];
}
