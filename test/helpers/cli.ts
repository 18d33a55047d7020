// Runs the real CLI (bin/ftlab.js) in a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './tiny-model.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function ftlab(args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'ftlab.js'), ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, FTLAB_DEBUG: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: non-zero exit, exactly one line on stderr matching `re`. */
export function assertOneLineError(r: CliResult, re: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  if (r.code === 0) throw new Error(`expected a failure, got exit 0 (stderr: ${r.stderr})`);
  if (lines.length !== 1) throw new Error(`expected one stderr line, got:\n${r.stderr}`);
  if (!re.test(lines[0]!)) throw new Error(`stderr ${JSON.stringify(lines[0])} does not match ${re}`);
}

/**
 * Runs the CLI in this process (main() from src/cli/main.ts), capturing stderr: much faster
 * than a child process when a test makes hundreds of calls. stdout is not captured (the
 * test runner reports through it): use it for commands that fail or write files.
 */
export async function ftlabInProcess(args: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.ts');
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: '', stderr: err.join('') };
  } finally {
    process.stderr.write = ew;
  }
}
