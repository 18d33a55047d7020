// The embedding-space numbers beside Figure 1: alignment and uniformity (Wang & Isola),
// anisotropy, effective rank, and how far each model moved from the base.
import type { Block, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { GeometryResult } from '../../analysis/types.ts';
import { armLabel } from '../arms.ts';
import { count, fixed } from '../format.ts';

export function geometryTable(results: StudyResults, g: GeometryResult): Table {
  const fewer = g.pairs < g.requestedPairs ? ` (${count(g.requestedPairs)} requested; fewer available)` : '';
  return {
    id: 'table-geometry',
    caption: [
      { strong: 'Geometry.' },
      ` ${count(g.pairs)} query–passage pairs${fewer} with relevance ≥ ${g.minGrade}` +
        `${g.skippedNoText ? `, ${count(g.skippedNoText)} skipped for missing passage text` : ''}${g.skippedNoQuery ? `, ${count(g.skippedNoQuery)} skipped for missing query text` : ''}, seed ${g.seed}. ` +
        'Alignment: mean squared distance of a query to its passage (lower is closer). Uniformity: log mean Gaussian potential (lower is more spread). ' +
        "Anisotropy: mean cosine of unrelated items. Drift: mean cosine to the base's vector of the same text (1: unmoved). kNN overlap: mean Jaccard of each item's 10 nearest neighbours with the base's.",
    ],
    head: [
      'Model',
      'Alignment',
      'Uniformity',
      'Anisotropy',
      'Effective rank',
      'Pair cos',
      'Other cos',
      'Drift',
      'kNN overlap',
    ],
    rows: g.models.map((m) => [
      cell(armLabel(results, m.model)),
      num(fixed(m.alignment)),
      num(fixed(m.uniformity)),
      num(fixed(m.anisotropy)),
      num(fixed(m.effectiveRank, 1)),
      num(fixed(m.meanPairCosine)),
      num(fixed(m.meanOtherCosine)),
      num(fixed(m.driftFromBase)),
      num(fixed(m.neighbourOverlapWithBase)),
    ]),
  };
}

export function geometrySection(results: StudyResults): Section {
  const title = 'Embedding geometry';
  if (!results.geometry) return missingSection('geometry', title);
  const blocks: Block[] = [{ kind: 'table', table: geometryTable(results, results.geometry) }];
  if (results.geometry.notes?.length) blocks.push({ kind: 'list', items: results.geometry.notes.map((n) => [n]) });
  return { id: 'geometry', title, blocks };
}
