// The one place the study meets APIs other parts of ftlab are landing in parallel
// (/work/briefs/apis.md): compareTable (src/eval/compare.ts), summarizeTraining, readCurves,
// runTiming, runGeometry (src/analysis/). Each is called here with its agreed signature;
// until the real one is on main, an interim version stands in and says so in `INTERIM`.
// At merge time only this file changes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareEvaluations } from '../eval/compare.ts';
import type { ComparisonTable, MetricStats } from '../eval/comparison.ts';
import type { Evaluation } from '../eval/evaluate.ts';
import type { CurvesResult, GeometryResult, TimingResult, TimingRow, TrainingSummary } from '../analysis/types.ts';

/** What stands in for an API not yet landed (shown in results.config.notes). */
export const INTERIM: string[] = [];

export interface CompareOptions { resamples?: number; trials?: number; seed?: number; identical?: string[] }

export function compareTable(names: string[], evals: Evaluation[], o: CompareOptions = {}): ComparisonTable {
  note('statistics: interim paired t / randomisation tests; no bootstrap CI or Holm adjustment until src/eval compareTable lands');
  const trials = o.trials ?? 10_000;
  const seed = o.seed ?? 42;
  const c = compareEvaluations(names, evals, trials, seed);
  const identical = new Set(o.identical ?? []);
  return {
    baseline: names[0]!, queries: c.queries, metrics: c.metrics,
    rows: c.runs.map((r, i) => ({
      model: r.run,
      metrics: Object.fromEntries(c.metrics.map((m) => {
        const v = r.metrics[m]!;
        const same = identical.has(m);
        const stats: MetricStats = {
          mean: v.mean, delta: i === 0 ? null : v.delta ?? null, ci95: null,
          pTTest: i === 0 || same ? null : v.pTTest ?? null, pRandomisation: i === 0 || same ? null : v.pRandomisation ?? null,
          pHolm: null, identicalByConstruction: same,
        };
        return [m, stats];
      })),
    })),
    bootstrap: { resamples: 0, seed, level: 0.95 },
    randomisation: { trials, seed },
    adjustment: { method: 'holm', comparisons: 0 },
  };
}

interface LogLine { type: string; step: number; loss?: number; lr?: number; gradNorm?: number; tripletAccuracy?: number; evalLoss?: number; [k: string]: unknown }

function readLog(dir: string): LogLine[] {
  const f = join(dir, 'log.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as LogLine);
}

export function summarizeTraining(dir: string, label: string): TrainingSummary {
  note('Table III: interim summary read by the study until src/analysis summarizeTraining lands');
  const log = readLog(dir);
  const steps = log.filter((l) => l.type === 'step');
  const evals = log.filter((l) => l.type === 'eval');
  const info = JSON.parse(readFileSync(join(dir, 'ftlab.json'), 'utf8')) as { training?: { lora?: unknown; loss?: string; step?: number; evalTriples?: number } };
  const tail = Math.max(1, Math.ceil(steps.length / 100));
  const last = steps.slice(-tail);
  const lastEval = evals[evals.length - 1];
  const best = evals.reduce<LogLine | null>((b, e) => (typeof e['nDCG@10'] === 'number' && (!b || (e['nDCG@10'] as number) > (b['nDCG@10'] as number)) ? e : b), null);
  return {
    model: label, modelPath: dir, method: info.training?.lora ? 'lora' : 'full', loss: String(info.training?.loss ?? ''),
    steps: steps.length, finalLoss: last.reduce((s, l) => s + (l.loss ?? 0), 0) / Math.max(1, last.length), finalLossSteps: last.length,
    heldOutTriples: 0, heldOutQueries: 0, tripletAccuracy: lastEval && Number.isFinite(lastEval.tripletAccuracy) ? lastEval.tripletAccuracy! : null,
    validation: best ? { metric: 'nDCG@10', value: best['nDCG@10'] as number, step: best.step } : null, trainSeconds: null,
  };
}

export function readCurves(runs: { label: string; dir: string }[], alpha = 0.1): CurvesResult {
  note('curves: interim reader until src/analysis readCurves lands');
  return {
    smoothing: { method: 'ema', alpha },
    series: runs.map(({ label, dir }) => {
      const log = readLog(dir);
      const steps = log.filter((l) => l.type === 'step');
      let ema = NaN;
      const smoothed = steps.map((l) => (ema = Number.isNaN(ema) ? l.loss! : alpha * l.loss! + (1 - alpha) * ema));
      return {
        model: label, steps: steps.map((l) => l.step), loss: steps.map((l) => l.loss!), lossSmoothed: smoothed, lr: steps.map((l) => l.lr!), gradNorm: steps.map((l) => l.gradNorm!),
        evals: log.filter((l) => l.type === 'eval').map((e) => ({
          step: e.step, tripletAccuracy: Number.isFinite(e.tripletAccuracy) ? e.tripletAccuracy! : null, evalLoss: Number.isFinite(e.evalLoss) ? e.evalLoss! : null,
          metrics: Object.fromEntries(Object.entries(e).filter(([k, v]) => !['type', 'step', 'tripletAccuracy', 'evalLoss'].includes(k) && typeof v === 'number')) as Record<string, number>,
        })),
      };
    }),
  };
}

export interface TimingModelSpec { label: string; spec: string; variant: TimingRow['variant'] }
export interface TimingOptions {
  models: TimingModelSpec[];
  queriesFile: string;
  n: number;
  k: number;
  repeats: number;
  passages: { collectionPath: string } | { embeddingsNpy: string } | { synthetic: number };
  paperProtocol: boolean;
  seed: number;
  cacheDir?: string | null;
  device?: string;
  batchSize?: number;
  log?: (line: string) => void;
}

export async function runTiming(o: TimingOptions): Promise<TimingResult | null> {
  note(`timing (Table II) not run: src/analysis runTiming has not landed (${o.models.length} models, ${o.n} queries planned)`);
  return null;
}

export interface GeometryOptions {
  models: { label: string; spec: string }[];
  queriesFile: string; qrelsFile: string; collectionPath: string;
  n: number; minGrade: number; seed: number; umap?: boolean; device?: string; log?: (line: string) => void;
}

export async function runGeometry(o: GeometryOptions): Promise<GeometryResult | null> {
  note(`geometry (Figure 1) not run: src/analysis runGeometry has not landed (${o.models.length} models, ${o.n} pairs planned)`);
  return null;
}

function note(line: string): void {
  if (!INTERIM.includes(line)) INTERIM.push(line);
}
