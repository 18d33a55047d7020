// What every CLI command is: a name, help text, its flags, and a thin run().
import type { ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  usage: string; // full help text after the usage line
  options: Options;
  allowPositionals?: boolean;
  /** Runs across the ranks of a process group (WORLD_SIZE > 1) instead of refusing to. */
  distributed?: boolean;
  run(values: Values, positionals: string[], ctx: RunContext): Promise<void>;
}

export interface RunContext {
  /**
   * Runs fn with a graceful Ctrl-C: the first aborts fn's signal (training saves a checkpoint
   * at the next step), a second exits at once. Outside it, Ctrl-C ends the process at once.
   */
  gracefully<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function strs(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

export function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined) throw new UserError(`--${name} is required`);
  return v;
}

export function int(values: Values, name: string, min = 1): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function num(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UserError(`--${name} must be a number, got '${v}'`);
  return n;
}

/**
 * `--margin -1` reads as two flags to node's parseArgs ("argument is ambiguous"): a
 * negative number after a string option is joined to it (`--margin=-1`).
 */
export function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
