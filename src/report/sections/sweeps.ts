// Hyper-parameters chosen by a small sweep scored on validation queries only: the values tried,
// each one's validation score, and the choice. Test queries play no part in any choice.
import type { Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { armLabel } from '../arms.ts';
import { fixed, paramValue } from '../format.ts';

export function sweepsTable(r: StudyResults): Table {
  return {
    id: 'table-sweeps',
    caption: [
      { strong: 'Sweeps.' },
      ' Each value tried with its validation score; the choice is the best validation score. ',
      { strong: 'Chosen on validation only' },
      ': the test queries of the fold were never scored for a choice.',
    ],
    head: ['Arm', 'Fold', 'Parameter', 'Values tried: validation score', 'Chosen'],
    rows: r.sweeps.map((s) => [
      cell(armLabel(r, s.arm)),
      cell(s.fold),
      cell(s.parameter),
      cell(s.values.map((v, i) => `${paramValue(v)}: ${fixed(s.scores[i])}`).join(' · '), { note: s.metric }),
      num(paramValue(s.chosen), s.values.includes(s.chosen) ? fixed(s.scores[s.values.indexOf(s.chosen)]) : undefined),
    ]),
  };
}

export function sweepsSection(r: StudyResults): Section {
  const title = 'Sweeps (chosen on validation only)';
  if (r.sweeps.length === 0) return missingSection('sweeps', title);
  return { id: 'sweeps', title, blocks: [{ kind: 'table', table: sweepsTable(r) }] };
}
