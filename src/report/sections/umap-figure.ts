// Figure 1: a UMAP of each model's query and passage vectors, small multiples on one
// shared scale, queries and passages in two colours.
import type { TopLevelSpec } from 'vega-lite';
import type { Figure, Section } from '../document.ts';
import { missingSection } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { GeometryResult } from '../../analysis/types.ts';
import { armLabel } from '../arms.ts';
import { CHART_CONFIG, QUERY_PASSAGE } from '../palette.ts';

export function umapData(
  results: StudyResults,
  g: GeometryResult,
): { model: string; x: number; y: number; kind: string; pair: number }[] {
  return g.models.flatMap((m) =>
    m.umap.map((p) => ({ model: armLabel(results, m.model), x: p.x, y: p.y, kind: p.kind, pair: p.pair })),
  );
}

export function umapSpec(results: StudyResults, g: GeometryResult): TopLevelSpec {
  const models = g.models.map((m) => armLabel(results, m.model));
  return {
    data: { values: umapData(results, g) },
    facet: { field: 'model', type: 'nominal', sort: models, title: null },
    columns: Math.min(3, models.length),
    spec: {
      width: 250,
      height: 250,
      mark: { type: 'point', filled: true, size: 12, opacity: 0.6 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'UMAP 1', scale: { zero: false }, axis: { grid: false } },
        y: { field: 'y', type: 'quantitative', title: 'UMAP 2', scale: { zero: false }, axis: { grid: false } },
        color: { field: 'kind', type: 'nominal', title: null, scale: QUERY_PASSAGE, legend: { orient: 'top' } },
      },
    },
    config: CHART_CONFIG,
  } as TopLevelSpec;
}

export function umapSection(results: StudyResults): Section {
  const title = 'Figure 1: UMAP of queries and passages';
  const g = results.geometry;
  if (!g || g.models.every((m) => m.umap.length === 0)) return missingSection('figure-1', title);
  const u = g.umapParams;
  const figure: Figure = {
    id: 'figure-1-umap',
    caption: [
      { strong: 'Figure 1.' },
      ` ${g.pairs} query–passage pairs per model projected with ${u.library} ${u.version} ` +
        `(${u.nNeighbors} neighbours, min. distance ${u.minDist}, ${u.metric}, seed ${u.seed}); one panel per model, all on the same axes. ` +
        'UMAP positions are comparable within a panel only: read the clusters, not the coordinates.',
    ],
    spec: umapSpec(results, g),
  };
  return { id: 'figure-1', title, blocks: [{ kind: 'figure', figure }] };
}
