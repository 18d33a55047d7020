// NumPy .npy: magic, version, a Python-dict header padded to 64 bytes, raw data. Writing makes
// format 1.0; reading checks every part (magic, version, header, dtype, order, shape, byte
// length) and names the file and byte offset of what is wrong, before any data is used.
import { readFileSync, statSync } from 'node:fs';
import { InputError, UserError } from '../errors.ts';
import type { AtomicFile } from './atomic-file.ts';

const MAGIC = '\x93NUMPY';

export function npyHeader(shape: number[], descr = '<f4'): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const pre = 10; // magic (6) + version (2) + header length (2)
  dict += `${' '.repeat(63 - ((pre + dict.length) % 64))}\n`;
  const out = new Uint8Array(pre + dict.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(Buffer.from(dict, 'latin1'), pre);
  return out;
}

/** Streams a float32 matrix [rows, cols] into an open file: header first, then rows. */
export function writeNpyF32(f: AtomicFile, data: Float32Array, shape: number[]): void {
  f.write(npyHeader(shape, '<f4'));
  f.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** The file's bytes, or a one-line error (missing, a folder, unreadable). */
function readBytes(path: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${path}: is a folder, not a .npy file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read (${code === 'ENOENT' ? 'not found' : (code ?? (e as Error).message)})`);
  }
}

/** The header dict's value for `key` (a Python literal), or null. */
function field(header: string, key: string): string | null {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  return m ? m[1]! : null;
}

export function readNpyF32(path: string): { data: Float32Array; shape: number[] } {
  const buf = readBytes(path);
  const bad = (offset: number, why: string): never => {
    throw new InputError(path, null, `byte ${offset}: ${why}`);
  };
  if (buf.length === 0) throw new InputError(path, null, 'empty file (expected a .npy array)');
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) bad(0, 'not a .npy file (no \\x93NUMPY magic)');
  const major = buf[6]!;
  if (major < 1 || major > 3) bad(6, `unknown .npy format version ${major}.${buf[7]}`);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start) bad(8, 'file ends inside the header length');
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (start + hlen > buf.length)
    bad(8, `header of ${hlen} bytes runs past the end of the ${buf.length}-byte file (truncated?)`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  if (!/^\s*\{.*\}\s*$/s.test(header)) bad(start, 'header is not a Python dict');
  const descr = field(header, 'descr');
  if (descr === null) bad(start, "header has no 'descr'");
  if (descr!.slice(1, -1) !== '<f4')
    bad(start, `dtype ${descr} is not supported (ftlab reads little-endian float32, '<f4')`);
  const order = field(header, 'fortran_order');
  if (order !== 'False') bad(start, `fortran_order ${order ?? 'missing'}: only C-order arrays are supported`);
  const dims = field(header, 'shape');
  if (dims === null || !dims.startsWith('(')) bad(start, "header has no 'shape' tuple");
  const parts = dims!
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!parts.every((s) => /^\d+$/.test(s))) bad(start, `shape ${dims} is not a tuple of non-negative integers`);
  const shape = parts.map(Number);
  const numel = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + hlen;
  const body = buf.length - dataStart;
  if (body !== numel * 4)
    bad(
      dataStart,
      `shape [${shape.join(', ')}] of float32 needs ${numel * 4} data bytes, the file has ${body}${body < numel * 4 ? ' (truncated?)' : ''}`,
    );
  const data = new Float32Array(numel);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart));
  return { data, shape };
}
