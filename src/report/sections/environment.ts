// Where and how long it ran: software versions, hardware, and each stage's wall time.
import type { Section } from '../document.ts';
import { cell, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { seconds } from '../format.ts';

export function environmentSection(r: StudyResults): Section {
  const e = r.environment;
  const facts: [string, string][] = [
    ['ftlab', e.ftlab],
    ['Node.js', e.node],
    ['libtorch', e.torch],
    ['BLAS', e.blas ?? '–'],
    ['Threads', String(e.threads)],
    ['Device', e.device],
    ['CPUs', String(e.cpus)],
    ['OS', e.os],
    ['Started', e.startedAt],
    ['Wall time (s)', seconds(e.wallSeconds)],
    ...(r.config.precision ? ([['Evaluation precision', r.config.precision]] as [string, string][]) : []),
    ...(e.paths ? ([['GEMM paths (probe)', e.paths]] as [string, string][]) : []),
  ];
  return {
    id: 'environment',
    title: 'Environment and wall times',
    blocks: [
      {
        kind: 'table',
        table: {
          id: 'table-environment',
          caption: ['Software and hardware of the run.'],
          head: ['', 'Value'],
          rows: facts.map(([k, v]) => [cell(k), cell(v)]),
        },
      },
      {
        kind: 'table',
        table: {
          id: 'table-stages',
          caption: [
            `Wall time per stage; cached stages were read from an earlier run's files. Total ${seconds(e.wallSeconds)} s.`,
          ],
          head: ['Stage', 'Seconds', 'Cached'],
          rows: e.stages.map((s) => [cell(s.name), num(seconds(s.seconds)), cell(s.cached ? 'yes' : 'no')]),
        },
      },
    ],
  };
}
