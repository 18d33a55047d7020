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
import type { StudyParallel } from './work-units.ts';

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

/**
 * When a stage runs (fold-study.ts): the folds' shared stages (one worker a fold), every fold's
 * sweep values, every fold's units, each phase waiting for the last; then rank 0's analysis.
 */
export type PlanPhase = 'prepare' | 'sweeps' | 'units' | 'analysis';

export interface PlanLine {
  stage: string;
  passages: number;
  seconds: number;
  phase: PlanPhase;
  /** The seconds of each piece a worker claims alone (a sweep's values, an arm's seeds); absent: one piece. */
  pieces?: number[];
  /** A prepare stage's fold: a fold's stages run on one worker, one after another. */
  fold?: string;
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

/** Work in passages, and its seconds at the rate it runs at. */
interface Cost {
  passages: number;
  seconds: number;
}

const plus = (a: Cost, b: Cost): Cost => ({ passages: a.passages + b.passages, seconds: a.seconds + b.seconds });

export function planStudy(folds: Fold[], o: StudyOptions, t: Throughput, work: PlannedWork): PlanLine[] {
  const lines: PlanLine[] = [];
  const fp32 = (passages: number): Cost => ({ passages, seconds: passages / t.passagesPerSecond });
  // evaluation encodes run in --precision (training, its snapshots, validation and mining in fp32)
  const evaluated = (passages: number): Cost => ({
    passages,
    seconds: passages / (t.evaluation ?? t.passagesPerSecond),
  });
  const prepare = (fold: string, stage: string, c: Cost): void => {
    if (c.passages > 0) lines.push({ stage, ...c, phase: 'prepare', fold });
  };
  /** Pieces each claimed by one worker. */
  const spread = (phase: 'sweeps' | 'units', stage: string, pieces: Cost[]): void => {
    const total = pieces.reduce(plus, { passages: 0, seconds: 0 });
    lines.push({ stage, ...total, phase, pieces: pieces.map((p) => p.seconds) });
  };
  const trained = o.arms.filter((a) => a.kind !== 'base');
  for (const f of folds) {
    const { test, val } = candidatesOf(f, o);
    if (trained.length > 0)
      prepare(
        f.name,
        `${f.name}: mine negatives (base over ${work.miningPassages} passages)`,
        fp32(work.miningPassages),
      );
    if (o.protocols.includes('rerank')) prepare(f.name, `${f.name}: base on the test fold`, evaluated(test));
    // every unit's step 0 is the base: its validation is scored once a fold (normalised and not)
    if (trained.length > 0) prepare(f.name, `${f.name}: base on the validation queries`, fp32(2 * val));
    // a unit's evaluations after its training, on its worker: training's snapshots are fp32, so another
    // precision evaluates its chosen and final checkpoints again; dense retrieval encodes the collection
    const again = o.precision !== 'fp32' && o.protocols.includes('rerank');
    const dense = o.protocols.includes('dense');
    const after = evaluated((again ? 2 * test : 0) + (dense ? f.collection.size : 0));
    const afterText =
      (again ? ` + chosen and final checkpoints in ${o.precision}` : '') +
      (dense ? ' + dense over the collection' : '');
    for (const a of trained) {
      const steps = unitSteps(o, a, work.triples(f));
      const shape = armShape(o, a);
      // the last step is always snapshot; the first seed also snapshots the dose curve
      const curve = new Set([...doseSteps(o.dose, steps).map((d) => d.step), steps].filter((s) => s > 0)).size;
      const evals = Math.min(steps, 4); // validations after step 0
      const run = (snapshots: number): Cost =>
        fp32(steps * shape.batchSize * tripletCost(a) + snapshots * test + evals * val);
      // a swept arm's first seed is its sweep's run of the chosen value (its evaluations after it: a unit)
      const sweep = o.sweeps ? SWEEPS.find((s) => s.arm === a.name) : undefined;
      if (sweep)
        spread(
          'sweeps',
          `${f.name}: sweep ${a.name} ${sweep.parameter} (${sweep.values.length} values x ${describeShape(shape, steps)}` +
            `, chosen on validation; the chosen value's run is the first seed) + ${curve} test snapshots + ${evals} validations each`,
          sweep.values.map(() => run(curve)),
        );
      const first = sweep ? 0 : 1;
      const later = o.seeds - 1;
      const pieces = [
        ...(sweep && after.passages > 0 ? [after] : []),
        ...Array<Cost>(first).fill(plus(run(curve), after)),
        ...Array<Cost>(later).fill(plus(run(1), after)),
      ];
      if (pieces.length === 0) continue;
      const seeds = sweep ? `${later} more seed${later > 1 ? 's' : ''} x ` : o.seeds > 1 ? `${o.seeds} seeds x ` : '';
      spread(
        'units',
        `${f.name}: train ${a.name} (${seeds}${describeShape(shape, steps)}) + ` +
          `${first * curve + later} test snapshots + ${(first + later) * evals} validations${afterText}`,
        pieces,
      );
    }
    if (dense) spread('units', `${f.name}: base, dense over the collection`, [evaluated(f.collection.size)]);
  }
  const analysis = (stage: string, c: Cost): void => {
    lines.push({ stage, ...c, phase: 'analysis' });
  };
  const timing = Math.round(o.timingQueries * 4 * (o.timingRepeats + 1) * TIMING_QUERY_COST);
  analysis(`timing (${o.timingQueries} queries, 4 models, ${o.timingRepeats} repeats + warm-up)`, evaluated(timing));
  const points = 2 * o.geometryPairs * o.arms.length; // a query and a passage per pair, per model
  const umap = o.umap ? points * UMAP_SECONDS_PER_POINT : 0;
  analysis(
    `geometry (${o.geometryPairs} pairs, ${o.arms.length} models${o.umap ? ', UMAP' : ''})`,
    plus(evaluated(points / 2), { passages: 0, seconds: umap }),
  );
  return lines;
}

/** Passages a fold re-ranks: its test queries' candidates, and its validation queries'. */
function candidatesOf(f: Fold, o: StudyOptions): { test: number; val: number } {
  const sum = (set: Fold['test'], run: Fold['testRun'], depth: number): number =>
    run ? [...set.queries.keys()].reduce((s, q) => s + Math.min(depth, run.queries.get(q)?.length ?? 0), 0) : 0;
  return {
    test: sum(f.test, f.testRun, o.rerankDepth),
    val: sum(f.validation, f.trainRun, o.validationDepth),
  };
}

/**
 * The wall time on `workers`: each phase's pieces claimed longest first by whichever worker is
 * free (as work-units.ts spreads them), a phase starting when the last ended, then rank 0's
 * analysis. Data-parallel: rank 0 prepares the folds one after another, and every worker runs
 * each piece together (at best in 1/workers of its time). One worker: the sum.
 */
export function projectWall(lines: readonly PlanLine[], workers: number, parallel: StudyParallel = 'units'): number {
  const prepared = new Map<string, number>();
  for (const l of lines.filter((x) => x.phase === 'prepare'))
    prepared.set(l.fold ?? l.stage, (prepared.get(l.fold ?? l.stage) ?? 0) + l.seconds);
  const pieces = (phase: PlanPhase) => lines.filter((l) => l.phase === phase).flatMap((l) => l.pieces ?? [l.seconds]);
  const analysis = lines.filter((l) => l.phase === 'analysis').reduce((s, l) => s + l.seconds, 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (parallel === 'data')
    return sum([...prepared.values()]) + sum([...pieces('sweeps'), ...pieces('units')]) / workers + analysis;
  return (
    makespan([...prepared.values()], workers) +
    makespan(pieces('sweeps'), workers) +
    makespan(pieces('units'), workers) +
    analysis
  );
}

/** Longest first, each piece to the worker free soonest: when the last one ends. */
export function makespan(pieces: readonly number[], workers: number): number {
  const free = Array<number>(Math.max(1, workers)).fill(0);
  for (const p of [...pieces].sort((a, b) => b - a)) {
    const w = free.indexOf(Math.min(...free));
    free[w]! += p;
  }
  return Math.max(...free);
}

/** The plan's lines and total; across `workers`, the projected wall time of their schedule. */
export function formatPlan(lines: PlanLine[], t: Throughput, o: StudyOptions, workers = 1): string[] {
  const total = lines.reduce((s, l) => s + l.seconds, 0);
  const spread = lines.reduce((s, l) => s + (l.phase === 'sweeps' || l.phase === 'units' ? l.seconds : 0), 0);
  const parallel = o.parallel ?? 'units';
  const schedule =
    parallel === 'data'
      ? 'each unit on all of them together (data-parallel, at best 1/N of its time), the folds prepared on rank 0'
      : "each phase's pieces claimed longest first (the folds' shared stages, the sweeps, the units)";
  const across =
    workers > 1
      ? [
          `  across ${workers} workers (each measured as above): ~${formatDuration(projectWall(lines, workers, parallel))}, ` +
            `${schedule}; ~${formatDuration(spread)} of sweeps and units, the analysis on rank 0`,
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
