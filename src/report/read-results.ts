// Reads and checks RUN_DIR/results.json against its schema (schema.ts). Bad input is one
// line naming the file (and the line, for broken JSON, or the JSON path of the first bad
// field); sections a run did not compute come back as null / [] so each renderer can say
// "missing" instead of crashing.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UserError } from '../errors.ts';
import { RESULTS_FORMAT, RESULTS_VERSION, type StudyResults, StudyResultsSchema } from './schema.ts';
import { firstIssue } from './schema-issue.ts';

export function resultsPath(runDir: string): string {
  return join(runDir, 'results.json');
}

function readText(path: string, runDir: string): string {
  try {
    if (!statSync(runDir).isDirectory()) throw new UserError(`${runDir} is not a folder (give the study's run folder)`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${runDir}: no such folder (give the study's run folder)`);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      null,
      code === 'ENOENT'
        ? 'not found (has the study finished? it writes results.json at its end)'
        : `cannot read (${code})`,
    );
  }
}

/** Line of a JSON.parse error, from "position N" or "line N" in V8's message. */
function errorLine(text: string, message: string): number | null {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split('\n').length;
  return /end of JSON/.test(message) ? text.trimEnd().split('\n').length : null;
}

export function parseResults(text: string, path: string): StudyResults {
  if (text.trim() === '') throw new InputError(path, null, 'empty file (expected the JSON a study writes)');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    throw new InputError(path, errorLine(text, msg), `not JSON (${msg.replace(/^Unexpected /, 'unexpected ')})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputError(path, null, "expected a JSON object (a study's results.json)");
  const obj = raw as Record<string, unknown>;
  if (obj.format !== RESULTS_FORMAT)
    throw new InputError(
      path,
      null,
      `not a study's results (format is ${JSON.stringify(obj.format)}, expected "${RESULTS_FORMAT}")`,
    );
  if (typeof obj.version !== 'number' || !Number.isInteger(obj.version) || obj.version < 1)
    throw new InputError(path, null, `bad version ${JSON.stringify(obj.version)}`);
  if (obj.version > RESULTS_VERSION)
    throw new InputError(
      path,
      null,
      `format version ${obj.version} is newer than this ftlab reads (${RESULTS_VERSION}); update ftlab to render it`,
    );
  const parsed = StudyResultsSchema.safeParse(obj, { reportInput: true });
  if (!parsed.success) throw new InputError(path, null, `wrong format: ${firstIssue(parsed.error, 'results')}`);
  return parsed.data;
}

export function readResults(runDir: string): StudyResults {
  const path = resultsPath(runDir);
  return parseResults(readText(path, runDir), path);
}
