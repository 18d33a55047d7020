// ftlab launch: N local ranks of one ftlab command, for users without torchrun. Each rank gets
// the environment torchrun would set (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
// A rank that exits non-zero or dies ends the others (SIGTERM, then SIGKILL after a grace
// period) with one line, exit 1.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Command } from '../command.ts';
import { int, str } from '../command.ts';
import { UserError } from '../../errors.ts';

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
  // the same Node and loader (tsx) this process runs with
  return spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { env, stdio: 'inherit' });
}

/** Waits for every rank; on the first failure stops the rest. Resolves to the exit code. */
function supervise(children: ChildProcess[], write: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let running = children.length;
    let failed = false;
    children.forEach((child, rank) => {
      child.on('exit', (code, signal) => {
        running--;
        if ((code !== 0 || signal) && !failed) {
          failed = true;
          write(
            `ftlab launch: rank ${rank} ${signal ? `died (${signal})` : `exited with code ${code}`}; stopping the other ranks\n`,
          );
          for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
          setTimeout(() => {
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
          }, GRACE_MS).unref();
        }
        if (running === 0) resolve(failed ? 1 : 0);
      });
    });
  });
}

export const launch: Command = {
  name: 'launch',
  summary: 'run an ftlab command on N local ranks (a process group over Gloo, or NCCL on GPUs)',
  usage: `ftlab launch --nproc N [--master-port P] -- <ftlab command and its options>

  Starts N processes of the command with WORLD_SIZE=N, RANK and LOCAL_RANK 0..N-1,
  MASTER_ADDR=127.0.0.1 and MASTER_PORT (a free port unless given), as torchrun does;
  \`torchrun --nproc-per-node N --no-python ftlab <command>\` or Slurm with those variables
  exported does the same. Commands that run across ranks: train, embed, search.
  A rank that fails ends the others within ${GRACE_MS / 1000} s; launch then exits 1.
  FTLAB_DIST_TIMEOUT (seconds, default 300) bounds the rendezvous and every collective.`,
  options: { nproc: { type: 'string' }, 'master-port': { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals) {
    const nproc = int(values, 'nproc') ?? 0;
    if (nproc < 1) throw new UserError('--nproc N is required');
    if (positionals.length === 0)
      throw new UserError('give the command after --, e.g. ftlab launch --nproc 2 -- train ...');
    if (positionals[0] === 'launch') throw new UserError('launch cannot launch itself');
    const port = str(values, 'master-port') ? int(values, 'master-port')! : await freePort();
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
    const code = await supervise(children, (line) => process.stderr.write(line));
    if (code !== 0) throw new UserError(`${positionals[0]} failed on ${nproc} ranks`);
  },
};
