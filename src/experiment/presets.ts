// The study's two datasets as values of one type (dataset.ts): `quick`, the TREC DL pool
// (train on one year's judgments, test on the other's, re-ranking BM25's candidates), and
// `paper`, the official MS MARCO files (dense retrieval over the whole collection on dev small).
import { join } from 'node:path';
import type { Fold } from './data.ts';
import { trecDlFold } from './data.ts';
import type { PresetName, StudyDataset, StudyOptionsForFolds } from './dataset.ts';
import { PAPER_METRICS, QUICK_METRICS } from './evaluation.ts';
import { candidateNegatives, plannedMiningPassages, plannedTrainingTriples } from './negatives-stage.ts';
import { collectionNegatives, paperFold } from './paper-data.ts';

/** The TREC DL pool (DIR/trec-dl): DL20 -> DL19, and with --folds both also DL19 -> DL20. */
export const QUICK: StudyDataset = {
  name: 'quick',
  defaults: {
    data: '../shared/data/msmarco',
    folds: 'one',
    arms: null,
    seeds: 1,
    sweeps: false,
    steps: 24,
    epochs: null,
    negativesPerPositive: 1,
    batchSize: 16,
    warmup: 0.1,
    dose: [0, 0.25, 0.5, 1],
    rerankDepth: 100,
    validationDepth: 30,
    miningDepth: 100,
    protocols: ['rerank'],
    timingQueries: 10_000,
    timingRepeats: 1,
    geometryPairs: 1000,
    validationFraction: 0.2,
    paperTriples: 1_000_000,
  },
  metrics: QUICK_METRICS,
  loadFolds: trecDlFolds,
  negatives: candidateNegatives,
  miningPassages: plannedMiningPassages,
  plannedTriples: plannedTrainingTriples,
  timingQueries: (data) => join(data, 'dev-small', 'queries.dev.small.tsv'),
  notes: [],
};

/** The official MS MARCO files (DIR): train -> dev small, the paper's hyperparameters. */
export const PAPER: StudyDataset = {
  name: 'paper',
  defaults: {
    data: null,
    folds: 'one',
    arms: null,
    seeds: 1,
    sweeps: false,
    steps: 7812,
    epochs: null,
    negativesPerPositive: 1,
    batchSize: 128,
    warmup: 1000,
    dose: [0, 0.25, 0.5, 1],
    rerankDepth: 100,
    validationDepth: 100,
    miningDepth: 100,
    protocols: ['dense'],
    timingQueries: 10_000,
    timingRepeats: 3,
    geometryPairs: 1000,
    validationFraction: 0.2,
    paperTriples: 1_000_000,
  },
  metrics: PAPER_METRICS,
  loadFolds: async (o) => [await paperFold(o.data, o)],
  negatives: collectionNegatives,
  miningPassages: (fold) => fold.collection.size,
  plannedTriples: (_fold, o) => o.paperTriples,
  timingQueries: (data) => join(data, 'queries.dev.small.tsv'),
  notes: [
    'Paper preset: dense retrieval over the whole collection on dev small; no dose-response (each point would ' +
      're-encode the corpus) and checkpoints chosen by validation triplet accuracy (no candidate lists to re-rank).',
  ],
};

/**
 * The TREC DL pool trained to convergence, for a defensible answer on CPU: both folds pooled,
 * 3 seeds, 3 epochs over every training positive (full-hard 5, as the paper), the paper's arms with LoRA at 2e-5 and 1e-3, and the recipe.
 */
export const STANDARD: StudyDataset = {
  ...QUICK,
  name: 'standard',
  defaults: {
    ...QUICK.defaults,
    folds: 'both',
    arms: 'full-random,full-hard,lora-hard,lora-hard-lr1e-3,recipe',
    seeds: 3,
    sweeps: true,
    epochs: 3,
    armEpochs: { 'full-hard': 5 },
    // one triple per positive: 3 per positive triples the training time (already past the 3-hour target)
    negativesPerPositive: 1,
    validationDepth: 100,
  },
  notes: [
    'Standard preset: the TREC DL pool, both folds pooled, 3 seeds, 3 epochs over all training positives ' +
      '(full-hard 5, as the paper), one negative per positive (--negatives-per-positive raises it), validation re-ranking each held-out ' +
      "query's BM25 top-100.",
  ],
};

export const PRESETS: Readonly<Record<PresetName, StudyDataset>> = { quick: QUICK, standard: STANDARD, paper: PAPER };

async function trecDlFolds(o: StudyOptionsForFolds): Promise<Fold[]> {
  const common = { dataDir: o.data, validationFraction: o.validationFraction, seed: o.seed };
  const first = await trecDlFold({ ...common, train: 'dl20', test: 'dl19' });
  if (o.folds === 'one') return [first];
  return [first, await trecDlFold({ ...common, train: 'dl19', test: 'dl20', collection: first.collection })];
}
