// results.json -> the report's sections, with every figure rendered to SVG. Pure: the
// same results give the same bytes (no clock, no randomness, no model, no engine).
import type { Figure, Section } from './document.ts';
import type { StudyResults } from './schema.ts';
import { RESULTS_VERSION } from './schema.ts';
import { pageHtml } from './html.ts';
import { pageMarkdown } from './markdown.ts';
import { renderSvg } from './vega-svg.ts';
import { seconds } from './format.ts';
import { summarySection } from './sections/summary.ts';
import { verdictsSection } from './sections/verdicts.ts';
import { perQuerySection } from './sections/per-query-figure.ts';
import { retrievalSection } from './sections/retrieval.ts';
import { negativesSection } from './sections/negatives.ts';
import { sweepsSection } from './sections/sweeps.ts';
import { doseSection } from './sections/dose-figure.ts';
import { trainingSection } from './sections/training.ts';
import { curvesSection } from './sections/curves-figure.ts';
import { geometrySection } from './sections/geometry.ts';
import { umapSection } from './sections/umap-figure.ts';
import { timingSection } from './sections/timing.ts';
import { configurationSection } from './sections/configuration.ts';
import { provenanceSection } from './sections/provenance.ts';
import { environmentSection } from './sections/environment.ts';

export interface RenderedReport {
  html: string;
  markdown: string;
  figures: Figure[]; // each with its svg
}

/** Results first (the summary, the verdict, Table I), then figures and tables, then how it was run. */
export function reportSections(r: StudyResults): Section[] {
  return [
    summarySection,
    verdictsSection,
    perQuerySection,
    retrievalSection,
    doseSection,
    negativesSection,
    sweepsSection,
    trainingSection,
    curvesSection,
    geometrySection,
    umapSection,
    timingSection,
    configurationSection,
    provenanceSection,
    environmentSection,
  ].map((make) => make(r));
}

export function figuresOf(sections: Section[]): Figure[] {
  return sections.flatMap((s) => s.blocks.flatMap((b) => (b.kind === 'figure' ? [b.figure] : [])));
}

export function reportTitle(r: StudyResults): { title: string; subtitle: string } {
  const c = r.config;
  return {
    title: `ftlab study: fine-tuning a dense retriever (${c.preset} preset, ${c.config})`,
    subtitle:
      `Started ${r.environment.startedAt}; ${seconds(r.environment.wallSeconds)} s wall time; ${c.arms.length} models; ` +
      `${precisionPhrase(c.precision ?? 'fp32')}; rendered from results.json (format version ${RESULTS_VERSION}).`,
  };
}

/** The header's statement of --precision: what ran in it, and that training did not. */
export function precisionPhrase(precision: string): string {
  return `evaluation encodes in ${precision}, training and its validation in fp32`;
}

export async function renderReport(r: StudyResults): Promise<RenderedReport> {
  const sections = reportSections(r);
  const figures = figuresOf(sections);
  for (const f of figures) f.svg = await renderSvg(f.spec);
  const { title, subtitle } = reportTitle(r);
  return { html: pageHtml(title, subtitle, sections), markdown: pageMarkdown(title, subtitle, sections), figures };
}
