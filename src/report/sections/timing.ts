// Table II: time to answer N queries, per stage and end to end, with the paper's protocol
// (model load, reading embeddings and writing the run inside the clock) beside ftlab's, and
// the paper's own figure labelled as its text states it, this run's base model beside it.
import type { Block, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { TimingResult, TimingRow } from '../../analysis/types.ts';
import { count, rate, seconds } from '../format.ts';

export function timingTable(t: TimingResult): Table {
  const stages = [...new Set(t.rows.flatMap((r) => r.stages.map((s) => s.name)))];
  return {
    id: 'table-2',
    caption: [
      { strong: 'Table II.' },
      ` Seconds to answer ${count(t.queries)} queries (${count(t.distinctQueries)} distinct${t.cycled ? ', file cycled' : ''}) ` +
        `against ${count(t.passages)} ${t.synthetic ? 'synthetic ' : ''}passages (dim ${t.dim}, top ${t.k}); median of ${t.repeats} repeats` +
        `${t.warmup ? ' after a warm-up pass' : ''}, range below; stage columns are seconds too. Total is one clock around the whole run, not the sum of stages. ` +
        'Protocol ftlab: the model and the passage vectors are loaded before the clock starts (model loading and file I/O ' +
        "excluded, as the paper's text states its timing); paper: the paper's code's clock, with loading the model, " +
        'reading the vectors and writing the run inside it. ' +
        `${t.environment.threads} threads, ${t.environment.device}, torch ${t.environment.torch}${t.environment.blas ? `, ${t.environment.blas}` : ''}${t.environment.parallel ? ` (${t.environment.parallel})` : ''}.`,
    ],
    head: ['Model', 'Protocol', 'Total (s)', 'QPS', ...stages],
    rows: t.rows.map((r) => [
      cell(r.model, { note: r.variant }),
      cell(r.protocol),
      num(seconds(r.totalMedianSeconds), `${seconds(r.totalMinSeconds)}–${seconds(r.totalMaxSeconds)}`),
      num(rate(r.qps)),
      ...stages.map((name) => {
        const s = r.stages.find((x) => x.name === name);
        return s ? num(seconds(s.medianSeconds), `${seconds(s.minSeconds)}–${seconds(s.maxSeconds)}`) : num('');
      }),
    ]),
  };
}

/**
 * The paper's figure, labelled as its text states it (model loading and file I/O excluded),
 * with this run's rows beside it: the same model under the text's protocol (ftlab) and under
 * the clock the paper's code ran (paper protocol).
 */
function paperTable(t: TimingResult): Table | null {
  if (!t.paper?.length) return null;
  const ours = t.rows.filter((r) => r.variant === 'base');
  const hardware = `this run: ${t.environment.device}, ${t.environment.threads} threads`;
  const what = (r: TimingRow): string =>
    r.protocol === 'paper'
      ? `${r.model}: model load, reading the vectors and writing the run inside the clock (as the paper's code)`
      : `${r.model}: model loading and file I/O excluded (as the paper's text states)`;
  return {
    id: 'table-2-paper',
    caption: [
      { strong: 'Table II (paper).' },
      " The paper's own figure, on its hardware, as its text states it, and this run's base model beside it under " +
        `each protocol (${count(t.queries)} queries against ${count(t.passages)} passages, top ${t.k}): ` +
        'not comparable run for run (other hardware and collection size), shown for scale and for what the clock holds.',
    ],
    head: ['As reported', 'Seconds', 'QPS', 'Hardware'],
    rows: [
      ...t.paper.map((p) => [cell(p.label), num(seconds(p.seconds)), num(rate(p.qps)), cell(p.hardware)]),
      ...ours.map((r) => [cell(what(r)), num(seconds(r.totalMedianSeconds)), num(rate(r.qps)), cell(hardware)]),
    ],
  };
}

export function timingSection(results: StudyResults): Section {
  const title = 'Query latency (Table II)';
  const t = results.timing;
  if (!t) return missingSection('timing', title);
  const blocks: Block[] = [{ kind: 'table', table: timingTable(t) }];
  if (t.notes?.length) blocks.push({ kind: 'list', items: t.notes.map((n) => [n]) });
  const paper = paperTable(t);
  if (paper) blocks.push({ kind: 'table', table: paper });
  return { id: 'timing', title, blocks };
}
