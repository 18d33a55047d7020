// The choices a reader must know (results.config.notes), with the numbers that back them.
import type { CurvesResult } from '../analysis/types.ts';
import { LORA_HIGH_LR, RECIPE_L2SP_WEIGHT, RECIPE_PRESERVE_WEIGHT } from './arms.ts';
import type { StudyDataset } from './dataset.ts';
import type { FoldOutcome } from './fold-study.ts';
import type { StudyOptions } from './options.ts';

export function studyNotes(
  o: StudyOptions,
  run: { dataset: Pick<StudyDataset, 'notes'>; folds: FoldOutcome[]; curves: CurvesResult | null },
): string[] {
  return [
    ...designNotes(o),
    ...run.folds.flatMap(foldNotes),
    ...run.dataset.notes,
    ...protocolNotes(o),
    precisionNote(o),
    ...lossTrends(run.curves),
  ];
}

/** What --precision covered: training is shared between precisions, so its snapshots are fp32. */
function precisionNote(o: Pick<StudyOptions, 'precision' | 'dose'>): string {
  const covered =
    `Evaluation encodes ran in ${o.precision} (the base's and the arms' test re-ranking and dense retrieval, ` +
    'timing, geometry); training, its validation (the checkpoint choice), the negatives profile and the mining ' +
    'of training negatives ran in fp32, so every precision shares the same trained arms.';
  if (o.precision === 'fp32') return covered;
  const between = o.dose.filter((d) => d > 0 && d < 1).map((d) => `${d * 100}%`);
  return (
    `${covered} Dose points: 0% (the base) and 100% (the final model) in ${o.precision}` +
    (between.length > 0 ? `; ${between.join(', ')} are training's fp32 snapshots (no weights kept there).` : '.')
  );
}

function designNotes(o: StudyOptions): string[] {
  const config =
    o.config === 'paper-run'
      ? " (euclidean distance, margin 5, unnormalised output: what the paper's code ran)"
      : " (cosine distance, margin 0.2, normalised: what the paper's text states)";
  const percents = o.dose.map((d) => `${d * 100}%`).join(', ');
  const out = [
    `Triplet arms use the ${o.config} configuration${config}; ` +
      "every model is scored by cosine similarity (the paper's eq. 2).",
    'Checkpoints are chosen by validation nDCG@10 ' +
      `(re-ranking the validation queries' first-stage top-${o.validationDepth}, where the dataset has a run), ` +
      'evaluated at step 0 (the base model) and every quarter of training, ties to the earlier step (so the base ' +
      'wins a tie); the test fold is never used for a choice. Each arm reports its chosen checkpoint and its ' +
      'final model (the last step).',
    `Seeds: each trained arm ran ${o.seeds} seed${o.seeds > 1 ? 's' : ''} (${o.seed}..${o.seed + o.seeds - 1}: ` +
      "training order, negatives sampling, LoRA init; the base model's hard-negative search is shared). " +
      (o.seeds > 1
        ? "The comparison tables show each arm's chosen checkpoints with per-query scores averaged over its seeds."
        : 'One seed shows no training variance: the verdicts cover query variance only.'),
    `Verdicts on nDCG@10 at a margin of ±${o.equivalenceMargin} declared before the run, family-wise alpha ` +
      `${o.alpha} shared by the verdict table's rows (Bonferroni: each row's intervals at 1 - alpha / rows); ` +
      'a verdict comes from the intervals, never from a non-significant difference. Dose points: the CI at ' +
      '1 - alpha / (trained dose points), p from the paired t on the seed-averaged per-query differences.',
    `Dose-response: each arm is re-ranking-evaluated on the test fold at ${percents} ` +
      `of its ${o.epochs === null ? `${o.steps} steps` : 'steps (its epochs over its triples)'}; at 0% every arm is the base model (LoRA's B starts at zero), ` +
      "so the base's evaluation stands for it.",
    `LoRA is trained at the paper's lr 2e-5 and at ${LORA_HIGH_LR} (arm lora-hard-lr1e-3), where it visibly trains.`,
  ];
  if (o.sweeps)
    out.push(
      "Sweeps: lora-hard-lr1e-3's lr in {2e-4, 1e-3} and recipe's preservation weight in {1, 5}, each value " +
        'trained at the first seed and scored by its chosen checkpoint on validation nDCG@10 (ties to the first ' +
        "value); the choice trains every seed (results.json sweeps; the arm's label shows the chosen value).",
    );
  if (o.arms.some((a) => a.name === 'recipe'))
    out.push(
      'recipe: full fine-tuning with MNRL (scale 20, in-batch negatives plus the mined hard negative; batches ' +
        'never hold one query twice, so its other positives are not trained as negatives) ' +
        `and a preservation penalty w x mean(1 - cos) (w = ${RECIPE_PRESERVE_WEIGHT}${o.sweeps ? ', or the value the sweep chose' : ''}) ` +
        "between the model's and the frozen base's embeddings of the batch's texts.",
    );
  if (o.arms.some((a) => a.name === 'recipe-l2sp'))
    out.push(
      `recipe-l2sp: the recipe with an L2-SP anchor instead, ${RECIPE_L2SP_WEIGHT} x sum of squared differences ` +
        "between the model's weights and the base's.",
    );
  const searched =
    o.miningPool === 'pool'
      ? 'the training part of the pool'
      : `the training queries' own candidates (BM25 top-${o.miningDepth}) and the positives`;
  const guard =
    o.guardMargin === null ? 'off' : `on (a candidate scoring above the positive minus ${o.guardMargin} is dropped)`;
  out.push(
    `Hard negatives: the base model's top-200 over ${searched}, ranks 51-200, judged-relevant excluded, ` +
      `false-negative guard ${guard}. Validation triples (Table III's held-out accuracy) are mined from the ` +
      "validation queries' own BM25 candidates, not from training passages.",
  );
  return out;
}

