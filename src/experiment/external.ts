// The one place the study meets the APIs other parts of ftlab provide for it
// (/work/briefs/apis.md): statistics (src/eval/compare.ts) and the analysis layer
// (src/analysis/). Kept as one seam so that a change of signature touches only this file.
export { compareTable, type CompareOptions } from '../eval/compare.ts';
export { summarizeTraining } from '../analysis/training-summary.ts';
export { readCurves } from '../analysis/curves.ts';
export { runTiming, PAPER_FIGURES, type TimingModelSpec, type TimingOptions } from '../analysis/timing.ts';
export { runGeometry, type GeometryOptions } from '../analysis/geometry.ts';
