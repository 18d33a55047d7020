// Errors a user can fix. The CLI prints their message alone (no stack trace) and exits 1;
// anything else is a bug and keeps its stack.

export class UserError extends Error {
  override readonly name = 'UserError';
}

/**
 * A problem at a place in a file: printed as `file:line: message`, or
 * `file:12 and file:40: message` when an earlier line conflicts with this one.
 */
export class InputError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
    readonly earlierLine?: number,
  ) {
    super(
      line === null
        ? `${file}: ${detail}`
        : earlierLine !== undefined
          ? `${file}:${earlierLine} and ${file}:${line}: ${detail}`
          : `${file}:${line}: ${detail}`,
    );
  }
}

/** Ctrl-C / SIGTERM stopped the work cleanly (checkpoint written): exit 130. */
export class Interrupted extends UserError {
  readonly exitCode = 130;
}

/** How `ftlab train` continues an interrupted run (the study says its own). */
const TRAINER_RESUME = 'run the same command with --resume to continue';

/** The trainer stopped at a step boundary (Ctrl-C) with a checkpoint saved; callers read the fields, not the text. */
export class TrainingInterrupted extends Interrupted {
  constructor(
    readonly step: number,
    readonly totalSteps: number,
    readonly checkpoint: string,
  ) {
    super(`interrupted at step ${step} of ${totalSteps}: checkpoint saved in ${checkpoint}; ${TRAINER_RESUME}`);
  }

  /** Where it stopped, without the advice on continuing. */
  get where(): string {
    return `interrupted at step ${this.step} of ${this.totalSteps}: checkpoint saved in ${this.checkpoint}`;
  }
}
