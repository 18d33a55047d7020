// A progress bar with rate and ETA on stderr. On a terminal it redraws in place (at most
// 10 times a second); elsewhere (logs, CI) it prints a line every 10%.
import { formatDuration } from '../report/format.ts';

export class Progress {
  readonly #start = performance.now();
  #lastDraw = 0;
  #lastPct = -1;
  readonly #tty: boolean;

  constructor(
    readonly label: string,
    public total: number,
    readonly unit = 'items',
    readonly stream: NodeJS.WriteStream = process.stderr,
    readonly enabled = true,
  ) {
    this.#tty = Boolean(stream.isTTY);
  }

  update(done: number, extra = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
    const pct = this.total > 0 ? Math.floor((100 * done) / this.total) : 100;
    const finished = done >= this.total;
    if (this.#tty) {
      if (!finished && now - this.#lastDraw < 100) return;
    } else if (!finished && Math.floor(pct / 10) === Math.floor(this.#lastPct / 10)) {
      return;
    }
    this.#lastDraw = now;
    this.#lastPct = pct;
    const secs = (now - this.#start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const width = 24;
    const fill = Math.round((width * Math.min(done, this.total)) / Math.max(this.total, 1));
    const bar = '#'.repeat(fill) + '.'.repeat(width - fill);
    const line =
      `${this.label} [${bar}] ${pct}% ${done}/${this.total} ${rate.toFixed(1)} ${this.unit}/s ` +
      `${finished ? `in ${formatDuration(secs)}` : `ETA ${formatDuration(eta)}`}${extra ? ` ${extra}` : ''}`;
    this.stream.write(this.#tty ? `\r\x1b[K${line}${finished ? '\n' : ''}` : `${line}\n`);
  }
}
