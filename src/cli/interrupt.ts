// Ctrl-C and SIGTERM. A command that can stop cleanly (train) gets an AbortSignal: the first
// signal asks it to stop at the next safe point; a second exits at once. Other commands exit
// at once. Exiting runs the 'exit' handlers, which remove half-written temp files.
import { removePendingTemps } from '../io/atomic-file.ts';

export const INTERRUPT_EXIT = 130;

export interface InterruptOptions {
  graceful: boolean;
  exit?: (code: number) => void; // tests replace process.exit
  write?: (line: string) => void;
}

/** Installs SIGINT/SIGTERM handlers; returns the signal and a function that removes them. */
export function handleInterrupts(o: InterruptOptions): { signal: AbortSignal; uninstall: () => void } {
  const controller = new AbortController();
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (o.graceful && count === 1) {
      write(`\nftlab: ${sig}: stopping at the next step boundary to save a checkpoint (press Ctrl-C again to quit now)\n`);
      controller.abort(sig);
      return;
    }
    removePendingTemps();
    exit(INTERRUPT_EXIT);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    uninstall: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