function foldNotes(f: FoldOutcome): string[] {
  const out: string[] = [];
  const s = f.negatives?.stats;
  if (s)
    out.push(
      `${f.fold.name}: ${s.random.triples} random and ${s.hard.triples} hard training triples; the guard dropped ` +
        `${s.hard.guardDropped} hard candidates; ${s.hard.positivesExcluded} positives and ` +
        `${s.random.excludedDropped + s.hard.excludedDropped} candidates dropped ` +
        'because a test or validation query touches them.',
    );
  for (const a of f.arms) {
    const r = a.record;
    if (!r) continue;
    const chosen = r.chosen
      ? `chose step ${r.chosen.step} (${r.chosen.metric} ${r.chosen.value.toFixed(4)} on validation)`
      : 'final step';
    const seed = f.arms.some((x) => x.k > 0) ? ` seed ${r.config.seed}` : '';
    out.push(`${f.fold.name} ${a.arm.name}${seed}: ${chosen}; trained in ${r.trainSeconds.toFixed(0)} s.`);
  }
  return out;
}

function protocolNotes(o: StudyOptions): string[] {
  const out: string[] = [];
  if (!o.protocols.includes('dense'))
    out.push(
      'Dense retrieval over the pool was not run (--protocol rerank): it re-encodes the whole pool per model, ' +
        "beyond this preset's time budget.",
    );
  if (o.timingQueries > 0)
    out.push(
      `Timing searches ${o.timingQueries} queries (the dataset's timing queries, cycled if fewer) against random ` +
        "vectors of the test collection's size " +
        '(search cost does not depend on the values).',
    );
  return out;
}

/** Does each arm's training loss fall? Mean of the first vs the last quarter of its steps. */
function lossTrends(curves: CurvesResult | null): string[] {
  return (curves?.series ?? []).map((c) => {
    const q = Math.max(1, Math.floor(c.loss.length / 4));
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = avg(c.loss.slice(0, q));
    const last = avg(c.loss.slice(-q));
    const trend = `${last < first ? 'falls' : 'does not fall'} by ${((100 * (first - last)) / first).toFixed(1)}%`;
    const span = `${first.toFixed(4)} (first quarter of steps) -> ${last.toFixed(4)} (last quarter)`;
    return `${c.model}: training loss ${span}, ${trend}.`;
  });
}
