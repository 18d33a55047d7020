// Training triples. Text triples: `query<TAB>positive<TAB>negative` (triples.train.small.tsv,
// also inside its .tar.gz). Id triples: `qid<TAB>pid+<TAB>pid-`.
import { InputError } from '../errors.ts';
import { displayName, readLines } from './lines.ts';

export interface TextTriple {
  query: string;
  positive: string;
  negative: string;
}

/** Counts tabs in buf[start, end): a valid triple line has exactly two, and no empty field. */
export function isTripleLine(buf: Uint8Array, start: number, end: number): boolean {
  let tabs = 0;
  let last = start - 1;
  for (let k = start; k < end; k++) {
    if (buf[k] === 9) {
      if (k === last + 1) return false;
      tabs++;
      last = k;
    }
  }
  return tabs === 2 && last < end - 1;
}

export function parseTextTriple(text: string, file: string, no: number): TextTriple {
  const f = text.split('\t');
  if (f.length !== 3 || f.some((x) => x.length === 0)) {
    throw new InputError(
      file,
      no,
      `expected query<TAB>positive<TAB>negative (3 non-empty fields), got ${f.length} field(s)`,
    );
  }
  return { query: f[0]!, positive: f[1]!, negative: f[2]! };
}

export async function loadTextTriples(
  path: string,
  opts: { skipBad?: boolean } = {},
): Promise<{ triples: TextTriple[]; skipped: number }> {
  const file = displayName(path);
  const triples: TextTriple[] = [];
  let skipped = 0;
  for await (const line of readLines(path)) {
    try {
      triples.push(parseTextTriple(line.text, file, line.no));
    } catch (e) {
      if (!opts.skipBad) throw e;
      skipped++;
    }
  }
  if (triples.length === 0) throw new InputError(file, null, 'no triples');
  return { triples, skipped };
}

export interface IdTriple {
  qid: string;
  positive: string; // pid
  negative: string; // pid
}

/** `qid<TAB>pid+<TAB>pid-` lines (as `ftlab mine --ids` writes). */
export async function loadIdTriples(path: string): Promise<IdTriple[]> {
  const file = displayName(path);
  const out: IdTriple[] = [];
  for await (const line of readLines(path)) {
    const f = line.text.split('\t');
    if (f.length !== 3 || f.some((x) => x.length === 0 || /\s/.test(x))) {
      throw new InputError(
        file,
        line.no,
        `expected qid<TAB>pid+<TAB>pid- (3 ids), got ${JSON.stringify(line.text.slice(0, 60))}`,
      );
    }
    out.push({ qid: f[0]!, positive: f[1]!, negative: f[2]! });
  }
  if (out.length === 0) throw new InputError(file, null, 'no triples');
  return out;
}
