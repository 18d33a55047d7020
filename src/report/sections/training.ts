// Table III: what each fine-tuning run ended with: final loss, held-out triplet accuracy
// (triples of queries held out by query), and the validation retrieval metric. Newer results
// also give the held-out accuracy at the validation-chosen checkpoint and at the final step.
import type { Cell, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { HeldOutAt, TrainingSummary } from '../../analysis/types.ts';
import { armLabel } from '../arms.ts';
import { count, fixed, seconds } from '../format.ts';

function heldOutCell(h: HeldOutAt | null | undefined): Cell {
  if (!h) return num(fixed(null));
  return num(fixed(h.tripletAccuracy), `step ${count(h.step)}${h.step === 0 ? ' (the base)' : ''}`);
}

export function trainingTable(results: StudyResults, rows: TrainingSummary[]): Table {
  const atCheckpoints = rows.some((t) => t.chosen || t.final);
  return {
    id: 'table-3',
    caption: [
      { strong: 'Table III.' },
      ' Final loss is the mean over the last 1% of steps (count below); triplet accuracy is cosine accuracy on triples of held-out queries; ' +
        'validation is the retrieval metric of the chosen checkpoint on validation queries.' +
        (atCheckpoints
          ? ' Chosen / final: held-out triplet accuracy at the validation-chosen checkpoint (step 0 is the base) and at the last step.'
          : ''),
    ],
    head: [
      'Model',
      'Method',
      'Loss',
      'Steps',
      'Final loss',
      'Held-out triplet acc.',
      ...(atCheckpoints ? ['Acc. at chosen', 'Acc. at final'] : []),
      'Validation',
      'Train time (s)',
    ],
    rows: rows.map((t) => [
      cell(armLabel(results, t.model)),
      cell(t.method),
      cell([{ code: t.loss }]),
      num(count(t.steps)),
      num(fixed(t.finalLoss, 4), `last ${count(t.finalLossSteps)} steps`),
      num(fixed(t.tripletAccuracy), `${count(t.heldOutTriples)} triples, ${count(t.heldOutQueries)} queries`),
      ...(atCheckpoints ? [heldOutCell(t.chosen), heldOutCell(t.final)] : []),
      t.validation
        ? num(fixed(t.validation.value), `${t.validation.metric} @ step ${count(t.validation.step)}`)
        : num(fixed(null)),
      num(seconds(t.trainSeconds)),
    ]),
  };
}

export function trainingSection(results: StudyResults): Section {
  const title = 'Training (Table III)';
  if (results.training.length === 0) return missingSection('training', title);
  return { id: 'training', title, blocks: [{ kind: 'table', table: trainingTable(results, results.training) }] };
}
