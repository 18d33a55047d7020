// Output files appear whole or not at all: write to a temp file beside the target, then
// rename (atomic on one filesystem). A failure removes the temp file; so does the process
// exiting, and a temp file whose writer died (Ctrl-C, which ends a command at once: see
// src/cli/interrupt.ts; kill -9) is removed by the next write of the same target.
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from '../errors.ts';

const pending = new Set<string>();
let exitHooked = false;

/** Registers a temp file or folder to be removed if the process exits before it is moved. */
export function trackTemp(path: string): void {
  pending.add(path);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', removePendingTemps);
  }
}

export function untrackTemp(path: string): void {
  pending.delete(path);
}

/** Removes every registered temp (synchronous: runs in the 'exit' handler). */
export function removePendingTemps(): void {
  for (const p of pending) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      /* best effort on the way out */
    }
  }
  pending.clear();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.NAME.PID.TIME.tmp` siblings of `path` whose writing process is gone. */
export function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(n.slice(prefix.length)) : null;
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dir, n), { force: true });
  }
}

/**
 * Checks, before any work, that `path` can be written as a file: not a folder, no file
 * where a parent folder should be, and the nearest existing folder writable.
 */
export function checkOutputPath(path: string, flag = '--output'): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`${flag} ${path} is a folder; give a file name`);
  let dir = dirname(path);
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${path}: ${dir} is a file, not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${path}: cannot write in ${dir} (permission denied)`);
  }
}

function writeError(path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'EISDIR'
      ? 'it is a folder'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file stands where a folder should be'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOSPC'
            ? 'the disk is full'
            : (code ?? (e as Error).message);
  return new UserError(`cannot write ${path}: ${why}`);
}

export class AtomicFile {
  readonly tmp: string;
  #fd: number;
  #done = false;

  constructor(readonly path: string) {
    const dir = dirname(path);
    try {
      if (existsSync(path) && statSync(path).isDirectory())
        throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      mkdirSync(dir, { recursive: true });
      removeStaleTemps(path);
      this.tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
      this.#fd = openSync(this.tmp, 'w');
      trackTemp(this.tmp);
    } catch (e) {
      throw writeError(path, e);
    }
  }

  write(data: Uint8Array | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    try {
      while (off < buf.byteLength) off += writeSync(this.#fd, buf, off, buf.byteLength - off);
    } catch (e) {
      throw writeError(this.path, e);
    }
  }

  /** Flushes, closes and moves the file into place. */
  commit(): void {
    if (this.#done) return;
    try {
      fsyncSync(this.#fd);
      closeSync(this.#fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw writeError(this.path, e);
    }
    this.#done = true;
    untrackTemp(this.tmp);
  }

  /** Drops the temp file (idempotent; safe after commit). */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      closeSync(this.#fd);
    } catch {
      /* already closed */
    }
    rmSync(this.tmp, { force: true });
    untrackTemp(this.tmp);
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
