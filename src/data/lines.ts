// Streaming line reading for every text file ftlab takes: plain, .gz, .tar.gz (the first
// file in the archive, as triples.train.small.tar.gz is distributed), or '-' for stdin.
// Lines come with their 1-based number so errors can say file:line. Text is decoded as
// UTF-8 exactly as written (MS MARCO's mis-encoded characters stay as they are).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { Parser as TarParser, type ReadEntry } from 'tar';
import { InputError, UserError } from '../errors.ts';

export interface Line {
  text: string;
  no: number; // 1-based
}

export function displayName(path: string): string {
  return path === '-' ? 'stdin' : path;
}

export function openText(path: string): Readable {
  if (path === '-') return process.stdin;
  if (!existsSync(path)) throw new UserError(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a folder, not a file`);
  const raw = createReadStream(path);
  if (path.endsWith('.tar.gz') || path.endsWith('.tgz') || path.endsWith('.tar')) {
    const out = new PassThrough();
    let taken = false;
    const parser = new TarParser({
      onReadEntry: (entry: ReadEntry) => {
        if (!taken && entry.type === 'File') {
          taken = true;
          entry.pipe(out, { end: false }); // ended below, once the whole archive (its gzip CRC too) checked out
        } else {
          entry.resume();
        }
      },
    });
    parser.on('end', () => {
      if (taken) out.end();
      else out.destroy(new Error('the archive holds no file'));
    });
    parser.on('error', (e: Error) => out.destroy(e));
    raw.on('error', (e) => out.destroy(e));
    // gunzip here, not in the tar parser: it fails on a truncated stream or a bad CRC, which tar ignores
    const tar = path.endsWith('.tar') ? raw : raw.pipe(createGunzip());
    tar.on('error', (e: Error) => out.destroy(e));
    tar.pipe(parser as unknown as NodeJS.WritableStream);
    return out;
  }
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
      if (text.includes('\0')) throw binaryLine(path, no);
      if (text.length > 0) yield { text, no };
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new InputError(displayName(path), no || null, `read failed: ${(e as Error).message}`);
  } finally {
    rl.close();
  }
}

/** A NUL byte never occurs in text: the file is binary or damaged. */
function binaryLine(path: string, no: number): InputError {
  return new InputError(displayName(path), no, 'holds a NUL byte: binary or damaged data, not a text line');
}

/**
 * Calls fn for each line as raw bytes (buf[start, end), no newline), without decoding: the
 * fast path for multi-gigabyte files (collection loading, sampling 40M triples).
 * Empty lines are skipped; line numbers count them.
 */
export async function forEachLineBytes(
  path: string,
  fn: (buf: Uint8Array, start: number, end: number, no: number) => void,
): Promise<number> {
  const input = openText(path);
  let carry: Uint8Array | null = null;
  let no = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const buf: Uint8Array = chunk;
      let pos = 0;
      if (carry) {
        const nl = chunk.indexOf(10);
        if (nl < 0) {
          carry = concat(carry, chunk);
          continue;
        }
        const line = concat(carry, chunk.subarray(0, nl));
        carry = null;
        no++;
        emit(line, 0, line.length);
        pos = nl + 1;
      }
      for (;;) {
        const nl = (buf as Buffer).indexOf(10, pos);
        if (nl < 0) break;
        no++;
        emit(buf, pos, nl);
        pos = nl + 1;
      }
      if (pos < buf.length) carry = new Uint8Array(buf.subarray(pos)); // a copy, not a view of the chunk
    }
    if (carry && carry.length > 0) {
      no++;
      emit(carry, 0, carry.length);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new InputError(displayName(path), no || null, `read failed: ${(e as Error).message}`);
  }
  return no;

  function emit(b: Uint8Array, s: number, e: number): void {
    if (e > s && b[e - 1] === 13) e--;
    if (b.subarray(s, e).indexOf(0) >= 0) throw binaryLine(path, no); // memchr on a Buffer's view
    if (e > s) fn(b, s, e, no);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Splits `id<TAB>text`; the text may hold no further tab. */
export function splitIdText(line: Line, file: string, what = 'id<TAB>text'): [string, string] {
  const tab = line.text.indexOf('\t');
  if (tab <= 0) throw new InputError(file, line.no, `expected ${what}, got ${JSON.stringify(line.text.slice(0, 60))}`);
  const id = line.text.slice(0, tab);
  const text = line.text.slice(tab + 1);
  if (text.includes('\t')) throw new InputError(file, line.no, `expected ${what} (2 tab-separated fields), got more`);
  return [id, text];
}
