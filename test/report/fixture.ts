// A FIXTURE, not a study: a structurally complete StudyResults built from a seeded PRNG
// (several arms, two folds x two protocols, dose points, timing rows with the paper's
// protocol, training summaries, geometry with UMAP points for 3 models, curves), so the
// report can be rendered and checked before a real study's results.json exists. The
// numbers are made up; only their shape and the verdicts they imply are designed:
// full-hard is above the base, full-random below it, lora-hard not significantly different.
// The inference sections (verdicts, design, negatives, sweeps, dose CIs) are computed by the
// library from seeded per-query scores: fixture-inference.ts.
import { Random } from '../../src/data/random.ts';
import {
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type ArmRecord,
  type StudyResults,
  type RetrievalSection,
  type DosePoint,
} from '../../src/report/schema.ts';
import type { ComparisonTable, MetricStats } from '../../src/eval/comparison.ts';
import type { CurveSeries, GeometryModel, TimingRow, TrainingSummary } from '../../src/analysis/types.ts';
import { ALPHA, inference, MARGIN, negatives, SEEDS, sweeps, type Inference } from './fixture-inference.ts';

const METRICS = ['nDCG@10', 'RR(rel=2)@10', 'R@100'];
const FOLDS = [
  { name: 'dl20->dl19', train: 'dl20', test: 'dl19' },
  { name: 'dl19->dl20', train: 'dl19', test: 'dl20' },
];

const ARMS: ArmRecord[] = [
  {
    name: 'base',
    label: 'Base (all-MiniLM-L6-v2)',
    method: 'base',
    negatives: null,
    loss: '–',
    lr: null,
    steps: null,
    batchSize: null,
    trainConfig: null,
    modelPath: null,
  },
  {
    name: 'full-hard',
    label: 'Full FT, hard negatives',
    method: 'full',
    negatives: 'hard',
    loss: 'mnrl(scale 20)',
    lr: 2e-5,
    steps: 200,
    batchSize: 32,
    trainConfig: { lr: 2e-5, steps: 200, batchSize: 32, loss: 'mnrl' },
    modelPath: 'models/full-hard',
  },
  {
    name: 'full-random',
    label: 'Full FT, random negatives',
    method: 'full',
    negatives: 'random',
    loss: 'triplet(euclidean, margin 5)',
    lr: 2e-5,
    steps: 200,
    batchSize: 32,
    trainConfig: { lr: 2e-5, steps: 200, batchSize: 32, loss: 'triplet' },
    modelPath: 'models/full-random',
  },
  {
    name: 'lora-hard',
    label: 'LoRA r=8, hard negatives',
    method: 'lora',
    negatives: 'hard',
    loss: 'mnrl(scale 20)',
    lr: 2e-4,
    steps: 200,
    batchSize: 32,
    trainConfig: { lr: 2e-4, rank: 8, steps: 200 },
    modelPath: 'models/lora-hard',
  },
];

/** Designed direction of each arm: its delta's centre and the CI half-width. */
const EFFECT: Record<string, { centre: number; half: number }> = {
  'full-hard': { centre: 0.045, half: 0.02 },
  'full-random': { centre: -0.04, half: 0.015 },
  'lora-hard': { centre: 0.004, half: 0.03 },
};

const u = (rng: Random, lo: number, hi: number): number => lo + (hi - lo) * rng.next();

function stats(rng: Random, base: number, arm: string | null, identical: boolean): MetricStats {
  if (arm === null)
    return {
      mean: base,
      delta: null,
      ci95: null,
      pTTest: null,
      pRandomisation: null,
      pHolm: null,
      identicalByConstruction: false,
    };
  if (identical)
    return {
      mean: base,
      delta: 0,
      ci95: [0, 0],
      pTTest: null,
      pRandomisation: null,
      pHolm: null,
      identicalByConstruction: true,
    };
  const e = EFFECT[arm]!;
  const delta = e.centre + u(rng, -0.004, 0.004);
  const half = e.half + u(rng, 0, 0.004);
  const covers = Math.abs(delta) <= half;
  const p = covers ? u(rng, 0.3, 0.9) : u(rng, 0.0002, 0.02);
  return {
    mean: base + delta,
    delta,
    ci95: [delta - half, delta + half],
    pTTest: p * 0.9,
    pRandomisation: p,
    pHolm: Math.min(1, p * 3),
    identicalByConstruction: false,
  };
}

