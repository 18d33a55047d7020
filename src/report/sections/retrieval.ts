// Table I analogue: one table per fold and protocol. The primary metric's delta to the
// base with its 95% CI comes first, then its Holm p and mean, then the other metrics.
import type { Cell, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { RetrievalSection, StudyResults } from '../schema.ts';
import type { ComparisonRow, MetricStats } from '../../eval/comparison.ts';
import { armLabel, primaryMetric } from '../arms.ts';
import { ci, fixed, pValue, signed } from '../format.ts';
import { verdict } from '../verdict.ts';

function deltaNote(s: MetricStats | undefined, isBase: boolean): string | undefined {
  if (!s || isBase) return isBase ? 'base' : undefined;
  if (s.identicalByConstruction) return 'identical by construction';
  return `Δ ${signed(s.delta)} ${ci(s.ci95)} · p ${pValue(s.pHolm)}`;
}

/** The delta with its CI below; bold when the verdict is a significant difference. */
function deltaCell(s: MetricStats): Cell {
  const v = verdict(s);
  const text = signed(s.delta);
  return cell(v === 'above' || v === 'below' ? [{ strong: text }] : text, { numeric: true, note: ci(s.ci95) });
}

function row(results: StudyResults, r: RetrievalSection, m: ComparisonRow, primary: string): Cell[] {
  const isBase = m.model === r.table.baseline;
  const p = m.metrics[primary];
  const others = r.table.metrics.filter((x) => x !== primary);
  return [
    cell(armLabel(results, m.model), { note: m.model === armLabel(results, m.model) ? undefined : m.model }),
    isBase || !p ? num('base') : deltaCell(p),
    num(isBase || !p ? '' : p.identicalByConstruction ? 'identical' : pValue(p.pHolm)),
    num(fixed(p?.mean)),
    ...others.map((x) => {
      const note = deltaNote(m.metrics[x], isBase);
      return num(fixed(m.metrics[x]?.mean), isBase ? undefined : note);
    }),
  ];
}

export function retrievalTable(results: StudyResults, r: RetrievalSection, index: number): Table {
  const primary = primaryMetric(r.table) ?? '';
  const t = r.table;
  return {
    id: `table-1-${index + 1}`,
    caption: [
      { strong: `Table I.${index + 1}` },
      ` ${r.fold}, ${r.protocol}: ${r.description}. ${t.queries} queries shared by all models; ` +
        `Δ is the paired mean difference to ${armLabel(results, t.baseline)} with its 95% bootstrap CI (${t.bootstrap.resamples} resamples, seed ${t.bootstrap.seed}); ` +
        `p is the randomisation test (${t.randomisation.trials} trials) Holm-adjusted over ${t.adjustment.comparisons} comparisons. Bold Δ: significant (CI excludes 0 and Holm p < 0.05).`,
    ],
    head: ['Model', `Δ ${primary} [95% CI]`, 'p (Holm)', primary, ...t.metrics.filter((x) => x !== primary)],
    rows: t.rows.map((m) => row(results, r, m, primary)),
  };
}

export function retrievalSection(results: StudyResults): Section {
  const title = 'Retrieval quality (Table I)';
  if (results.retrieval.length === 0) return missingSection('retrieval', title);
  return {
    id: 'retrieval',
    title,
    blocks: results.retrieval.map((r, i) => ({ kind: 'table', table: retrievalTable(results, r, i) })),
  };
}
