// Each stage's output is kept under RUN/stages/NAME.json with the hash of everything that
// decided it (input files, configuration, models). A rerun reuses it only when the hash
// matches; otherwise the stage runs again and says why in one line.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../io/atomic-file.ts';

export interface StageTiming {
  name: string;
  seconds: number;
  cached: boolean;
}

export function hashKey(key: unknown): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

const CHANGED = 'inputs or configuration changed since the stored result';
const MISSING = 'its stored files are missing or changed';

export class StageCache {
  readonly timings: StageTiming[] = [];

  constructor(
    readonly runDir: string,
    readonly log: (line: string) => void,
  ) {}

  path(name: string): string {
    return join(this.runDir, 'stages', `${name}.json`);
  }

  /** The stage's stored value when its key matches; else runs `compute` and stores its value. */
  async run<T>(
    name: string,
    key: unknown,
    compute: () => Promise<T> | T,
    usable: (value: T) => boolean = () => true,
  ): Promise<T> {
    const t0 = performance.now();
    const hash = hashKey(key);
    const file = this.path(name);
    if (existsSync(file)) {
      const stored = readStored<T>(file);
      if (stored === null) this.log(`stage ${name}: ${file} is unreadable (damaged?); running it again`);
      else if (stored.key === hash && usable(stored.value)) {
        this.log(`stage ${name}: reused (inputs and configuration unchanged)`);
        this.timings.push({ name, seconds: (performance.now() - t0) / 1000, cached: true });
        return stored.value;
      } else this.log(`stage ${name}: ${stored.key === hash ? MISSING : CHANGED}; running it again`);
    }
    const value = await compute();
    writeAtomic(file, (f) => f.write(JSON.stringify({ key: hash, value })));
    this.timings.push({ name, seconds: (performance.now() - t0) / 1000, cached: false });
    return value;
  }
}

/** Drops the cached reads among the timings from `from` on (stages another worker computed, read back here). */
export function keepComputed(timings: StageTiming[], from: number): void {
  const computed = timings.slice(from).filter((t) => !t.cached);
  timings.splice(from, timings.length - from, ...computed);
}

/** A stored stage result, or null when the file is not the JSON this cache writes. */
function readStored<T>(file: string): { key: string; value: T } | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; value?: T };
    return typeof v.key === 'string' ? { key: v.key, value: v.value as T } : null;
  } catch {
    return null;
  }
}
