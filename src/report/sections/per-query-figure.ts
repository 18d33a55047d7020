// Figure 4: per-query scatter, base score (x) against the arm's (y, mean over seeds), one point
// per query, the diagonal y = x drawn: points above it are queries the arm won. Small multiples:
// one column per arm, one row per checkpoint (validation-chosen, final), on the verdict table's
// leading fold (pooled when there is one).
import type { TopLevelSpec } from 'vega-lite';
import type { Figure, Section } from '../document.ts';
import { missingSection } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { armLabel } from '../arms.ts';
import { CHART_CONFIG } from '../palette.ts';
import { leadingFold, orderedVerdicts } from './verdicts.ts';

interface ScatterDatum {
  arm: string;
  checkpoint: 'chosen' | 'final';
  series: 'query' | 'diagonal';
  qid: string;
  base: number;
  score: number;
  base2?: number;
  score2?: number;
}

export function perQueryData(r: StudyResults): ScatterDatum[] {
  const fold = leadingFold(r);
  const rows = orderedVerdicts(r).filter((v) => v.fold === fold && v.perQuery.length > 0);
  const values = rows.flatMap((v) => v.perQuery.flatMap((q) => [q.base, q.arm]));
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values);
  return rows.flatMap((v) => {
    const arm = armLabel(r, v.arm);
    const points = v.perQuery.map(
      (q): ScatterDatum => ({ arm, checkpoint: v.checkpoint, series: 'query', qid: q.qid, base: q.base, score: q.arm }),
    );
    const diagonal: ScatterDatum = {
      arm,
      checkpoint: v.checkpoint,
      series: 'diagonal',
      qid: '',
      base: lo,
      score: lo,
      base2: hi,
      score2: hi,
    };
    return [diagonal, ...points];
  });
}

export function perQuerySpec(r: StudyResults, metric: string): TopLevelSpec {
  const data = perQueryData(r);
  const arms = [...new Set(data.map((d) => d.arm))];
  const x = { field: 'base', type: 'quantitative', title: `base ${metric}` };
  const y = { field: 'score', type: 'quantitative', title: `arm ${metric} (mean over seeds)` };
  return {
    data: { values: data },
    facet: {
      column: { field: 'arm', type: 'nominal', title: null, sort: arms },
      row: { field: 'checkpoint', type: 'nominal', title: null, sort: ['chosen', 'final'] },
    },
    spec: {
      width: 170,
      height: 170,
      layer: [
        {
          transform: [{ filter: "datum.series === 'diagonal'" }],
          mark: { type: 'rule', strokeDash: [4, 3], color: '#777' },
          encoding: { x, y, x2: { field: 'base2' }, y2: { field: 'score2' } },
        },
        {
          transform: [{ filter: "datum.series === 'query'" }],
          mark: { type: 'point', filled: true, size: 18, opacity: 0.6 },
          encoding: { x, y, tooltip: [{ field: 'qid' }, x, y] },
        },
      ],
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export function perQuerySection(r: StudyResults): Section {
  const title = 'Figure 4: per-query scores, base against each arm';
  const fold = leadingFold(r);
  const metric = r.verdicts[0]?.metric;
  if (!fold || !metric || !r.verdicts.some((v) => v.perQuery.length > 0)) return missingSection('figure-4', title);
  const figure: Figure = {
    id: 'figure-4-per-query',
    caption: [
      { strong: 'Figure 4.' },
      ` ${metric} per test query (${fold === 'pooled' ? 'every fold pooled' : fold}): the base on x, the arm (mean over its seeds) on y; ` +
        'above the dashed diagonal the arm won the query, below it the base did. ' +
        'Columns: arms; rows: the validation-chosen and the final checkpoint.',
    ],
    spec: perQuerySpec(r, metric),
  };
  return { id: 'figure-4', title, blocks: [{ kind: 'figure', figure }] };
}
