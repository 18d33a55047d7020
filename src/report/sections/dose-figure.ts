// Figure 3: dose-response: the test metric of snapshots taken along each arm's training
// (re-ranking protocol), with the base as a dashed line; one panel per fold.
import type { TopLevelSpec } from 'vega-lite';
import type { Figure, Section } from '../document.ts';
import { missingSection } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { armLabel, primaryMetric } from '../arms.ts';
import { CHART_CONFIG } from '../palette.ts';

interface DoseDatum {
  fold: string;
  series: 'arm' | 'base';
  arm: string;
  fraction: number;
  step: number;
  value: number;
}

export function doseMetric(results: StudyResults): string | undefined {
  const keys = [...new Set(results.dose.flatMap((d) => Object.keys(d.metrics)))];
  return primaryMetric({ metrics: keys });
}

/** The base's score per fold: the re-ranking table's baseline row. */
function baseValue(results: StudyResults, fold: string, metric: string): number | undefined {
  const r = results.retrieval.find((s) => s.fold === fold && s.protocol === 'rerank');
  return r?.table.rows.find((row) => row.model === r.table.baseline)?.metrics[metric]?.mean;
}

export function doseData(results: StudyResults, metric: string): DoseDatum[] {
  const points: DoseDatum[] = results.dose
    .filter((d) => d.metrics[metric] !== undefined)
    .map((d) => ({
      fold: d.fold,
      series: 'arm',
      arm: armLabel(results, d.arm),
      fraction: d.fraction,
      step: d.step,
      value: d.metrics[metric]!,
    }));
  const folds = [...new Set(points.map((p) => p.fold))];
  const bases = folds.flatMap((fold) => {
    const v = baseValue(results, fold, metric);
    return v === undefined ? [] : [{ fold, series: 'base' as const, arm: 'base', fraction: 0, step: 0, value: v }];
  });
  return [...points, ...bases];
}

export function doseSpec(results: StudyResults, metric: string): TopLevelSpec {
  const data = doseData(results, metric);
  const arms = [...new Set(data.filter((d) => d.series === 'arm').map((d) => d.arm))];
  return {
    data: { values: data },
    facet: { column: { field: 'fold', type: 'nominal', title: null, sort: results.config.folds.map((f) => f.name) } },
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.series === 'base'" }],
          mark: { type: 'rule', strokeDash: [5, 4], color: '#555' },
          encoding: { y: { field: 'value', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.series === 'arm'" }],
          mark: { type: 'line', point: true },
          encoding: {
            x: {
              field: 'fraction',
              type: 'quantitative',
              title: "share of the arm's training steps",
              axis: { format: '.0%' },
              scale: { domain: [0, 1] },
            },
            y: { field: 'value', type: 'quantitative', title: `test ${metric}`, scale: { zero: false } },
            color: { field: 'arm', type: 'nominal', title: 'Arm', sort: arms },
          },
        },
      ],
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export function doseSection(results: StudyResults): Section {
  const title = 'Figure 3: dose-response';
  const metric = doseMetric(results);
  if (!metric) return missingSection('figure-3', title);
  const figure: Figure = {
    id: 'figure-3-dose',
    caption: [
      { strong: 'Figure 3.' },
      ` Test ${metric} (re-ranking protocol) of snapshots taken along each arm's training, against the share of its steps done; ` +
        'the dashed line is the base model. One panel per fold.',
    ],
    spec: doseSpec(results, metric),
  };
  return { id: 'figure-3', title, blocks: [{ kind: 'figure', figure }] };
}
