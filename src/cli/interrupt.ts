// Ctrl-C and SIGTERM. Outside `gracefully()` no handler is installed, so the OS default ends
// the process at once, even in the middle of a long synchronous loop (a JavaScript signal
// handler would run only when the event loop next turns: after the loop, minutes later).
// Output files are written to temp files and renamed (src/io/atomic-file.ts); a temp file
// left by a killed process is removed by the next write of the same target, and finished
// work (cache shards, study stages, checkpoints) is kept.
//
// Inside `gracefully(fn)` (training, whose loop yields to the event loop after every step),
// the first signal aborts fn's AbortSignal so it can save a checkpoint at the next step, and
// removes the handlers: a second signal gets the OS default and ends the process at once,
// even inside a synchronous step (a half-written checkpoint is removed by the next run).

export const INTERRUPT_EXIT = 130;

export interface InterruptOptions {
  write?: (line: string) => void; // tests capture the message
}

/** Installs graceful SIGINT/SIGTERM handlers; returns the signal and a function that removes them. */
export function handleInterrupts(o: InterruptOptions = {}): { signal: AbortSignal; uninstall: () => void } {
  const controller = new AbortController();
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  const uninstall = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    write(
      `\nftlab: ${sig}: stopping at the next step boundary to save a checkpoint (press Ctrl-C again to quit now)\n`,
    );
    controller.abort(sig);
    uninstall();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, uninstall };
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
