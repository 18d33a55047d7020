// The shape of results.json (schema.ts) for the checker: only the fields the report reads.
// Sections a run may not have computed (or an older run did not write) may be absent or null.
import type { Shape } from './shape.ts';

const nullableNumber: Shape = { nullable: 'number' };

const metricStats: Shape = {
  object: {
    mean: 'number',
    delta: nullableNumber,
    ci95: { nullable: { tuple: ['number', 'number'] } },
    pTTest: nullableNumber,
    pRandomisation: nullableNumber,
    pHolm: nullableNumber,
    identicalByConstruction: 'boolean',
  },
};

const comparisonTable: Shape = {
  object: {
    baseline: 'string',
    queries: 'number',
    metrics: { array: 'string' },
    rows: { array: { object: { model: 'string', metrics: { record: metricStats } } } },
  },
};

const arm: Shape = {
  object: {
    name: 'string',
    label: 'string',
    method: { oneOf: ['base', 'full', 'lora'] },
    negatives: { oneOf: ['random', 'hard', null] },
    loss: 'string',
    lr: nullableNumber,
    steps: nullableNumber,
    batchSize: nullableNumber,
    trainConfig: { nullable: { record: 'unknown' } },
    modelPath: { nullable: 'string' },
  },
};

const config: Shape = {
  object: {
    preset: 'string',
    config: 'string',
    seed: 'number',
    folds: { array: { object: { name: 'string', train: 'string', test: 'string' } } },
    validationFraction: 'number',
    arms: { array: arm },
    protocols: { array: 'string' },
    metrics: { array: 'string' },
    data: { array: { object: { role: 'string', path: 'string', sha256: 'string', lines: 'number' } } },
    notes: { array: 'string' },
    paper: { optional: { record: 'unknown' } },
  },
};

const retrieval: Shape = {
  array: {
    object: {
      fold: 'string',
      protocol: { oneOf: ['rerank', 'dense'] },
      description: 'string',
      table: comparisonTable,
    },
  },
};

const dose: Shape = {
  array: {
    object: {
      fold: 'string',
      arm: 'string',
      fraction: 'number',
      step: 'number',
      metrics: { record: 'number' },
    },
  },
};

const timingStage: Shape = {
  object: { name: 'string', medianSeconds: 'number', minSeconds: 'number', maxSeconds: 'number' },
};
const timing: Shape = {
  object: {
    queries: 'number',
    queriesFile: 'string',
    distinctQueries: 'number',
    cycled: 'boolean',
    passages: 'number',
    synthetic: 'boolean',
    dim: 'number',
    k: 'number',
    repeats: 'number',
    warmup: 'boolean',
    rows: {
      array: {
        object: {
          model: 'string',
          modelPath: 'string',
          variant: 'string',
          protocol: { oneOf: ['ftlab', 'paper'] },
          stages: { array: timingStage },
          totalMedianSeconds: 'number',
          totalMinSeconds: 'number',
          totalMaxSeconds: 'number',
          qps: 'number',
        },
      },
    },
    environment: {
      object: {
        threads: 'number',
        device: 'string',
        torch: 'string',
        blas: { optional: 'string' },
        parallel: { optional: 'string' },
      },
    },
    notes: { optional: { array: 'string' } },
    paper: {
      optional: { array: { object: { label: 'string', seconds: 'number', qps: 'number', hardware: 'string' } } },
    },
  },
};

const training: Shape = {
  array: {
    object: {
      model: 'string',
      modelPath: 'string',
      method: 'string',
      loss: 'string',
      steps: 'number',
      finalLoss: 'number',
      finalLossSteps: 'number',
      heldOutTriples: 'number',
      heldOutQueries: 'number',
      tripletAccuracy: nullableNumber,
      validation: { nullable: { object: { metric: 'string', value: 'number', step: 'number' } } },
      trainSeconds: nullableNumber,
    },
  },
};

const geometry: Shape = {
  object: {
    pairs: 'number',
    requestedPairs: 'number',
    skippedNoText: 'number',
    minGrade: 'number',
    seed: 'number',
    umapParams: {
      object: {
        library: 'string',
        version: 'string',
        nNeighbors: 'number',
        minDist: 'number',
        metric: 'string',
        nEpochs: nullableNumber,
        seed: 'number',
      },
    },
    models: {
      array: {
        object: {
          model: 'string',
          modelPath: 'string',
          alignment: 'number',
          uniformity: 'number',
          anisotropy: 'number',
          effectiveRank: 'number',
          meanPairCosine: 'number',
          meanOtherCosine: 'number',
          driftFromBase: nullableNumber,
          neighbourOverlapWithBase: nullableNumber,
          umap: {
            array: { object: { x: 'number', y: 'number', kind: { oneOf: ['query', 'passage'] }, pair: 'number' } },
          },
        },
      },
    },
    skippedNoQuery: { optional: 'number' },
    notes: { optional: { array: 'string' } },
  },
};

const curves: Shape = {
  object: {
    smoothing: { object: { method: 'string', alpha: 'number' } },
    series: {
      array: {
        object: {
          model: 'string',
          steps: { array: 'number' },
          loss: { array: 'number' },
          lossSmoothed: { array: 'number' },
          lr: { array: 'number' },
          gradNorm: { array: 'number' },
          evals: {
            array: {
              object: {
                step: 'number',
                tripletAccuracy: nullableNumber,
                evalLoss: nullableNumber,
                metrics: { record: 'number' },
              },
            },
          },
        },
      },
    },
  },
};

const environment: Shape = {
  object: {
    ftlab: 'string',
    node: 'string',
    torch: 'string',
    blas: { nullable: 'string' },
    threads: 'number',
    device: 'string',
    cpus: 'number',
    os: 'string',
    startedAt: 'string',
    wallSeconds: 'number',
    stages: { array: { object: { name: 'string', seconds: 'number', cached: 'boolean' } } },
  },
};

/** format and version are checked before this, so the message can say "newer ftlab". */
export const STUDY_RESULTS_SHAPE: Shape = {
  object: {
    config,
    retrieval: { optional: retrieval },
    dose: { optional: dose },
    timing: { optional: { nullable: timing } },
    training: { optional: training },
    geometry: { optional: { nullable: geometry } },
    curves: { optional: { nullable: curves } },
    environment,
  },
};
