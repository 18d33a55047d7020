// The report module's public surface: read results.json, render, write. No engine, no model.
export { readResults, parseResults, resultsPath } from './read-results.ts';
export { renderReport, reportSections, type RenderedReport } from './render-report.ts';
export { writeReport, type WrittenReport } from './write-report.ts';
export * as format from './format.ts';
export { MISSING_TEXT } from './document.ts';
