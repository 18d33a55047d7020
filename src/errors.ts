// Errors a user can fix. The CLI prints their message alone (no stack trace) and exits 1;
// anything else is a bug and keeps its stack.

export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A problem at a place in a file: printed as `file:line: message`. */
export class InputError extends UserError {
  constructor(readonly file: string, readonly line: number | null, readonly detail: string) {
    super(line === null ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
  }
}

/** Ctrl-C / SIGTERM stopped the work cleanly (checkpoint written): exit 130. */
export class Interrupted extends UserError {
  readonly exitCode = 130;
}
