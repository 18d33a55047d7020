// Names and variants for the --model arguments of timing and geometry: 'default' is the base;
// a LoRA folder (adapter_config.json) is timed twice, unmerged and merged in memory; a folder
// with a training record is a full fine-tune.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { TimingModelSpec } from './timing.ts';

/** 'base' for 'default', else the folder's name; a 'LABEL=SPEC' argument names it explicitly. */
export function parseModelArg(arg: string): { label: string; spec: string } {
  const eq = arg.indexOf('=');
  if (eq > 0 && !existsSync(arg)) return { label: arg.slice(0, eq), spec: checkSpec(arg.slice(eq + 1)) };
  return { label: arg === 'default' ? 'base' : basename(resolve(arg)), spec: checkSpec(arg) };
}

function checkSpec(spec: string): string {
  if (spec !== 'default' && !existsSync(spec)) throw new UserError(`--model ${spec}: no such model folder`);
  return spec;
}

export function timingModels(args: readonly string[]): TimingModelSpec[] {
  return args.flatMap((arg): TimingModelSpec[] => {
    const { label, spec } = parseModelArg(arg);
    if (spec === 'default') return [{ label, spec, variant: 'base' }];
    if (existsSync(join(spec, 'adapter_config.json'))) {
      return [
        { label: `${label} (unmerged)`, spec, variant: 'lora-unmerged' },
        { label: `${label} (merged)`, spec, variant: 'lora-merged' },
      ];
    }
    return [{ label, spec, variant: hasTrainingRecord(spec) ? 'full' : 'other' }];
  });
}

function hasTrainingRecord(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'ftlab.json'), 'utf8')) as { training?: unknown }).training !== undefined;
  } catch {
    return false;
  }
}
