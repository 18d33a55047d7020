// Writes a study's results.json and, beside it, the JSON Schema it follows
// (results.schema.json, named by its "$schema"). Both appear whole or not at all; the
// schema first, so a results.json never points at a missing file.
import { join } from 'node:path';
import { writeAtomic } from '../io/atomic-file.ts';
import { resultsPath } from './read-results.ts';
import { RESULTS_SCHEMA_FILE, resultsJsonSchema, type StudyResults } from './schema.ts';

/** Writes RUN_DIR/results.schema.json and RUN_DIR/results.json; returns the latter's path. */
export function writeResults(runDir: string, results: StudyResults): string {
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  writeAtomic(join(runDir, RESULTS_SCHEMA_FILE), (f) => f.write(json(resultsJsonSchema())));
  const path = resultsPath(runDir);
  writeAtomic(path, (f) => f.write(json({ $schema: `./${RESULTS_SCHEMA_FILE}`, ...results })));
  return path;
}
