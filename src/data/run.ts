// Ranked results. Two formats, detected from the first line:
//   TREC:     `qid Q0 docid rank score tag` (6 fields; ordered by score, as trec_eval does)
//   MS MARCO: `qid<TAB>pid<TAB>rank` (3 fields; ordered by the rank column, as the official
//             MS MARCO evaluator does)
import { InputError } from '../errors.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { displayName, readLines } from './lines.ts';

/** One scored document of a query's results. */
export interface Scored {
  docid: string;
  score: number; // TREC: the score column; MS MARCO: -rank
}

export interface Ranked extends Scored {
  rank: number; // as written in the file
}

/** qid -> scored results: what retrieval and re-ranking produce (a Run's `queries` is one). */
export type Ranking = Map<string, Scored[]>;

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
      else
        throw new InputError(
          file,
          line.no,
          `expected a TREC run line (qid Q0 docid rank score tag) or MS MARCO (qid<TAB>pid<TAB>rank), got ${f.length} fields`,
        );
    }
    const want = format === 'trec' ? 6 : 3;
    if (f.length !== want)
      throw new InputError(
        file,
        line.no,
        `expected ${want} fields like the first line (${format} run), got ${f.length}`,
      );
    const qid = f[0]!;
    const docid = f[format === 'trec' ? 2 : 1]!;
    const rankText = f[format === 'trec' ? 3 : 2]!;
    if (!/^\d+$/.test(rankText))
      throw new InputError(file, line.no, `rank must be a non-negative integer, got '${rankText}'`);
    const rank = Number(rankText);
    let score = -rank;
    if (format === 'trec') {
      score = Number(f[4]);
      if (f[4] === '' || !Number.isFinite(score))
        throw new InputError(file, line.no, `score must be a number, got '${f[4]}'`);
    }
    let list = queries.get(qid);
    if (!list) {
      list = [];
      queries.set(qid, list);
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
      if (first !== undefined)
        throw new InputError(file, at[i]!, `query ${qid} lists document ${r.docid} twice`, at[first]);
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
    list.sort(trecOrder);
  } else {
    list.sort((a, b) => a.rank - b.rank);
  }
  return list.map((r) => r.docid);
}

/**
 * trec_eval's order, the one comparator for ranked results: score descending, ties by
 * docid descending (strcmp on the docid strings, as trec_eval's comparator does).
 */
export function trecOrder(a: Scored, b: Scored): number {
  return b.score - a.score || (a.docid < b.docid ? 1 : a.docid > b.docid ? -1 : 0);
}

/** A ranking as a TREC run (ranks from 1 in the given order), to evaluate without a file. */
export function rankingToRun(ranking: Ranking, source: string): Run {
  const queries = new Map<string, Ranked[]>();
  for (const [qid, list] of ranking)
    queries.set(
      qid,
      list.map((r, i) => ({ docid: r.docid, score: r.score, rank: i + 1 })),
    );
  return { format: 'trec', queries, source };
}

/** Writes a TREC run (rank from 1, in the given order), atomically. */
export function writeTrecRun(path: string, results: Ranking, tag = 'ftlab'): void {
  writeAtomic(path, (f) => {
    for (const [qid, list] of results) {
      const lines = list.map((r, i) => `${qid} Q0 ${r.docid} ${i + 1} ${r.score.toFixed(6)} ${tag}\n`);
      f.write(lines.join(''));
    }
  });
}
