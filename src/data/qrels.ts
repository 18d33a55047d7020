// Relevance judgments in TREC format: `qid iter docid grade`, separated by tabs or spaces
// (the official MS MARCO qrels use tabs, TREC DL files spaces). Grades are integers;
// negative grades are kept (trec_eval treats them as non-relevant). A repeated judgment
// with the same grade is harmless; with another grade it is an error naming both lines.
import { InputError } from '../errors.ts';
import { displayName, readLines } from './lines.ts';

/** qid -> docid -> grade */
export type Qrels = Map<string, Map<string, number>>;

export async function loadQrels(path: string): Promise<Qrels> {
  const file = displayName(path);
  const out: Qrels = new Map();
  const lineOf = new Map<string, number>(); // "qid docid" -> line, to name both lines of a conflict
  for await (const line of readLines(path)) {
    const f = line.text.trim().split(/[ \t]+/);
    if (f.length !== 4) throw new InputError(file, line.no, `expected 'qid 0 docid grade' (4 fields), got ${f.length}`);
    const [qid, , docid, g] = f as [string, string, string, string];
    if (!/^-?\d+$/.test(g)) throw new InputError(file, line.no, `grade must be an integer, got '${g}'`);
    let q = out.get(qid);
    if (!q) {
      q = new Map();
      out.set(qid, q);
    }
    const had = q.get(docid);
    const key = `${qid} ${docid}`;
    if (had !== undefined && had !== Number(g)) {
      throw new InputError(
        file,
        line.no,
        `query ${qid}, document ${docid} is judged twice with different grades (${had} and ${g})`,
        lineOf.get(key),
      );
    }
    q.set(docid, Number(g));
    if (!lineOf.has(key)) lineOf.set(key, line.no);
  }
  if (out.size === 0) throw new InputError(file, null, 'no judgments');
  return out;
}

/** Judged docs with grade >= rel. */
export function relevantDocs(qrels: Qrels, qid: string, rel = 1): Set<string> {
  const out = new Set<string>();
  for (const [d, g] of qrels.get(qid) ?? []) if (g >= rel) out.add(d);
  return out;
}
