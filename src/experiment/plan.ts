// The plan printed at start: stages, arms, and an estimated time from throughput measured
// on this machine (the base model encoding a sample of the collection's passages).
import { formatDuration } from '../duration.ts';
import type { Collection } from '../data/collection.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { Fold } from './data.ts';
import type { StudyOptions } from './options.ts';
import { doseSteps } from './fold-study.ts';
import { armShape, describeShape, tripletCost, unitSteps } from './arm-shape.ts';
import { SWEEPS } from './sweeps.ts';

export interface Throughput {
  passagesPerSecond: number;
  sample: number;
  /** Passages per second of the base model in the study's --precision (absent: fp32, the same rate). */
  evaluation?: number;
}

/**
 * Passages per second of the base model (a warm-up batch first, then a timed one). The
 * timed sample is large enough for length-sorted batching to work as in the real stages:
 * 48 passages measured 62-72/s on the 2-core VM where the stages ran at ~97/s; 256: ~89/s.
 */
export function measureThroughput(encoder: SentenceEncoder, collection: Collection, n = 256): Throughput {
  const step = Math.max(1, Math.floor(collection.size / (2 * n)));
  const texts = (k: number): string[] =>
    Array.from({ length: Math.min(n, collection.size) }, (_, i) =>
      collection.text(((k * n + i) * step) % collection.size),
    );
  encoder.encode(texts(0).slice(0, 32), 'passage');
  const sample = texts(1);
  const t0 = performance.now();
  encoder.encode(sample, 'passage');
  return { passagesPerSecond: sample.length / Math.max(1e-6, (performance.now() - t0) / 1000), sample: sample.length };
}

export interface PlanLine {
  stage: string;
  passages: number;
  seconds: number;
  /** Units (training, sweeps, their evaluations): across workers each runs where it is claimed. */
  spread?: boolean;
}

/**
 * A timing query costs ~1/6 of a passage (queries are short). UMAP is plain JavaScript, not the
 * engine: ~14 ms per point there, added as seconds. Training's costs: arm-shape.ts (tripletCost).
 */
const TIMING_QUERY_COST = 1 / 6;
const UMAP_SECONDS_PER_POINT = 0.014;

/** What the plan knows before mining: passages the hard-negative search encodes, each fold's training triples. */
export interface PlannedWork {
  miningPassages: number;
  triples: (fold: Fold) => number;
}

