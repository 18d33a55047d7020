// Queries: `qid<TAB>text`, as queries.dev.small.tsv and the TREC-DL query files.
import { InputError } from '../errors.ts';
import { displayName, readLines, splitIdText } from './lines.ts';

export type Queries = Map<string, string>;

export async function loadQueries(path: string): Promise<Queries> {
  const file = displayName(path);
  const out: Queries = new Map();
  const lineOf = new Map<string, number>();
  for await (const line of readLines(path)) {
    const [qid, text] = splitIdText(line, file, 'qid<TAB>query');
    if (out.has(qid)) throw new InputError(file, line.no, `query id ${qid} appears twice`, lineOf.get(qid));
    out.set(qid, text);
    lineOf.set(qid, line.no);
  }
  if (out.size === 0) throw new InputError(file, null, 'no queries');
  return out;
}
