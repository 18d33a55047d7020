// Figure 2: training loss per step (raw faint, smoothed solid) and the evaluation
// measures logged during training, per arm.
import type { TopLevelSpec } from 'vega-lite';
import type { Figure, Section } from '../document.ts';
import { missingSection } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { CurvesResult } from '../../analysis/types.ts';
import { armLabel } from '../arms.ts';
import { CHART_CONFIG } from '../palette.ts';

/** At most this many loss points per arm are drawn (a page of 20k-step curves would weigh megabytes). */
export const MAX_LOSS_POINTS = 1500;

export function lossStride(c: CurvesResult): number {
  return Math.max(1, ...c.series.map((s) => Math.ceil(s.steps.length / MAX_LOSS_POINTS)));
}

export function lossData(
  results: StudyResults,
  c: CurvesResult,
): { model: string; step: number; loss: number; smoothed: number }[] {
  const stride = lossStride(c);
  return c.series.flatMap((s) =>
    s.steps.flatMap((step, i) =>
      i % stride === 0 || i === s.steps.length - 1
        ? [{ model: armLabel(results, s.model), step, loss: s.loss[i]!, smoothed: s.lossSmoothed[i]! }]
        : [],
    ),
  );
}

export function evalData(
  results: StudyResults,
  c: CurvesResult,
): { model: string; step: number; measure: string; value: number }[] {
  return c.series.flatMap((s) =>
    s.evals.flatMap((e) => [
      ...(e.tripletAccuracy === null
        ? []
        : [{ model: armLabel(results, s.model), step: e.step, measure: 'triplet accuracy', value: e.tripletAccuracy }]),
      ...Object.entries(e.metrics).map(([measure, value]) => ({
        model: armLabel(results, s.model),
        step: e.step,
        measure,
        value,
      })),
    ]),
  );
}

export function curvesSpec(results: StudyResults, c: CurvesResult): TopLevelSpec {
  const models = c.series.map((s) => armLabel(results, s.model));
  const color = { field: 'model', type: 'nominal', title: 'Arm', sort: models };
  const x = { field: 'step', type: 'quantitative', title: 'optimizer step' };
  const loss = {
    data: { values: lossData(results, c) },
    width: 640,
    height: 240,
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1, strokeOpacity: 0.22 },
        encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'training loss' }, color },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'smoothed', type: 'quantitative' }, color },
      },
    ],
  };
  const evals = evalData(results, c);
  const evalChart = {
    data: { values: evals },
    facet: { column: { field: 'measure', type: 'nominal', title: null } },
    spec: {
      width: 200,
      height: 160,
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'held-out value', scale: { zero: false } },
        color,
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return { vconcat: evals.length ? [loss, evalChart] : [loss], config: CHART_CONFIG } as TopLevelSpec;
}

export function curvesSection(results: StudyResults): Section {
  const title = 'Figure 2: training curves';
  const c = results.curves;
  if (!c || c.series.length === 0) return missingSection('figure-2', title);
  const figure: Figure = {
    id: 'figure-2-curves',
    caption: [
      { strong: 'Figure 2.' },
      ` Top: training loss per optimizer step, raw (faint) and smoothed (exponential moving average, α = ${c.smoothing.alpha})` +
        `${lossStride(c) > 1 ? `, drawn every ${lossStride(c)} steps (the smoothing used every step)` : ''}. ` +
        'Bottom: the measures evaluated during training on held-out data, one panel per measure (each with its own y scale).',
    ],
    spec: curvesSpec(results, c),
  };
  return { id: 'figure-2', title, blocks: [{ kind: 'figure', figure }] };
}