function comparison(rng: Random, protocol: 'rerank' | 'dense', queries: number): ComparisonTable {
  const bases = METRICS.map(() => u(rng, 0.45, 0.7));
  return {
    baseline: 'base',
    queries,
    metrics: METRICS,
    rows: ARMS.map((a) => ({
      model: a.name,
      metrics: Object.fromEntries(
        METRICS.map((m, i) => [
          m,
          stats(rng, bases[i]!, a.method === 'base' ? null : a.name, protocol === 'rerank' && m === 'R@100'),
        ]),
      ),
    })),
    bootstrap: { resamples: 10000, seed: 42, level: 0.95 },
    randomisation: { trials: 10000, seed: 42 },
    adjustment: { method: 'holm', comparisons: (ARMS.length - 1) * METRICS.length },
  };
}

function retrieval(rng: Random): RetrievalSection[] {
  return FOLDS.flatMap((f, i) =>
    (['rerank', 'dense'] as const).map((protocol) => ({
      fold: f.name,
      protocol,
      description:
        protocol === 'rerank'
          ? `re-ranking BM25's top-100 over ${f.test.toUpperCase()} (${43 + i * 11} queries)`
          : `dense retrieval over the collection, ${f.test.toUpperCase()} (${43 + i * 11} queries)`,
      table: comparison(rng, protocol, 43 + i * 11),
    })),
  );
}

function dose(rng: Random, sections: RetrievalSection[], inf: Inference): DosePoint[] {
  return FOLDS.flatMap((f) => {
    const base = sections.find((s) => s.fold === f.name && s.protocol === 'rerank')!.table.rows[0]!.metrics['nDCG@10']!
      .mean;
    return ARMS.filter((a) => a.method !== 'base').flatMap((a) =>
      [0, 0.25, 0.5, 1].map((fraction): DosePoint => {
        if (fraction === 0)
          return { fold: f.name, arm: a.name, fraction, step: 0, metrics: { 'nDCG@10': base }, seeds: SEEDS.length };
        const d = inf.doseDelta(f.name, a.name, fraction);
        const jitter = u(rng, -0.001, 0.001); // the snapshot's mean is near, not at, base + delta
        return {
          fold: f.name,
          arm: a.name,
          fraction,
          step: fraction * 200,
          metrics: { 'nDCG@10': base + d.delta + jitter },
          seeds: SEEDS.length,
          delta: d.delta,
          ci: d.ciDifference,
          p: d.pDifference,
        };
      }),
    );
  });
}

function timingRow(rng: Random, model: string, variant: TimingRow['variant'], protocol: 'ftlab' | 'paper'): TimingRow {
  const names: TimingRow['stages'][number]['name'][] =
    protocol === 'paper'
      ? ['load-model', 'read-embeddings', 'tokenize', 'encode', 'similarity', 'topk', 'write-run']
      : ['tokenize', 'encode', 'similarity', 'topk'];
  const stages = names.map((name) => {
    const m = u(rng, 0.05, 4);
    return { name, medianSeconds: m, minSeconds: m * 0.95, maxSeconds: m * 1.08 };
  });
  const total = stages.reduce((s, x) => s + x.medianSeconds, 0) * 1.02;
  return {
    model,
    modelPath: `models/${model}`,
    variant,
    protocol,
    stages,
    totalMedianSeconds: total,
    totalMinSeconds: total * 0.97,
    totalMaxSeconds: total * 1.05,
    qps: 10000 / total,
  };
}

