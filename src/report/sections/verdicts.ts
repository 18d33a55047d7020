// The Verdict: "does fine-tuning have to fail?", answered from results.json's `verdicts` alone.
// Per arm (pooled folds first, then each fold), the validation-chosen and the final checkpoint:
// delta with its CI at the stated level, the four-outcome verdict at the declared margin, TOST p,
// d_z, win/tie/loss, seeds x queries, and how often step 0 (the base) won the checkpoint choice.
// Then what the design can detect. Every sentence is built from those numbers; a CI that covers
// 0 is "inconclusive" with its interval, never "no effect" or "matches".
import type { Block, Section, Table, Text } from '../document.ts';
import { cell, num } from '../document.ts';
import type { DesignRecord, StudyResults, VerdictRow } from '../schema.ts';
import { armLabel } from '../arms.ts';
import { ci, count, fixed, level, pValue, signed } from '../format.ts';

const CHECKPOINT = { chosen: 'validation-chosen', final: 'final' } as const;

/** Rows in reading order: arms as configured, pooled before the folds, chosen before final. */
export function orderedVerdicts(r: StudyResults): VerdictRow[] {
  const arms = r.config.arms.map((a) => a.name);
  const folds = ['pooled', ...r.config.folds.map((f) => f.name)];
  const rank = (xs: string[], x: string): number => (xs.includes(x) ? xs.indexOf(x) : xs.length);
  return [...r.verdicts].sort(
    (a, b) =>
      rank(arms, a.arm) - rank(arms, b.arm) ||
      rank(folds, a.fold) - rank(folds, b.fold) ||
      a.protocol.localeCompare(b.protocol) ||
      (a.checkpoint === b.checkpoint ? 0 : a.checkpoint === 'chosen' ? -1 : 1),
  );
}

/** The fold whose rows lead the answer: "pooled" when there is one, else the first fold with rows. */
export function leadingFold(r: StudyResults): string | undefined {
  return r.verdicts.some((v) => v.fold === 'pooled') ? 'pooled' : orderedVerdicts(r)[0]?.fold;
}

export function marginOf(r: StudyResults): number | undefined {
  return r.config.equivalenceMargin ?? r.design?.equivalenceMargin ?? undefined;
}

/** "p = 0.012" or "p < 0.001". */
const pIs = (p: number): string => (pValue(p).startsWith('<') ? `p < ${pValue(p).slice(1)}` : `p = ${pValue(p)}`);
const pm = (m: number | undefined): string => (m === undefined ? '±?' : `±${fixed(m)}`);

/**
 * How often the base (step 0) won the validation choice: "2 of 3 seeds", or on a pooled row
 * (a choice per seed and fold) "2 of 2 runs (1 seed x 2 folds)"; null for a final row.
 */
export function baseWins(v: VerdictRow): string | null {
  if (v.checkpoint !== 'chosen' || !v.chosenSteps) return null;
  const n = v.chosenSteps.length;
  const won = `${v.chosenSteps.filter((s) => s === 0).length} of ${n}`;
  if (n === v.seeds) return `${won} seed${n === 1 ? '' : 's'}`;
  return `${won} runs (${v.seeds} seed${v.seeds === 1 ? '' : 's'} × ${n / v.seeds} folds)`;
}

/** The verdict in words, with the interval that decides it. Inconclusive never names equivalence. */
export function verdictPhrase(v: VerdictRow, margin: number | undefined): string {
  const diff = `${level(v.alpha)} CI ${ci(v.ciDifference)}`;
  const eq = `${level(2 * v.alpha)} CI ${ci(v.ciEquivalence)}`;
  switch (v.verdict) {
    case 'better':
      return `better than the base (the ${diff} lies above 0)`;
    case 'worse':
      return `worse than the base (the ${diff} lies below 0)`;
    case 'equivalent':
      return (
        `equivalent to the base within ${pm(margin)} (the ${eq} lies inside the margin; TOST ${pIs(v.tost.p)})` +
        (v.different ? `, with a real difference smaller than the margin (the ${diff} excludes 0)` : '')
      );
    case 'inconclusive':
      return (
        `inconclusive: the ${diff} covers 0 and the ${eq} reaches beyond ${pm(margin)}, ` +
        'so this run can neither tell it from the base nor bound it within the margin'
      );
  }
}

/** A chosen row where step 0 won in every seed compares the base with itself: say so. */
export function isBaseItself(v: VerdictRow): boolean {
  return (
    v.checkpoint === 'chosen' && !!v.chosenSteps && v.chosenSteps.length > 0 && v.chosenSteps.every((s) => s === 0)
  );
}

