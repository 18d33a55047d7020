// Writes a run folder's report: report.html (self-contained), report.md, and beside them
// each figure as NAME.svg and its Vega-Lite spec with data as NAME.vl.json. Everything is
// rendered in memory first and each file appears whole (atomic rename).
import { join } from 'node:path';
import { writeAtomic } from '../io/atomic-file.ts';
import { readResults } from './read-results.ts';
import { renderReport } from './render-report.ts';
import { withSchema } from './vega-svg.ts';

export interface WrittenReport {
  html: string;
  markdown: string;
  files: string[];
  renderSeconds: number;
}

export async function writeReport(runDir: string, outDir = runDir): Promise<WrittenReport> {
  const t0 = performance.now();
  const results = readResults(runDir);
  const report = await renderReport(results);
  const renderSeconds = (performance.now() - t0) / 1000;
  const outputs: [string, string][] = [
    ...report.figures.flatMap((f): [string, string][] => [
      [`${f.id}.svg`, f.svg ?? ''],
      [`${f.id}.vl.json`, `${JSON.stringify(withSchema(f.spec), null, 1)}\n`],
    ]),
    ['report.md', report.markdown],
    ['report.html', report.html], // last: its presence means the set is complete
  ];
  for (const [name, text] of outputs) writeAtomic(join(outDir, name), (f) => f.write(text));
  return {
    html: join(outDir, 'report.html'),
    markdown: join(outDir, 'report.md'),
    files: outputs.map(([n]) => join(outDir, n)),
    renderSeconds,
  };
}