export function planStudy(folds: Fold[], o: StudyOptions, t: Throughput, work: PlannedWork): PlanLine[] {
  const miningPassages = work.miningPassages;
  const lines: PlanLine[] = [];
  const add = (stage: string, passages: number, extraSeconds = 0, rate = t.passagesPerSecond): void => {
    lines.push({ stage, passages, seconds: passages / rate + extraSeconds });
  };
  const unit = (stage: string, passages: number): void => {
    lines.push({ stage, passages, seconds: passages / t.passagesPerSecond, spread: true });
  };
  // evaluation encodes run in --precision (training, its snapshots and mining in fp32)
  const evaluate = (stage: string, passages: number, extraSeconds = 0): void =>
    add(stage, passages, extraSeconds, t.evaluation ?? t.passagesPerSecond);
  const trained = o.arms.filter((a) => a.kind !== 'base');
  for (const f of folds) {
    const test = f.testRun
      ? [...f.test.queries.keys()].reduce(
          (s, q) => s + Math.min(o.rerankDepth, f.testRun!.queries.get(q)?.length ?? 0),
          0,
        )
      : 0;
    const val = f.trainRun
      ? [...f.validation.queries.keys()].reduce(
          (s, q) => s + Math.min(o.validationDepth, f.trainRun!.queries.get(q)?.length ?? 0),
          0,
        )
      : 0;
    const triples = work.triples(f);
    add(`${f.name}: mine negatives (base over ${miningPassages} passages)`, trained.length > 0 ? miningPassages : 0);
    evaluate(`${f.name}: base on the test fold`, o.protocols.includes('rerank') ? test : 0);
    for (const a of trained) {
      const steps = unitSteps(o, a, triples);
      const shape = armShape(o, a);
      // the last step is always snapshot; the first seed also snapshots the dose curve
      const curve = new Set([...doseSteps(o.dose, steps).map((d) => d.step), steps].filter((s) => s > 0)).size;
      const evals = Math.min(steps, 4) + 1; // validations, step 0 included
      const run = (snapshots: number): number =>
        steps * shape.batchSize * tripletCost(a) + snapshots * test + evals * val;
      // a swept arm's first seed is its sweep's run of the chosen value
      const sweep = o.sweeps ? SWEEPS.find((s) => s.arm === a.name) : undefined;
      if (sweep)
        unit(
          `${f.name}: sweep ${a.name} ${sweep.parameter} (${sweep.values.length} values x ${describeShape(shape, steps)}` +
            `, chosen on validation; the chosen value's run is the first seed) + ${curve} test snapshots + ${evals} validations each`,
          sweep.values.length * run(curve),
        );
      const first = sweep ? 0 : 1;
      const later = o.seeds - 1;
      if (first + later === 0) continue;
      const seeds = sweep ? `${later} more seed${later > 1 ? 's' : ''} x ` : o.seeds > 1 ? `${o.seeds} seeds x ` : '';
      unit(
        `${f.name}: train ${a.name} (${seeds}${describeShape(shape, steps)}) + ` +
          `${first * curve + later} test snapshots + ${(first + later) * evals} validations`,
        first * run(curve) + later * run(1),
      );
    }
    // training's snapshots are fp32: in another precision each unit's chosen and final checkpoints are evaluated again
    if (o.precision !== 'fp32' && o.protocols.includes('rerank'))
      evaluate(
        `${f.name}: chosen and final checkpoints on the test fold in ${o.precision} (${trained.length * o.seeds} units)`,
        2 * trained.length * o.seeds * test,
      );
    if (o.protocols.includes('dense'))
      evaluate(`${f.name}: dense over the collection (${o.arms.length} models)`, o.arms.length * f.collection.size);
  }
  evaluate(
    `timing (${o.timingQueries} queries, 4 models, ${o.timingRepeats} repeats + warm-up)`,
    Math.round(o.timingQueries * 4 * (o.timingRepeats + 1) * TIMING_QUERY_COST),
  );
  const points = 2 * o.geometryPairs * o.arms.length; // a query and a passage per pair, per model
  evaluate(
    `geometry (${o.geometryPairs} pairs, ${o.arms.length} models${o.umap ? ', UMAP' : ''})`,
    points / 2,
    o.umap ? points * UMAP_SECONDS_PER_POINT : 0,
  );
  return lines;
}

/** The plan's lines and total; across `workers`, the units' time shared among them (at best: evenly). */
export function formatPlan(lines: PlanLine[], t: Throughput, o: StudyOptions, workers = 1): string[] {
  const total = lines.reduce((s, l) => s + l.seconds, 0);
  const units = lines.reduce((s, l) => s + (l.spread ? l.seconds : 0), 0);
  const across =
    workers > 1
      ? [
          `  across ${workers} workers (each measured as above): ~${formatDuration(total - units + units / workers)} ` +
            `if the units (training, sweeps) divide evenly; ~${formatDuration(units)} of them, the rest on rank 0`,
        ]
      : [];
  const arms = o.arms.map((a) => a.name).join(', ');
  const device = o.device ?? 'cpu';
  return [
    `study plan (preset ${o.preset}, config ${o.config}, seeds ${seedList(o)}, ${length(o)}; arms: ${arms})`,
    `  measured: ${t.passagesPerSecond.toFixed(1)} passages/s with the base model on ${device} (${t.sample} passages)` +
      (t.evaluation !== undefined ? `; ${t.evaluation.toFixed(1)} in ${o.precision} (evaluation encodes)` : ''),
    ...lines.filter((l) => l.passages > 0).map((l) => `  ${l.stage}: ~${formatDuration(l.seconds)}`),
    `  estimated total: ~${formatDuration(total)} (stages found in the run folder's cache are skipped)`,
    ...across,
  ];
}

function seedList(o: Pick<StudyOptions, 'seed' | 'seeds'>): string {
  return o.seeds > 1 ? `${o.seed}..${o.seed + o.seeds - 1}` : `${o.seed}`;
}

function length(o: Pick<StudyOptions, 'steps' | 'epochs' | 'perArm' | 'negativesPerPositive'>): string {
  if (o.epochs === null) return `${o.steps} steps`;
  const own = Object.entries(o.perArm ?? {}).flatMap(([a, s]) =>
    s.epochs === undefined ? [] : [`, ${a} ${s.epochs}`],
  );
  return `${o.epochs} epochs${own.join('')}, ${o.negativesPerPositive} negatives per positive`;
}
