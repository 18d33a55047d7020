// Reading a JSON file ftlab did not necessarily write: every failure is one line naming the
// file (and the line of a syntax error), never a bare JSON.parse message.
import { readFileSync, statSync } from 'node:fs';
import { InputError, UserError } from '../errors.ts';

/** The file's text; a missing file, a folder or an unreadable one is a one-line error. */
export function readTextFile(path: string, what = 'file'): string {
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${path}: is a folder, not a ${what}`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read (${code === 'ENOENT' ? 'not found' : (code ?? (e as Error).message)})`);
  }
}

/** Line (1-based) of a JSON.parse error, from V8's "position N" or "line N", or null. */
export function jsonErrorLine(text: string, message: string): number | null {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split('\n').length;
  return /end of JSON/.test(message) ? text.trimEnd().split('\n').length : null;
}

/** JSON text parsed; a syntax error is an InputError at its line. `line` offsets a JSONL line. */
export function parseJson(text: string, path: string, line?: number): unknown {
  if (text.trim() === '') throw new InputError(path, line ?? null, line ? 'empty line' : 'empty file (expected JSON)');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    const at = line ?? jsonErrorLine(text, msg);
    throw new InputError(path, at, `not valid JSON (${msg.replace(/^Unexpected /, 'unexpected ')})`);
  }
}

export function readJsonFile(path: string): unknown {
  return parseJson(readTextFile(path, 'JSON file'), path);
}

/** A JSON file that must hold an object. */
export function readJsonObject(path: string): Record<string, unknown> {
  const v = readJsonFile(path);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new InputError(
      path,
      null,
      `expected a JSON object, got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`,
    );
  return v as Record<string, unknown>;
}
