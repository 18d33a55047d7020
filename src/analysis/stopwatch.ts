// Wall-clock timing helpers: a clock that waits for queued GPU work before reading the time
// (CPU work is synchronous already), and median / min / max over repeats.
import { synchronize } from '../engine/index.ts';

/** Seconds since `start` (a performance.now() value), after the device has finished. */
export function elapsed(start: number): number {
  synchronize();
  return (performance.now() - start) / 1000;
}

/** Runs fn and returns [its result, seconds], the device synchronised before and after. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  synchronize();
  const t = performance.now();
  const r = await fn();
  return [r, elapsed(t)];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error('spread of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return { median: s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}
