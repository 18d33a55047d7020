// The plan printed at start: stages, arms, and an estimated time from throughput measured
// on this machine (the base model encoding a sample of the collection's passages).
import type { Collection } from '../data/collection.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { Fold } from './data.ts';
import type { StudyOptions } from './options.ts';
import { doseSteps } from './fold-study.ts';

export interface Throughput { passagesPerSecond: number; sample: number }

/** Passages per second of the base model (a warm-up batch first, then a timed one). */
export function measureThroughput(encoder: SentenceEncoder, collection: Collection, n = 48): Throughput {
  const step = Math.max(1, Math.floor(collection.size / (2 * n)));
  const texts = (k: number): string[] => Array.from({ length: Math.min(n, collection.size) }, (_, i) => collection.text(((k * n + i) * step) % collection.size));
  encoder.encode(texts(0).slice(0, 8));
  const t0 = performance.now();
  encoder.encode(texts(1));
  return { passagesPerSecond: texts(1).length / Math.max(1e-6, (performance.now() - t0) / 1000), sample: texts(1).length };
}

export interface PlanLine { stage: string; passages: number; seconds: number }

/**
 * Encoding work per stage in passage-equivalents: one training step of B triplets costs about
 * 3 x 3B forward passes (forward + backward ~ 3x a forward; queries are shorter than passages,
 * so this is an upper bound); the recipe adds the frozen model's 3B.
 */
export function planStudy(folds: Fold[], o: StudyOptions, t: Throughput, miningPassages: number): PlanLine[] {
  const lines: PlanLine[] = [];
  const add = (stage: string, passages: number): void => { lines.push({ stage, passages, seconds: passages / t.passagesPerSecond }); };
  const trained = o.arms.filter((a) => a.kind !== 'base');
  for (const f of folds) {
    const test = f.testRun ? [...f.test.queries.keys()].reduce((s, q) => s + Math.min(o.rerankDepth, f.testRun!.queries.get(q)?.length ?? 0), 0) : 0;
    const val = f.trainRun ? [...f.validation.queries.keys()].reduce((s, q) => s + Math.min(o.rerankDepth, f.trainRun!.queries.get(q)?.length ?? 0), 0) : 0;
    const dosePts = doseSteps(o.dose, o.steps).filter((d) => d.step > 0).length;
    const evalPts = Math.min(o.steps, 4);
    add(`${f.name}: mine negatives (base over ${miningPassages} passages)`, trained.length > 0 ? miningPassages : 0);
    add(`${f.name}: base on the test fold`, o.protocols.includes('rerank') ? test : 0);
    for (const a of trained) {
      add(`${f.name}: train ${a.name} (${o.steps} steps x ${o.batchSize}) + ${dosePts} test snapshots + ${evalPts} validations`,
        o.steps * o.batchSize * (a.kind === 'recipe' ? 12 : 9) + dosePts * test + evalPts * val);
    }
    if (o.protocols.includes('dense')) add(`${f.name}: dense over the collection (${o.arms.length} models)`, o.arms.length * f.collection.size);
  }
  add(`timing (${o.timingQueries} queries, 4 models, ${o.timingRepeats} repeats + warm-up)`, Math.round((o.timingQueries * 4 * (o.timingRepeats + 1)) / 6));
  add(`geometry (${o.geometryPairs} pairs, ${o.arms.length} models)`, o.geometryPairs * o.arms.length);
  return lines;
}

export function formatPlan(lines: PlanLine[], t: Throughput, o: StudyOptions): string[] {
  const total = lines.reduce((s, l) => s + l.seconds, 0);
  return [
    `study plan (preset ${o.preset}, config ${o.config}, seed ${o.seed}; arms: ${o.arms.map((a) => a.name).join(', ')})`,
    `  measured: ${t.passagesPerSecond.toFixed(1)} passages/s with the base model on ${o.device ?? 'cpu'} (${t.sample} passages)`,
    ...lines.filter((l) => l.passages > 0).map((l) => `  ${l.stage}: ~${fmt(l.seconds)}`),
    `  estimated total: ~${fmt(total)} (stages found in the run folder's cache are skipped)`,
  ];
}

function fmt(secs: number): string {
  const s = Math.round(secs);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