function geometryModel(rng: Random, name: string, isBase: boolean, pairs: number): GeometryModel {
  const spread = isBase ? 3 : 1.5;
  const umap = Array.from({ length: pairs }, (_, pair) => {
    const cx = u(rng, -5, 5);
    const cy = u(rng, -5, 5);
    return [
      { x: cx + u(rng, -spread, spread), y: cy, kind: 'query' as const, pair },
      { x: cx, y: cy + u(rng, -spread, spread), kind: 'passage' as const, pair },
    ];
  }).flat();
  return {
    model: name,
    modelPath: isBase ? 'default' : `models/${name}`,
    alignment: u(rng, 0.4, 0.9),
    uniformity: -u(rng, 2, 3.8),
    anisotropy: u(rng, 0.02, 0.3),
    effectiveRank: u(rng, 40, 300),
    meanPairCosine: u(rng, 0.5, 0.8),
    meanOtherCosine: u(rng, 0.05, 0.2),
    driftFromBase: isBase ? null : u(rng, 0.6, 0.95),
    neighbourOverlapWithBase: isBase ? null : u(rng, 0.2, 0.7),
    umap,
  };
}

function curve(rng: Random, model: string, steps: number, alpha: number): CurveSeries {
  const loss: number[] = [];
  const smooth: number[] = [];
  for (let s = 0; s < steps; s++) {
    const l = 2.5 * Math.exp(-s / 60) + 0.3 + u(rng, -0.25, 0.25);
    loss.push(l);
    smooth.push(s === 0 ? l : alpha * l + (1 - alpha) * smooth[s - 1]!);
  }
  return {
    model,
    steps: loss.map((_, i) => i + 1),
    loss,
    lossSmoothed: smooth,
    lr: loss.map(() => 2e-5),
    gradNorm: loss.map(() => u(rng, 0.5, 3)),
    evals: [0, 50, 100, 150, 200].map((step) => ({
      step,
      tripletAccuracy: 0.7 + step / 1000 + u(rng, -0.01, 0.01),
      evalLoss: 1 - step / 400,
      metrics: { 'nDCG@10': 0.55 + step / 4000 + u(rng, -0.01, 0.01) },
    })),
  };
}

function training(rng: Random): TrainingSummary[] {
  return ARMS.filter((a) => a.method !== 'base').map((a) => ({
    model: a.name,
    modelPath: a.modelPath!,
    method: a.method as 'full' | 'lora',
    loss: a.loss,
    steps: 200,
    finalLoss: u(rng, 0.2, 0.6),
    finalLossSteps: 2,
    heldOutTriples: 480,
    heldOutQueries: 48,
    tripletAccuracy: u(rng, 0.8, 0.95),
    validation: { metric: 'nDCG@10', value: u(rng, 0.5, 0.7), step: 150 },
    trainSeconds: u(rng, 60, 900),
    chosen: { step: 150, tripletAccuracy: u(rng, 0.8, 0.9), evalLoss: u(rng, 0.3, 0.5), metrics: { 'nDCG@10': 0.6 } },
    final: { step: 200, tripletAccuracy: u(rng, 0.8, 0.95), evalLoss: u(rng, 0.2, 0.4), metrics: { 'nDCG@10': 0.59 } },
  }));
}

const inferences = new Map<number, Inference>();
const doses = new Map<string, ReturnType<Inference['doseDelta']>>();
/** The bootstraps take a second: computed once per seed (the rows are cloned into each fixture). */
function inferenceOf(seed: number): Inference {
  let inf = inferences.get(seed);
  if (!inf) {
    inf = inference(seed, FOLDS, [43, 54]);
    inferences.set(seed, inf);
  }
  const doseDelta: Inference['doseDelta'] = (fold, arm, fraction) => {
    const key = `${seed}|${fold}|${arm}|${fraction}`;
    if (!doses.has(key)) doses.set(key, inf.doseDelta(fold, arm, fraction));
    return structuredClone(doses.get(key)!);
  };
  return { verdicts: structuredClone(inf.verdicts), design: { ...inf.design }, doseDelta };
}

