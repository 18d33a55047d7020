// Ranked results. Two formats, detected from the first line:
//   TREC:     `qid Q0 docid rank score tag` (6 fields; ordered by score, as trec_eval does)
//   MS MARCO: `qid<TAB>pid<TAB>rank` (3 fields; ordered by the rank column, as the official
//             MS MARCO evaluator does)
import { InputError } from '../errors.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { displayName, readLines } from './lines.ts';

export interface Ranked {
  docid: string;
  score: number; // TREC: the score column; MS MARCO: -rank
  rank: number; // as written in the file
}

export type RunFormat = 'trec' | 'msmarco';

export interface Run {
  format: RunFormat;
  /** qid -> results, in file order (use rankedList() for evaluation order) */
  queries: Map<string, Ranked[]>;
  source: string;
}

export async function loadRun(path: string): Promise<Run> {
  const file = displayName(path);
  const queries = new Map<string, Ranked[]>();
  const lines = new Map<string, number[]>(); // qid -> line of each result, to name duplicates
  let format: RunFormat | null = null;
  for await (const line of readLines(path)) {
    const f = line.text.trim().split(/[ \t]+/);
    if (format === null) {
      if (f.length === 6) format = 'trec';
      else if (f.length === 3) format = 'msmarco';
      else throw new InputError(file, line.no, `expected a TREC run line (qid Q0 docid rank score tag) or MS MARCO (qid<TAB>pid<TAB>rank), got ${f.length} fields`);
    }
    const want = format === 'trec' ? 6 : 3;
    if (f.length !== want) throw new InputError(file, line.no, `expected ${want} fields like the first line (${format} run), got ${f.length}`);
    const qid = f[0]!;
    const docid = f[format === 'trec' ? 2 : 1]!;
    const rankText = f[format === 'trec' ? 3 : 2]!;
    if (!/^\d+$/.test(rankText)) throw new InputError(file, line.no, `rank must be a non-negative integer, got '${rankText}'`);
    const rank = Number(rankText);
    let score = -rank;
    if (format === 'trec') {
      score = Number(f[4]);
      if (f[4] === '' || !Number.isFinite(score)) throw new InputError(file, line.no, `score must be a number, got '${f[4]}'`);
    }
    let list = queries.get(qid);
    if (!list) {
      queries.set(qid, (list = []));
      lines.set(qid, []);
    }
    list.push({ docid, score, rank });
    lines.get(qid)!.push(line.no);
  }
  if (format === null) throw new InputError(file, null, 'empty run');
  for (const [qid, list] of queries) {
    const seen = new Map<string, number>();
    const at = lines.get(qid)!;
    list.forEach((r, i) => {
      const first = seen.get(r.docid);
      if (first !== undefined) throw new InputError(file, at[i]!, `query ${qid} lists document ${r.docid} twice`, at[first]);
      seen.set(r.docid, i);
    });
  }
  return { format, queries, source: file };
}

/**
 * Results in evaluation order.
 * TREC (trec_eval): score descending; ties broken by docid descending (strcmp), as
 * trec_eval's comparator does — the rank column is ignored.
 * MS MARCO (official evaluator): rank column ascending.
 */
export function rankedList(run: Run, qid: string): string[] {
  const list = [...(run.queries.get(qid) ?? [])];
  if (run.format === 'trec') {
    list.sort((a, b) => b.score - a.score || (a.docid < b.docid ? 1 : a.docid > b.docid ? -1 : 0));
  } else {
    list.sort((a, b) => a.rank - b.rank);
  }
  return list.map((r) => r.docid);
}

/** Writes a TREC run (rank from 1, in the given order), atomically. */
export function writeTrecRun(path: string, results: Map<string, { docid: string; score: number }[]>, tag = 'ftlab'): void {
  writeAtomic(path, (f) => {
    for (const [qid, list] of results) {
      const lines = list.map((r, i) => `${qid} Q0 ${r.docid} ${i + 1} ${r.score.toFixed(6)} ${tag}\n`);
      f.write(lines.join(''));
    }
  });
}
