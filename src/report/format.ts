// Every number the report prints goes through here, so the page, report.md and the tests
// (which search the page text for these strings) agree on one spelling of each value.

export const MISSING = '–';

/** A metric or any [0, 1]-ish quantity: 3 decimals. */
export function fixed(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s; // no "-0.000"
}

/** A difference: always signed, so "+0.012" and "-0.004" read as deltas. */
export function signed(x: number | null | undefined, digits = 3): string {
  const s = fixed(x, digits);
  return s === MISSING || s.startsWith('-') ? s : `+${s}`;
}

export function ci(interval: [number, number] | null | undefined, digits = 3): string {
  return interval ? `[${signed(interval[0], digits)}, ${signed(interval[1], digits)}]` : MISSING;
}

export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return MISSING;
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** Durations: three significant digits, never scientific notation. */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return MISSING;
  const a = Math.abs(s);
  return s.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** Wall time for logs and plans: "42s", "3m07s", "1h05m" (the study's plan and the progress bar). */
/** Durations for people: one formatter for the CLI, the plan and the report (src/duration.ts). */
export { formatDuration } from '../duration.ts';

/** A share as a percentage: percent(0.0065, 2) = "0.65%". */
export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  return `${(100 * x).toFixed(digits)}%`;
}

export function rate(q: number | null | undefined): string {
  if (q === null || q === undefined || !Number.isFinite(q)) return MISSING;
  return q.toFixed(q >= 100 ? 0 : q >= 10 ? 1 : 2);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? MISSING : String(Math.round(n));
}

/** Learning rates and other small hyper-parameters: "2e-5". */
export function sci(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  return x === 0 ? '0' : x.toExponential().replace(/\.?0*e\+?/, 'e');
}

/** A confidence level from its alpha: 0.05 -> "95%", 0.05 / 6 -> "99.2%". */
export function level(alpha: number): string {
  return `${(100 * (1 - alpha)).toFixed(1).replace(/\.0$/, '')}%`;
}

/** A hyper-parameter value as tried: small or large ones in scientific notation ("2e-5"), others plain. */
export function paramValue(x: number): string {
  return x !== 0 && (Math.abs(x) < 0.01 || Math.abs(x) >= 1e4) ? sci(x) : String(x);
}