/** The fixture; `pairs` UMAP pairs per model (3 models), `steps` curve steps per arm. */
export function fixtureResults(seed = 7, pairs = 60, steps = 200): StudyResults {
  const rng = new Random(seed);
  const sections = retrieval(rng);
  const inf = inferenceOf(seed);
  const alpha = 0.1;
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    config: {
      preset: 'quick',
      config: 'paper-run',
      seed,
      folds: FOLDS,
      validationFraction: 0.1,
      arms: ARMS,
      protocols: ['rerank', 'dense'],
      metrics: METRICS,
      data: [
        {
          role: 'collection',
          path: 'shared/data/msmarco/collection.tsv',
          sha256: 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + '1'.repeat(8),
          lines: 8841823,
        },
        { role: 'test qrels', path: 'shared/data/msmarco/2019qrels-pass.txt', sha256: 'f00d'.repeat(16), lines: 9260 },
      ],
      notes: [
        'FIXTURE: numbers are generated by a seeded PRNG, not measured.',
        'LoRA learning rate 2e-4 (tuned on validation).',
      ],
      paper: { tableI: { 'full-hard': { 'nDCG@10': 0.68 } } },
      seeds: SEEDS,
      equivalenceMargin: MARGIN,
      alpha: ALPHA,
      primaryMetric: 'nDCG@10',
    },
    retrieval: sections,
    dose: dose(rng, sections, inf),
    verdicts: inf.verdicts,
    design: inf.design,
    negatives: negatives(seed, FOLDS),
    sweeps: sweeps(seed, FOLDS),
    timing: {
      queries: 10000,
      queriesFile: 'queries.dev.tsv',
      distinctQueries: 6980,
      cycled: true,
      passages: 100000,
      synthetic: true,
      dim: 384,
      k: 200,
      repeats: 3,
      warmup: true,
      rows: [
        timingRow(rng, 'base', 'base', 'ftlab'),
        timingRow(rng, 'base', 'base', 'paper'),
        timingRow(rng, 'full-hard', 'full', 'ftlab'),
        timingRow(rng, 'lora-hard (unmerged)', 'lora-unmerged', 'ftlab'),
        timingRow(rng, 'lora-hard (merged)', 'lora-merged', 'ftlab'),
      ],
      environment: { threads: 2, device: 'cpu', torch: '1.13.1', blas: 'OpenBLAS', parallel: 'OpenMP 2 threads' },
      notes: ['FIXTURE timing: made-up seconds.'],
      paper: [{ label: 'MiniLM, 10k queries', seconds: 41.3, qps: 242, hardware: 'T4 GPU' }],
    },
    training: training(rng),
    geometry: {
      pairs,
      requestedPairs: pairs,
      skippedNoText: 0,
      skippedNoQuery: 1,
      minGrade: 2,
      seed,
      notes: ['FIXTURE geometry: made-up numbers.'],
      umapParams: {
        library: 'umap-js',
        version: '1.4.0',
        nNeighbors: 15,
        minDist: 0.1,
        metric: 'cosine',
        nEpochs: null,
        seed,
      },
      models: [
        geometryModel(rng, 'base', true, pairs),
        geometryModel(rng, 'full-hard', false, pairs),
        geometryModel(rng, 'lora-hard', false, pairs),
      ],
    },
    curves: {
      smoothing: { method: 'ema', alpha },
      series: ['full-hard', 'full-random', 'lora-hard'].map((m) => curve(rng, m, steps, alpha)),
    },
    environment: {
      ftlab: '0.1.0',
      node: 'v20.19.0',
      torch: '1.13.1',
      blas: 'OpenBLAS',
      threads: 2,
      device: 'cpu',
      cpus: 2,
      os: 'linux x64',
      startedAt: '2026-11-27T21:00:00.000Z',
      wallSeconds: 5123.4,
      stages: [
        { name: 'sample triples', seconds: 12.5, cached: true },
        { name: 'train full-hard', seconds: 1800.2, cached: false },
        { name: 'evaluate', seconds: 95.1, cached: false },
      ],
    },
  };
}