function armSentence(r: StudyResults, v: VerdictRow): Text {
  const wins = baseWins(v);
  const itself = isBaseItself(v)
    ? ' Validation kept the base in every seed, so this row compares the base with itself: fine-tuning was not used, not shown harmless.'
    : '';
  // the base against itself passes TOST trivially: that is no verdict on fine-tuning, so none is worded
  const phrase = isBaseItself(v) ? 'no verdict (the base compared with itself)' : verdictPhrase(v, marginOf(r));
  return [
    { strong: armLabel(r, v.arm) },
    ` (${CHECKPOINT[v.checkpoint]} checkpoint, ${v.fold}, ${v.seeds} seed${v.seeds === 1 ? '' : 's'} × ${v.queries} queries): ` +
      `Δ ${v.metric} ${signed(v.delta)}, ${phrase}; ` +
      `d_z ${fixed(v.dz, 2)}; ${v.wins}/${v.ties}/${v.losses} queries won/tied/lost` +
      (wins ? `; the base (step 0) won the checkpoint choice in ${wins}.` : '.') +
      itself,
  ];
}

const names = (r: StudyResults, rows: VerdictRow[]): string => rows.map((v) => armLabel(r, v.arm)).join(', ');
const are = (rows: VerdictRow[]): string => (rows.length === 1 ? 'is' : 'are');

/** The one-paragraph answer, from the leading fold's validation-chosen rows. */
export function answer(r: StudyResults): Text {
  const fold = leadingFold(r);
  const rows = r.verdicts.filter((v) => v.fold === fold && v.checkpoint === 'chosen');
  if (rows.length === 0) return ['No validation-chosen rows in the verdict table: no answer from this run.'];
  const kept = rows.filter(isBaseItself); // the base compared with itself: no verdict on fine-tuning
  const by = (k: VerdictRow['verdict']): VerdictRow[] => rows.filter((v) => v.verdict === k && !isBaseItself(v));
  const [better, equivalent, inconclusive, worse] = [by('better'), by('equivalent'), by('inconclusive'), by('worse')];
  const m = pm(marginOf(r));
  const tally =
    `On ${fold === 'pooled' ? 'the pooled folds' : fold} at the validation-chosen checkpoint, of ${rows.length} arm${rows.length === 1 ? '' : 's'}: ` +
    `${better.length} better, ${equivalent.length} equivalent within ${m}, ${inconclusive.length} inconclusive, ${worse.length} worse` +
    `${kept.length ? `, ${kept.length} where validation kept the base in every seed` : ''}. `;
  let verdict: string;
  if (better.length > 0) verdict = `No: ${names(r, better)} ${are(better)} better than the base.`;
  else if (equivalent.length > 0)
    verdict = `Not in this run: ${names(r, equivalent)} ${are(equivalent)} equivalent to the base within ${m}, and no arm is better.`;
  else if (inconclusive.length > 0)
    verdict =
      `This run cannot tell: no arm is shown better or equivalent; ${names(r, inconclusive)} ${are(inconclusive)} ` +
      'inconclusive at this size (see what the design can detect).';
  else if (kept.length > 0)
    verdict = `Not shown either way: validation kept the base for ${names(r, kept)}, and no fine-tuned checkpoint is better or equivalent.`;
  else verdict = 'In this run, yes: every arm is worse than the base.';
  return [{ strong: 'Does fine-tuning have to fail?' }, ` ${tally}`, { strong: verdict }];
}

/** What the design can and cannot detect, in words. */
export function designText(d: DesignRecord): Text {
  const perTest = d.alpha / d.tests;
  const power = `${Math.round(d.power * 100)}%`;
  const tooWide = d.minimumMargin > d.equivalenceMargin;
  return [
    { strong: 'What this design can detect.' },
    ` ${d.queries} test queries per verdict; ${d.tests} verdicts share α = ${fixed(d.alpha, 2)} (Bonferroni: each at ${fixed(perTest, 4)}); ` +
      `per-query sd of the differences ${fixed(d.sd)} (${d.sdSource}). ` +
      `The minimum detectable effect at ${power} power after the correction is ${fixed(d.mde)} ${d.metric}: `,
    { strong: `effects smaller than ${fixed(d.mde)} ${d.metric} cannot be reliably told from zero` },
    `. The declared equivalence margin is ±${fixed(d.equivalenceMargin)}; TOST shows equivalence with ${power} power ` +
      `(when the true difference is 0) only at margins of ±${fixed(d.minimumMargin)} or wider` +
      (tooWide
        ? `, wider than the declared ±${fixed(d.equivalenceMargin)}: even an arm that truly equals the base will most likely read inconclusive here.`
        : `, so the declared ±${fixed(d.equivalenceMargin)} can be shown.`),
    ...(d.note ? [` As planned: ${d.note}.`] : []),
  ];
}

