// ftlab launch: N local ranks of one ftlab command, for users without torchrun. Each rank gets
// the environment torchrun would set (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
// A rank that exits non-zero or dies ends the others (SIGTERM, then SIGKILL after a grace
// period) with one line, exit 1.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Command } from '../command.ts';
import { int, ownArgs, parseFlags } from '../command.ts';
import { Interrupted, UserError } from '../../errors.ts';
import { INTERRUPT_EXIT } from '../interrupt.ts';

const GRACE_MS = 5000;

/** A free TCP port on the loopback interface (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function startRank(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // the same Node and loader (tsx) this process runs with; stderr read here (see RankErrors)
  return spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    env,
    stdio: ['inherit', 'inherit', 'pipe'],
  });
}

/**
 * Each rank's stderr, passed through line by line except its closing error line (`ftlab: ...`,
 * not a warning), which is held: N ranks failing alike would print it N times, and ranks that
 * launch stops after another failed print only the consequence. launch prints one line instead.
 */
class RankErrors {
  readonly lines: (string | null)[];

  constructor(children: ChildProcess[], write: (s: string) => void) {
    this.lines = children.map(() => null);
    children.forEach((child, rank) => {
      let pending = '';
      const take = (line: string): void => {
        if (line.startsWith('ftlab: ') && !line.startsWith('ftlab: warning: ')) this.lines[rank] = line.slice(7);
        else write(`${line}\n`);
      };
      child.stderr?.on('data', (d: Buffer) => {
        const parts = (pending + d.toString('utf8')).split('\n');
        pending = parts.pop()!;
        for (const l of parts) take(l);
      });
      child.stderr?.on('end', () => {
        if (pending) take(pending);
        pending = '';
      });
    });
  }
}

interface Failure {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Waits for every rank (and its stderr); on the first failure stops the rest. Resolves to that failure. */
function supervise(children: ChildProcess[]): Promise<Failure | null> {
  return new Promise((resolve) => {
    let running = children.length;
    let failure: Failure | null = null;
    children.forEach((child, rank) => {
      child.on('close', (code, signal) => {
        running--;
        if ((code !== 0 || signal) && !failure) {
          failure = { rank, code, signal };
          for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
          setTimeout(() => {
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
          }, GRACE_MS).unref();
        }
        if (running === 0) resolve(failure);
      });
    });
  });
}

/** One line for the failure: the first failing rank's own message, with every rank that gave the same. */
function failureMessage(f: Failure, errors: (string | null)[], nproc: number): string {
  const own = errors[f.rank] ?? null;
  if (f.signal || own === null)
    return `rank ${f.rank} of ${nproc} ${f.signal ? `died (${f.signal})` : `exited with code ${f.code}`}; the other ranks were stopped`;
  const alike = errors.flatMap((e, r) => (e === own ? [r] : []));
  return `${alike.length > 1 ? `ranks ${alike.join(', ')}` : `rank ${f.rank}`} of ${nproc}: ${own.replace(/^error: /, '')}`;
}

export const launch: Command = {
  name: 'launch',
  summary: 'run an ftlab command on N local ranks (a process group over Gloo, or NCCL on GPUs)',
  usage: `ftlab launch --nproc N [--master-port P] -- <ftlab command and its options>

  Starts N processes of the command with WORLD_SIZE=N, RANK and LOCAL_RANK 0..N-1,
  MASTER_ADDR=127.0.0.1 and MASTER_PORT (a free port unless given), as torchrun does;
  \`torchrun --nproc-per-node N --no-python ftlab <command>\` or Slurm with those variables
  exported does the same. Commands that run across ranks: train, search, study.
  A rank that fails ends the others within ${GRACE_MS / 1000} s; launch then prints one line
  (the failing rank's message) and exits 1 (2 when the rank met a bug, 130 when interrupted).
  FTLAB_DIST_TIMEOUT (seconds, default 300) bounds the rendezvous and every collective.`,
  options: { nproc: { type: 'string' }, 'master-port': { type: 'string' } },
  parseHint: 'put the command and its flags after --: ftlab launch --nproc 2 -- train ...',
  allowPositionals: true,
  async run(values, positionals, ctx) {
    const nproc = int(values, 'nproc');
    if (nproc === undefined) throw new UserError('--nproc N is required (how many local ranks to start)');
    const port = int(values, 'master-port') ?? (await freePort());
    if (port > 65535) throw new UserError(`--master-port must be a TCP port (1-65535), got ${port}`);
    const [name, ...args] = positionals;
    if (name === undefined) throw new UserError('give the command after --, e.g. ftlab launch --nproc 2 -- train ...');
    const cmd = ctx.commands.find((c) => c.name === name);
    const across = ctx.commands.filter((c) => c.distributed).map((c) => c.name);
    if (!cmd) throw new UserError(`unknown command '${name}' after -- (ftlab launch runs ${across.join(', ')})`);
    if (!cmd.distributed)
      throw new UserError(`ftlab ${name} does not run across ranks (ftlab launch runs ${across.join(', ')})`);
    if (ownArgs(args).some((a) => a === '--help' || a === '-h')) {
      process.stdout.write(`Usage: ${cmd.usage}\n`);
      return;
    }
    parseFlags(cmd, args); // a flag mistake is one line here, not one per rank
    const children = Array.from({ length: nproc }, (_, rank) =>
      startRank(positionals, {
        ...process.env,
        WORLD_SIZE: String(nproc),
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        LOCAL_WORLD_SIZE: String(nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      }),
    );
    const errors = new RankErrors(children, (s) => process.stderr.write(s));
    const failure = await supervise(children);
    if (!failure) return;
    const message = failureMessage(failure, errors.lines, nproc);
    if (failure.code === INTERRUPT_EXIT) throw new Interrupted(message);
    if (failure.code === 2 && !failure.signal) throw new Error(message);
    throw new UserError(message);
  },
};
