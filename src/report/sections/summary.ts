// The opening paragraph, written from the numbers: for each retrieval section, which arms
// beat or fell below the base on its primary metric, by how much, with the 95% CI and the
// Holm-adjusted p. An interval that covers 0 reads "not detected (inconclusive)": never
// "no difference", which only an equivalence test can show (the Verdict section).
import type { Block, Section, Text } from '../document.ts';
import type { StudyResults, RetrievalSection } from '../schema.ts';
import type { MetricStats } from '../../eval/comparison.ts';
import { armLabel, primaryMetric } from '../arms.ts';
import { ci, fixed, pValue, signed } from '../format.ts';
import { verdict, type Verdict } from '../verdict.ts';
import { isBaseItself } from './verdicts.ts';

function stats(s: MetricStats, base: number): string {
  return `Δ ${signed(s.delta)} (${fixed(s.mean)} vs ${fixed(base)}; 95% CI ${ci(s.ci95)}, Holm-adjusted p = ${pValue(s.pHolm)})`;
}

/** The arm's validation-chosen verdict row for this section, when validation kept the base (step 0) in every seed. */
function keptBase(results: StudyResults, r: RetrievalSection, arm: string): boolean {
  const row = results.verdicts.find(
    (v) => v.arm === arm && v.fold === r.fold && v.protocol === r.protocol && v.checkpoint === 'chosen',
  );
  return row !== undefined && isBaseItself(row);
}

function armSentence(label: string, metric: string, s: MetricStats, base: number, kept: boolean): Text {
  if (kept)
    return [
      { strong: label },
      ` is the base itself here: validation chose step 0 (no fine-tuned checkpoint) in every seed, so Δ ${signed(s.delta ?? 0)} by construction; its final model is in the Verdict section.`,
    ];
  const v = verdict(s);
  const what =
    v === 'above'
      ? ` beat the base on ${metric}: `
      : v === 'below'
        ? ` fell below the base on ${metric}: `
        : v === 'identical'
          ? ` is identical to the base by construction on ${metric}: `
          : v === 'not-detected'
            ? ` was not detected as different from the base on ${metric} (inconclusive: the CI covers 0): `
            : ` differed from the base on ${metric} but not significantly after Holm adjustment (inconclusive): `;
  return [{ strong: label }, what, `${stats(s, base)}.`];
}

function describeSection(r: RetrievalSection): string {
  const n = `${r.table.queries} queries`;
  return r.description.includes(n) ? r.description : `${r.description} (${n})`;
}

/** One paragraph (the tally) and one list item per arm, for a retrieval section. */
function sectionBlocks(results: StudyResults, r: RetrievalSection): Block[] {
  const metric = primaryMetric(r.table);
  const baseRow = r.table.rows.find((row) => row.model === r.table.baseline) ?? r.table.rows[0];
  const head: Text = [{ strong: `${r.fold}, ${r.protocol}` }, ` — ${describeSection(r)}. `];
  if (!metric || !baseRow?.metrics[metric])
    return [{ kind: 'paragraph', text: [...head, 'No primary metric in this table.'] }];
  const base = baseRow.metrics[metric]!.mean;
  const arms = r.table.rows.filter((row) => row !== baseRow && row.metrics[metric]);
  const kept = arms.map((row) => keptBase(results, r, row.model));
  const verdicts = arms.map((row, i) => (kept[i] ? null : verdict(row.metrics[metric]!)));
  const n = (v: Verdict): number => verdicts.filter((x) => x === v).length;
  const nKept = kept.filter(Boolean).length;
  const tally =
    `Against ${armLabel(results, r.table.baseline)} (${metric} ${fixed(base)}), of ${arms.length} arm${arms.length === 1 ? '' : 's'}: ` +
    `${n('above')} above, ${n('below')} below, ${n('not-detected') + n('not-significant-after-adjustment')} inconclusive (a difference not detected, which is not equivalence)` +
    `${n('identical') ? `, ${n('identical')} identical by construction` : ''}` +
    `${nKept ? `, ${nKept} where validation kept the base (step 0)` : ''}.`;
  return [
    { kind: 'paragraph', text: [...head, tally] },
    {
      kind: 'list',
      items: arms.map((row, i) =>
        armSentence(armLabel(results, row.model), metric, row.metrics[metric]!, base, kept[i]!),
      ),
    },
  ];
}

export function summarySection(results: StudyResults): Section {
  const c = results.config;
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: [
        `A ${c.preset} study (${c.config}, ${c.seeds && c.seeds.length > 1 ? `training seeds ${c.seeds.join(', ')}` : `seed ${c.seed}`}) of ${c.arms.filter((a) => a.method !== 'base').length} fine-tuned arms against the base, ` +
          `over ${c.folds.map((f) => f.name).join(', ') || 'no folds'} and the ${c.protocols.join(' and ')} protocol${c.protocols.length === 1 ? '' : 's'}. ` +
          'Deltas are paired by query; intervals are 95% paired bootstrap CIs; p-values are randomisation tests, Holm-adjusted over each table. ' +
          'These tell a difference from none; only the Verdict section (an equivalence test at the declared margin) can call an arm equivalent.',
      ],
    },
  ];
  if (results.retrieval.length === 0) blocks.push({ kind: 'missing' });
  for (const r of results.retrieval) blocks.push(...sectionBlocks(results, r));
  return { id: 'summary', title: 'Summary', blocks };
}