/** The table's verdict: the four outcomes, or "base kept" where validation chose step 0 in every seed. */
function verdictCell(v: VerdictRow, margin: number | undefined): string {
  if (isBaseItself(v)) return 'base kept (no fine-tuned checkpoint)';
  return v.verdict === 'equivalent' ? `equivalent within ${pm(margin)}` : v.verdict;
}

export function verdictTable(r: StudyResults): Table {
  const rows = orderedVerdicts(r);
  const metric = rows[0]?.metric ?? r.config.primaryMetric ?? '';
  const protocols = new Set(rows.map((v) => v.protocol));
  const alphas = [...new Set(rows.map((v) => v.alpha))];
  const levels =
    alphas.length === 1
      ? `${level(alphas[0]!)} (difference) and ${level(2 * alphas[0]!)} (equivalence)`
      : 'stated in each row';
  return {
    id: 'table-verdicts',
    caption: [
      { strong: 'Verdict table.' },
      ` ${metric}, each arm against the base: pooled test queries of every fold first, then each fold; ` +
        "'chosen' is the checkpoint validation chose (step 0, the base itself, is a candidate), 'final' the last step. " +
        'Δ is the mean over seeds and queries of arm − base; the CI below it is the two-level bootstrap (queries, then seeds) ' +
        `at ${levels}, Bonferroni over the table's verdicts. The verdict compares those CIs with the declared margin ` +
        `${pm(marginOf(r))} (equivalent: the equivalence CI inside it; better / worse: the difference CI excludes 0; ` +
        'inconclusive: neither); ' +
        'TOST p and the paired t p are on seed-averaged per-query differences; d_z and won/tied/lost queries on seed-averaged scores.',
    ],
    head: [
      'Arm',
      'Fold',
      'Checkpoint',
      `Δ ${metric} [CI]`,
      'Verdict',
      'TOST p',
      'p (t)',
      'd_z',
      'Won/tied/lost',
      'Seeds × queries',
      'Step 0 won',
    ],
    rows: rows.map((v) => [
      cell(armLabel(r, v.arm)),
      cell(protocols.size > 1 ? `${v.fold}, ${v.protocol}` : v.fold),
      cell(v.checkpoint),
      num(signed(v.delta), `${level(v.alpha)} ${ci(v.ciDifference)}`),
      cell(verdictCell(v, marginOf(r)), {
        note: `${level(2 * v.alpha)} ${ci(v.ciEquivalence)}`,
      }),
      num(pValue(v.tost.p)),
      num(pValue(v.pDifference)),
      num(fixed(v.dz, 2)),
      num(`${v.wins}/${v.ties}/${v.losses}`),
      num(
        `${v.seeds} × ${v.queries}`,
        v.seeds > 1 ? `per seed ${v.perSeed.map((x) => signed(x)).join(', ')}; sd ${fixed(v.seedSd)}` : undefined,
      ),
      num(
        baseWins(v) ?? '–',
        v.chosenSteps && v.checkpoint === 'chosen' ? `steps ${v.chosenSteps.map(count).join(', ')}` : undefined,
      ),
    ]),
  };
}

export function verdictsSection(r: StudyResults): Section {
  const title = 'Verdict: does fine-tuning have to fail?';
  const design: Block[] = r.design
    ? [{ kind: 'paragraph', text: designText(r.design) }]
    : [{ kind: 'paragraph', text: ['No design record: this run did not compute its minimum detectable effect.'] }];
  if (r.verdicts.length === 0)
    return {
      id: 'verdict',
      title,
      blocks: [
        {
          kind: 'paragraph',
          text: [
            'This results.json has no verdict table (written before verdicts existed, or with no trained arm): ' +
              'no arm can be called better, worse or equivalent from it. Table I below gives intervals only; ' +
              'a difference it does not detect is inconclusive, not an equivalence.',
          ],
        },
        ...(r.design ? design : []),
      ],
    };
  const fold = leadingFold(r);
  const lead = orderedVerdicts(r).filter((v) => v.fold === fold);
  return {
    id: 'verdict',
    title,
    blocks: [
      { kind: 'paragraph', text: answer(r) },
      { kind: 'list', items: lead.map((v) => armSentence(r, v)) },
      ...design,
      { kind: 'table', table: verdictTable(r) },
    ],
  };
}
