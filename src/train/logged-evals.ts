// The evaluations a run already logged (DIR/log.jsonl), read back when it resumes or is found
// finished: the checkpoint choice is made over every evaluated step, step 0 included, and a
// resumed process must not evaluate those steps again. JSON wrote NaN as null: read back as NaN.
import { existsSync, readFileSync } from 'node:fs';
import type { EvalLog } from './train-config.ts';

export function loggedEvals(logPath: string): EvalLog[] {
  if (!existsSync(logPath)) return [];
  const byStep = new Map<number, EvalLog>();
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (line.trim().length === 0) continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.type !== 'eval') continue;
    const entry = { ...o } as EvalLog;
    for (const k of ['tripletAccuracy', 'evalLoss'] as const) if (o[k] === null) entry[k] = NaN;
    byStep.set(entry.step, entry); // a step logged twice keeps its last line
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
