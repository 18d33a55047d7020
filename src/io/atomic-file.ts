// Output files appear whole or not at all: write to a temp file beside the target, then
// rename (atomic on one filesystem). A failure removes the temp file.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from '../errors.ts';

export class AtomicFile {
  readonly tmp: string;
  #fd: number;
  #done = false;

  constructor(readonly path: string) {
    const dir = dirname(path);
    try {
      mkdirSync(dir, { recursive: true });
      this.tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
      this.#fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  write(data: Uint8Array | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(this.#fd, buf, off, buf.byteLength - off);
  }

  /** Flushes, closes and moves the file into place. */
  commit(): void {
    if (this.#done) return;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    renameSync(this.tmp, this.path);
    this.#done = true;
  }

  /** Drops the temp file (idempotent; safe after commit). */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    try { closeSync(this.#fd); } catch { /* already closed */ }
    rmSync(this.tmp, { force: true });
  }
}

/** Runs `fill` on a temp file and renames it into place only if fill returns. */
export function writeAtomic(path: string, fill: (f: AtomicFile) => void): void {
  const f = new AtomicFile(path);
  try {
    fill(f);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}

export async function writeAtomicAsync(path: string, fill: (f: AtomicFile) => Promise<void>): Promise<void> {
  const f = new AtomicFile(path);
  try {
    await fill(f);
    f.commit();
  } catch (e) {
    f.abort();
    throw e;
  }
}
