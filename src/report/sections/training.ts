// Table III: what each fine-tuning run ended with: final loss, held-out triplet accuracy
// (triples of queries held out by query), and the validation retrieval metric.
import type { Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { TrainingSummary } from '../../analysis/types.ts';
import { armLabel } from '../arms.ts';
import { count, fixed, seconds } from '../format.ts';

export function trainingTable(results: StudyResults, rows: TrainingSummary[]): Table {
  return {
    id: 'table-3',
    caption: [
      { strong: 'Table III.' },
      ' Final loss is the mean over the last 1% of steps (count below); triplet accuracy is cosine accuracy on triples of held-out queries; ' +
        'validation is the retrieval metric of the chosen checkpoint on validation queries.',
    ],
    head: ['Model', 'Method', 'Loss', 'Steps', 'Final loss', 'Held-out triplet acc.', 'Validation', 'Train time (s)'],
    rows: rows.map((t) => [
      cell(armLabel(results, t.model)),
      cell(t.method),
      cell([{ code: t.loss }]),
      num(count(t.steps)),
      num(fixed(t.finalLoss, 4), `last ${count(t.finalLossSteps)} steps`),
      num(fixed(t.tripletAccuracy), `${count(t.heldOutTriples)} triples, ${count(t.heldOutQueries)} queries`),
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
