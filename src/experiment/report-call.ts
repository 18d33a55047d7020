// The single call site of the report: src/report renders RUN/report.html, report.md and the
// figures from RUN/results.json.
import { writeReport, type WrittenReport } from '../report/write-report.ts';

export function renderStudyReport(runDir: string): Promise<WrittenReport> {
  return writeReport(runDir);
}
