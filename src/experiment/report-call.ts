// The single call site of the report: src/report renders RUN/report.md (and more) from
// results.json. Until its renderer lands, a minimal report.md is written here.
import { join } from 'node:path';
import { writeAtomic } from '../io/atomic-file.ts';
import type { StudyResults } from '../report/schema.ts';
import { minimalReport } from './minimal-report.ts';

export function renderReport(runDir: string, results: StudyResults): void {
  writeAtomic(join(runDir, 'report.md'), (f) => f.write(minimalReport(results)));
}
