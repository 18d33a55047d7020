// The ftlab command line: dispatches to one file per command (src/cli/commands/).
import { parseArgs } from 'node:util';
import type { Command } from './command.ts';
import { Interrupted, UserError } from '../errors.ts';
import { FTLAB_VERSION } from '../version.ts';
import { joinNegativeValues } from './command.ts';
import { gracefully, INTERRUPT_EXIT } from './interrupt.ts';
import { embed } from './commands/embed.ts';
import { evalCommand } from './commands/eval.ts';
import { compare } from './commands/compare.ts';
import { search } from './commands/search.ts';
import { sample } from './commands/sample.ts';
import { mine } from './commands/mine.ts';
import { trainCommand } from './commands/train.ts';
import { merge } from './commands/merge.ts';
import { study } from './commands/study.ts';
import { report } from './commands/report.ts';
import { timing } from './commands/timing.ts';
import { geometry } from './commands/geometry.ts';
import { inspect } from './commands/inspect.ts';
import { curves } from './commands/curves.ts';
import { exportCommand } from './commands/export.ts';
import { doctor } from './commands/doctor.ts';
import { launch } from './commands/launch.ts';
import { distEnv, leaveWorld } from '../engine/distributed.ts';

// In the order a study uses them; doctor last.
const commands: Command[] = [
  embed,
  search,
  evalCommand,
  compare,
  sample,
  mine,
  trainCommand,
  merge,
  exportCommand,
  timing,
  geometry,
  inspect,
  curves,
  study,
  report,
  launch,
  doctor,
];

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `ftlab ${FTLAB_VERSION}: fine-tune, evaluate and diagnose dense passage retrievers on MS MARCO

Usage: ftlab <command> [options]     (ftlab <command> --help for its options)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 user error, 2 internal error, 130 interrupted). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${FTLAB_VERSION}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  try {
    if (!cmd) throw new UserError(`unknown command '${name}' (ftlab --help lists them)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`Usage: ${cmd.usage}\n`);
      return 0;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: joinNegativeValues(rest, cmd.options),
        options: cmd.options,
        allowPositionals: cmd.allowPositionals ?? false,
        strict: true,
      });
    } catch (e) {
      throw new UserError(`${(e as Error).message.split('\n')[0]} (ftlab ${cmd.name} --help)`);
    }
    const ranks = distEnv()?.worldSize ?? 1;
    if (ranks > 1 && !cmd.distributed)
      throw new UserError(`ftlab ${cmd.name} does not run across ranks (WORLD_SIZE=${ranks}): run it as one process`);
    await cmd.run(parsed.values, parsed.positionals, { gracefully });
    leaveWorld(true);
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`ftlab: ${e.message}\n`);
      return e instanceof Interrupted ? INTERRUPT_EXIT : 1;
    }
    const err = e as Error;
    process.stderr.write(`ftlab: error: ${(err.message ?? String(e)).split('\n')[0]}\n`);
    if (process.env.FTLAB_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
