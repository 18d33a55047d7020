// NumPy .npy (format 1.0): magic, a Python-dict header padded to 64 bytes, raw little-endian data.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import type { AtomicFile } from './atomic-file.ts';

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

export function readNpyF32(path: string): { data: Float32Array; shape: number[] } {
  const buf = readFileSync(path);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    throw new InputError(path, null, 'not a .npy file');
  const major = buf[6]!;
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True"))
    throw new InputError(path, null, 'only C-order little-endian float32 .npy is supported');
  const m = /'shape': \(([^)]*)\)/.exec(header);
  if (!m) throw new InputError(path, null, 'no shape in .npy header');
  const shape = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const body = buf.subarray(start + hlen);
  const data = new Float32Array(body.length / 4);
  new Uint8Array(data.buffer).set(body);
  return { data, shape };
}
