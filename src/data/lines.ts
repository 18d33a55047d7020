// Streaming line reading for every text file ftlab takes: plain, .gz, or '-' for stdin.
// Lines are yielded with their 1-based number so errors can say file:line. Bytes are
// decoded as UTF-8 exactly as written (MS MARCO's mis-encoded characters stay as they are).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InputError, UserError } from '../errors.ts';

export interface Line {
  text: string;
  no: number; // 1-based
}

export function openText(path: string): Readable {
  if (path === '-') return process.stdin;
  if (!existsSync(path)) throw new UserError(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a folder, not a file`);
  const raw = createReadStream(path);
  if (!path.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** Non-empty lines of a file (a trailing '\r' is dropped). */
export async function* readLines(path: string): AsyncGenerator<Line> {
  const input = openText(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let no = 0;
  try {
    for await (const raw of rl) {
      no++;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.length > 0) yield { text, no };
    }
  } catch (e) {
    throw new InputError(path === '-' ? 'stdin' : path, no || null, `read failed: ${(e as Error).message}`);
  } finally {
    rl.close();
  }
}

/** Splits `id<TAB>text`; the text may itself hold no further tab. */
export function splitIdText(line: Line, file: string, what = 'id<TAB>text'): [string, string] {
  const tab = line.text.indexOf('\t');
  if (tab <= 0) throw new InputError(file, line.no, `expected ${what}, got ${JSON.stringify(line.text.slice(0, 60))}`);
  const id = line.text.slice(0, tab);
  const text = line.text.slice(tab + 1);
  if (text.includes('\t')) throw new InputError(file, line.no, `expected ${what} (2 tab-separated fields), got more`);
  return [id, text];
}
