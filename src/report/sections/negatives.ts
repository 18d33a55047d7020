// How hard the training negatives are, per fold: random against hard, the base model's score
// of (query, negative), the negative's rank in the query's BM25 run, and the margin
// score(positive) - score(negative), each as median and p10-p90; one sentence per fold,
// written from those numbers, on how hard "hard" is on this pool.
import type { Block, Cell, Section, Table, Text } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { NegativesRecord, StudyResults } from '../schema.ts';
import { count, fixed } from '../format.ts';

type Dist = NegativesRecord['score'];

function spread(d: Dist | null, digits: number, round = false): Cell {
  if (!d) return num('–');
  const f = (x: number): string => (round ? count(x) : fixed(x, digits));
  return num(f(d.median), `p10–p90 ${f(d.p10)} – ${f(d.p90)}`);
}

export function negativesTable(r: StudyResults): Table {
  return {
    id: 'table-negatives',
    caption: [
      { strong: 'Negatives.' },
      " How hard each fold's training negatives are: the base model's cosine of (query, negative), the negative's rank in " +
        "the query's BM25 run (over the negatives found in it; 'not in run' counts the others), and for triples with a " +
        'positive the margin score(positive) − score(negative) (at or below 0: the base already ranks the negative as high). ' +
        'Median, with the 10th–90th percentiles below.',
    ],
    head: ['Fold', 'Negatives', 'Triples', 'Base score', 'BM25 rank', 'Not in run', 'Margin to positive'],
    rows: r.negatives.map((n) => [
      cell(n.fold),
      cell(n.kind),
      num(count(n.triples)),
      spread(n.score, 3),
      spread(n.bm25Rank, 0, true),
      num(count(n.notInRun)),
      spread(n.margin, 3),
    ]),
  };
}

/** One fold's sentence: hard against random, from the medians and percentiles. */
export function hardnessSentence(fold: string, random: NegativesRecord | undefined, hard: NegativesRecord): Text {
  const vs = (x: string): string => (random ? ` (random: ${x})` : '');
  const rank = hard.bm25Rank
    ? `sit at a median BM25 rank of ${count(hard.bm25Rank.median)}` +
      vs(
        random?.bm25Rank
          ? `median rank ${count(random.bm25Rank.median)} for the ${count(random.triples - random.notInRun)} of ${count(random.triples)} found in the run`
          : `none of ${count(random?.triples)} found in the run`,
      )
    : 'are not found in the BM25 run';
  const margin = hard.margin
    ? `; their median margin to the positive is ${fixed(hard.margin.median)}` +
      (hard.margin.p10 <= 0
        ? `, and at least 10% score as high as their positive or higher (p10 ${fixed(hard.margin.p10)}): possible false negatives`
        : `, and 90% trail their positive by more than ${fixed(hard.margin.p10)}`)
    : '';
  return [
    { strong: `${fold}: ` },
    `hard negatives score a median ${fixed(hard.score.median)} with the base model${vs(fixed(random?.score.median))}, ${rank}${margin}.`,
  ];
}

export function negativesSection(r: StudyResults): Section {
  const title = 'Negatives: how hard "hard" is';
  if (r.negatives.length === 0) return missingSection('negatives', title);
  const folds = [...new Set(r.negatives.map((n) => n.fold))];
  const sentences = folds.flatMap((fold) => {
    const hard = r.negatives.find((n) => n.fold === fold && n.kind === 'hard');
    const random = r.negatives.find((n) => n.fold === fold && n.kind === 'random');
    return hard ? [hardnessSentence(fold, random, hard)] : [];
  });
  const blocks: Block[] = [{ kind: 'table', table: negativesTable(r) }];
  if (sentences.length) blocks.unshift({ kind: 'list', items: sentences });
  return { id: 'negatives', title, blocks };
}
