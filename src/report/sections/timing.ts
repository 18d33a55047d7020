// Table II: time to answer N queries, per stage and end to end, with the paper's protocol
// (model load, reading embeddings and writing the run inside the clock) beside ftlab's.
import type { Block, Section, Table } from '../document.ts';
import { cell, missingSection, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import type { TimingResult } from '../../analysis/types.ts';
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

function paperTable(t: TimingResult): Table | null {
  if (!t.paper?.length) return null;
  return {
    id: 'table-2-paper',
    caption: [
      { strong: 'Table II (paper).' },
      " The paper's own figures, on its hardware: not comparable run for run, shown for scale.",
    ],
    head: ['As reported', 'Seconds', 'QPS', 'Hardware'],
    rows: t.paper.map((p) => [cell(p.label), num(seconds(p.seconds)), num(rate(p.qps)), cell(p.hardware)]),
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
