// The report module's public surface: read results.json, render, write. No engine, no model.
export { readResults, parseResults, resultsPath } from './read-results.ts';
export { writeResults } from './write-results.ts';
export { RESULTS_FORMAT, RESULTS_VERSION, resultsJsonSchema, StudyResultsSchema, type StudyResults } from './schema.ts';
export { renderReport, reportSections, type RenderedReport } from './render-report.ts';
export { writeReport, type WrittenReport } from './write-report.ts';
export * as format from './format.ts';
export { MISSING_TEXT } from './document.ts';
