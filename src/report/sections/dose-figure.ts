// Figure 3: dose-response: the test metric of snapshots taken along each arm's training
// (re-ranking protocol), with the base as a dashed line; one panel per fold. When the dose
// points carry the paired delta's CI, each point gets an error bar (the CI moved onto the
// metric's scale: value - delta + CI) and a table lists delta, CI, p and seeds.
import type { TopLevelSpec } from 'vega-lite';
import type { Block, Figure, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { DosePoint, StudyResults } from '../schema.ts';
import { armLabel, primaryMetric } from '../arms.ts';
import { ci, count, fixed, level, pValue, signed } from '../format.ts';
import { CHART_CONFIG } from '../palette.ts';

interface DoseDatum {
  fold: string;
  series: 'arm' | 'base';
  arm: string;
  fraction: number;
  step: number;
  value: number;
  lo?: number; // the CI on the metric's scale, when the point has one
  hi?: number;
}

const hasCi = (d: DosePoint): d is DosePoint & { delta: number; ci: [number, number] } =>
  d.delta !== undefined && d.ci !== undefined;

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
      ...(hasCi(d) ? { lo: d.metrics[metric]! - d.delta + d.ci[0], hi: d.metrics[metric]! - d.delta + d.ci[1] } : {}),
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
        ...(data.some((d) => d.lo !== undefined)
          ? [
              {
                transform: [{ filter: "datum.series === 'arm' && isValid(datum.lo)" }],
                mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
                encoding: {
                  x: { field: 'fraction', type: 'quantitative' },
                  y: { field: 'lo', type: 'quantitative' },
                  y2: { field: 'hi' },
                  color: { field: 'arm', type: 'nominal', sort: arms },
                },
              },
            ]
          : []),
      ],
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

/** The CI level of the dose points: the verdict table's (1 - alpha / tests) when the design names it. */
function doseLevel(results: StudyResults): string {
  const d = results.design;
  return d ? `${level(d.alpha / d.tests)} CI (1 − α/T, as the verdict table)` : 'CI at the level the study used';
}

/** Whether the dose points ran in more than one precision (a --precision bf16|int8 run over fp32 snapshots). */
function mixedPrecision(results: StudyResults): boolean {
  return new Set(results.dose.map((d) => d.precision ?? 'fp32')).size > 1;
}

/** Whether some dose point averages fewer seeds than others (the curve between is the first seed's). */
function fewerSeeds(results: StudyResults): boolean {
  return new Set(results.dose.map((d) => d.seeds)).size > 1;
}

export function doseTable(results: StudyResults, metric: string): Table {
  const points = results.dose.filter(hasCi);
  const mixed = mixedPrecision(results);
  return {
    id: 'table-dose',
    caption: [
      { strong: 'Figure 3 data.' },
      ` Each dose point's test ${metric} (mean over its seeds) and its paired difference to the base: Δ with its ` +
        `${doseLevel(results)}, and the paired t-test's p.` +
        (fewerSeeds(results)
          ? " The points between the base and the last step are the first seed's (later seeds snapshot their final " +
            'model only): their CI is over queries, not seeds.'
          : ''),
    ],
    head: [
      'Arm',
      'Fold',
      'Share of steps',
      'Step',
      metric,
      `Δ ${metric} [CI]`,
      'p',
      'Seeds',
      ...(mixed ? ['Precision'] : []),
    ],
    rows: points.map((d) => [
      cell(armLabel(results, d.arm)),
      cell(d.fold),
      num(`${Math.round(d.fraction * 100)}%`),
      num(count(d.step)),
      num(fixed(d.metrics[metric])),
      num(signed(d.delta), ci(d.ci)),
      num(pValue(d.p)),
      num(count(d.seeds)),
      ...(mixed ? [cell(d.precision ?? 'fp32')] : []),
    ]),
  };
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
        'the dashed line is the base model. One panel per fold.' +
        (results.dose.some(hasCi) ? ` Bars: the paired Δ's ${doseLevel(results)} drawn around each point.` : '') +
        (mixedPrecision(results)
          ? ` The base and the final model were evaluated in ${results.config.precision}; the points between are ` +
            "training's fp32 snapshots (training is shared between precisions), drawn without a Δ or CI: " +
            'against a base encoded in another precision they would count the precision as fine-tuning.'
          : ''),
    ],
    spec: doseSpec(results, metric),
  };
  const blocks: Block[] = [{ kind: 'figure', figure }];
  if (results.dose.some(hasCi)) blocks.push({ kind: 'table', table: doseTable(results, metric) });
  return { id: 'figure-3', title, blocks };
}
