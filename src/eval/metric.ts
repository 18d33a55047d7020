// Metric identifiers as in ir_measures: `NAME(param=value)@cutoff`, e.g. `RR@10`,
// `RR(rel=2)@10`, `nDCG@10`, `R(rel=2)@100`, `P@10`, `AP`, `AP@100`. One parser; the
// canonical string omits defaults (rel=1) and is what the CLI, JSON and reports print.
import { UserError } from '../errors.ts';

export type MeasureName = 'RR' | 'nDCG' | 'R' | 'P' | 'AP' | 'Judged';

export interface Metric {
  name: MeasureName;
  rel: number; // minimum grade counted as relevant (binary measures)
  cutoff: number | null; // @k; null = the whole ranking
}

const NAMES: MeasureName[] = ['RR', 'nDCG', 'R', 'P', 'AP', 'Judged'];
const NEEDS_CUTOFF = new Set<MeasureName>(['P', 'R', 'Judged']);

export function parseMetric(s: string): Metric {
  const m = /^([A-Za-z]+)(?:\(([^)]*)\))?(?:@(\d+))?$/.exec(s.trim());
  const name = m?.[1] as MeasureName | undefined;
  if (!m || !name || !NAMES.includes(name)) {
    throw new UserError(
      `unknown metric '${s}' (known: RR@k, nDCG@k, R@k, P@k, AP, AP@k, Judged@k; options like RR(rel=2)@10)`,
    );
  }
  let rel = 1;
  for (const kv of (m[2] ?? '').split(',').filter((x) => x.trim().length > 0)) {
    const [k, v] = kv.split('=').map((x) => x.trim());
    if (k !== 'rel' || v === undefined || !/^-?\d+$/.test(v))
      throw new UserError(`metric '${s}': the only option is rel=<integer grade>`);
    if (name === 'nDCG' || name === 'Judged')
      throw new UserError(
        `metric '${s}': ${name === 'nDCG' ? 'nDCG uses graded gains' : 'Judged counts any judgment'}; rel= does not apply`,
      );
    rel = Number(v);
  }
  const cutoff = m[3] === undefined ? null : Number(m[3]);
  if (cutoff === 0) throw new UserError(`metric '${s}': the cutoff must be >= 1`);
  if (cutoff === null && NEEDS_CUTOFF.has(name)) throw new UserError(`metric '${s}' needs a cutoff, e.g. ${name}@100`);
  return { name, rel, cutoff };
}

export function metricString(m: Metric): string {
  return `${m.name}${m.rel !== 1 ? `(rel=${m.rel})` : ''}${m.cutoff !== null ? `@${m.cutoff}` : ''}`;
}

export function parseMetrics(list: string): Metric[] {
  const out = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseMetric);
  if (out.length === 0) throw new UserError('no metrics given');
  return out;
}
