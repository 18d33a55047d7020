// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?},
// then the raw little-endian tensor bytes, offsets relative to the end of the header.
//
// Reading opens the file once and reads one tensor at a time, so peak memory is the
// tensors kept plus one tensor's bytes (never the whole file twice).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fromBytes, type DType, type Tensor } from '../engine/index.ts';
import { InputError, UserError } from '../errors.ts';
import { writeAtomic } from './atomic-file.ts';

const DTYPES: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 },
  F64: { dtype: 'float64', bytes: 8 },
  F16: { dtype: 'float16', bytes: 2 },
  BF16: { dtype: 'bfloat16', bytes: 2 },
  I64: { dtype: 'int64', bytes: 8 },
  I32: { dtype: 'int32', bytes: 4 },
  U8: { dtype: 'uint8', bytes: 1 },
  BOOL: { dtype: 'bool', bytes: 1 },
};
const CODES = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v.dtype, k])) as Record<DType, string>;
const MAX_HEADER = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number; // byte offset in the data section
  end: number;
}

export class SafetensorsFile {
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  readonly #fd: number;
  readonly #dataStart: number;

  private constructor(
    readonly path: string,
    fd: number,
    tensors: Map<string, TensorInfo>,
    metadata: Record<string, string>,
    dataStart: number,
  ) {
    this.#fd = fd;
    this.tensors = tensors;
    this.metadata = metadata;
    this.#dataStart = dataStart;
  }

  /** Opens and validates the header (every entry's dtype, shape and byte range). */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      if (statSync(path).isDirectory()) throw new UserError(`${path}: is a folder, not a .safetensors file`);
      fd = openSync(path, 'r');
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const size = fstatSync(fd).size;
      const bad = (why: string): never => {
        throw new InputError(path, null, `not a valid safetensors file: ${why}`);
      };
      if (size < 8) bad(`${size} bytes, shorter than the 8-byte header length`);
      const lenBuf = Buffer.alloc(8);
      readSync(fd, lenBuf, 0, 8, 0);
      const n = Number(lenBuf.readBigUInt64LE(0));
      if (n > MAX_HEADER || n + 8 > size) bad(`header length ${n} does not fit in a ${size}-byte file`);
      const headerBuf = Buffer.alloc(n);
      readSync(fd, headerBuf, 0, n, 8);
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBuf));
      } catch (e) {
        bad(`header is not JSON (${(e as Error).message})`);
      }
      if (header === null || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
      const dataLen = size - 8 - n;
      const tensors = new Map<string, TensorInfo>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === '__metadata__') {
          if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
            bad('__metadata__ is not an object of strings');
          for (const [k, v] of Object.entries(raw as object))
            if (typeof v !== 'string') bad(`__metadata__ "${k}" is not a string`);
          metadata = raw as Record<string, string>;
          continue;
        }
        const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        const dt = typeof e?.dtype === 'string' ? DTYPES[e.dtype] : undefined;
        if (!dt) bad(`tensor '${name}' has unsupported dtype ${JSON.stringify(e?.dtype)}`);
        const shape = e.shape;
        if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
          bad(`tensor '${name}' has a bad shape`);
        const offs = e.data_offsets;
        if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0)) {
          bad(`tensor '${name}' has bad data_offsets`);
        }
        const [begin, end] = offs as [number, number];
        const numel = (shape as number[]).reduce((a, b) => a * b, 1);
        if (end < begin || end > dataLen)
          bad(`tensor '${name}' bytes [${begin}, ${end}) lie outside the ${dataLen}-byte data section`);
        if (end - begin !== numel * dt!.bytes) {
          bad(
            `tensor '${name}' has ${end - begin} bytes but shape [${shape}] of ${e.dtype} needs ${numel * dt!.bytes}`,
          );
        }
        tensors.set(name, { name, dtype: dt!.dtype, shape: shape as number[], begin, end });
      }
      checkCoverage([...tensors.values()], dataLen, bad);
      return new SafetensorsFile(path, fd, tensors, metadata, 8 + n);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Reads one tensor, optionally converting it (e.g. fp16 -> fp32 while loading). */
  read(name: string, as?: DType): Tensor {
    const info = this.tensors.get(name);
    if (!info) throw new UserError(`${this.path}: no tensor named '${name}'`);
    const bytes = new Uint8Array(info.end - info.begin);
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(this.#fd, bytes, got, bytes.length - got, this.#dataStart + info.begin + got);
      if (r === 0) throw new InputError(this.path, null, `file ends inside tensor '${name}'`);
      got += r;
    }
    const t = fromBytes(bytes, info.shape, info.dtype);
    if (!as || as === info.dtype) return t;
    const c = t.cast(as);
    t.dispose();
    return c;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** As the format requires: tensors' byte ranges neither overlap nor leave holes in the data section. */
function checkCoverage(infos: TensorInfo[], dataLen: number, bad: (why: string) => never): void {
  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const t of sorted) {
    if (t.begin < at) bad(`tensor '${t.name}' bytes [${t.begin}, ${t.end}) overlap another tensor's`);
    if (t.begin > at) bad(`bytes [${at}, ${t.begin}) of the data section belong to no tensor`);
    at = t.end;
  }
  if (at !== dataLen) bad(`bytes [${at}, ${dataLen}) of the data section belong to no tensor`);
}

/** Reads every tensor (or those `keep` accepts) and closes the file. */
export function loadSafetensors(
  path: string,
  opts: { as?: DType; keep?: (name: string) => boolean } = {},
): Map<string, Tensor> {
  const f = SafetensorsFile.open(path);
  try {
    const out = new Map<string, Tensor>();
    for (const name of f.tensors.keys()) {
      if (!opts.keep || opts.keep(name)) {
        const info = f.tensors.get(name)!;
        const floating =
          info.dtype === 'float16' || info.dtype === 'bfloat16' || info.dtype === 'float32' || info.dtype === 'float64';
        out.set(name, f.read(name, floating ? opts.as : undefined));
      }
    }
    return out;
  } finally {
    f.close();
  }
}

/** The 8-byte length and the JSON header, padded with spaces so the data starts 8-byte aligned. */
export function encodeHeader(header: Record<string, unknown>): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const body = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

/**
 * Writes tensors in name order (header padded with spaces to 8 bytes, as the reference
 * writer does), atomically. One tensor's bytes are in JS memory at a time.
 */
export function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const code = CODES[t.dtype];
    if (!code) throw new UserError(`cannot save tensor '${name}' of dtype ${t.dtype} as safetensors`);
    const bytes = t.size * DTYPES[code]!.bytes;
    header[name] = { dtype: code, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  writeAtomic(path, (f) => {
    f.write(encodeHeader(header));
    for (const name of names) {
      const d = tensors.get(name)!.data();
      f.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  });
}
