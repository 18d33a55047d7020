// Ctrl-C and SIGTERM. Outside `gracefully()` no handler is installed, so the OS default ends
// the process at once, even in the middle of a long synchronous loop (a JavaScript signal
// handler would run only when the event loop next turns: after the loop, minutes later).
// Output files are written to temp files and renamed (src/io/atomic-file.ts); a temp file
// left by a killed process is removed by the next write of the same target, and finished
// work (cache shards, study stages, checkpoints) is kept.
//
// Inside `gracefully(fn)` (training, whose loop yields to the event loop after every step),
// the first signal aborts fn's AbortSignal so it can save a checkpoint at the next step; a
// second exits at once, removing half-written temp files.
import { removePendingTemps } from '../io/atomic-file.ts';

export const INTERRUPT_EXIT = 130;

export interface InterruptOptions {
  exit?: (code: number) => void; // tests replace process.exit
  write?: (line: string) => void;
}

/** Installs graceful SIGINT/SIGTERM handlers; returns the signal and a function that removes them. */
export function handleInterrupts(o: InterruptOptions = {}): { signal: AbortSignal; uninstall: () => void } {
  const controller = new AbortController();
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  let count = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
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

/** Runs fn with graceful interrupts (see above); the handlers are removed when it settles. */
export async function gracefully<T>(fn: (signal: AbortSignal) => Promise<T>, o: InterruptOptions = {}): Promise<T> {
  const h = handleInterrupts(o);
  try {
    return await fn(h.signal);
  } finally {
    h.uninstall();
  }
}
