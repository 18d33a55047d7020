// ftlab report: re-renders a study's report.html and report.md from its results.json alone.
import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { UserError } from '../../errors.ts';
import { writeReport } from '../../report/write-report.ts';

export const report: Command = {
  name: 'report',
  summary: "render a study folder's results.json as report.html and report.md",
  usage: `ftlab report RUN_DIR [--out DIR]

Reads RUN_DIR/results.json (written by ftlab study) and writes report.html (one
self-contained page: no script, no network), report.md, and each figure as NAME.svg with
its Vega-Lite spec and data as NAME.vl.json, into RUN_DIR (or --out DIR). Needs no model
and no engine, so a report can be rebuilt or restyled without rerunning the study.`,
  options: { out: { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UserError('give exactly one run folder (ftlab report RUN_DIR)');
    const runDir = positionals[0]!;
    const written = await writeReport(runDir, str(values, 'out') ?? runDir);
    process.stdout.write(
      `${written.html}\n${written.markdown}\n(${written.files.length - 2} figure files beside them; rendered in ${written.renderSeconds.toFixed(2)} s)\n`,
    );
  },
};
