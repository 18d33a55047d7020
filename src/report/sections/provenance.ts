// Where the numbers came from: every input file with its line count and SHA-256.
import type { Section } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { count } from '../format.ts';

export function provenanceSection(r: StudyResults): Section {
  const title = 'Data provenance';
  if (r.config.data.length === 0) return missingSection('provenance', title);
  return {
    id: 'provenance',
    title,
    blocks: [
      {
        kind: 'table',
        table: {
          id: 'table-data',
          caption: ['Input files, as read by the study (SHA-256 of the bytes).'],
          head: ['Role', 'Path', 'Lines', 'SHA-256'],
          rows: r.config.data.map((d) => [
            cell(d.role),
            cell([{ code: d.path }]),
            num(count(d.lines)),
            cell([{ code: d.sha256 }]),
          ]),
        },
      },
    ],
  };
}
