// A dataset described by a manifest: a JSON file naming the collection and, per split, the
// queries, the relevance judgments and optionally a first-stage run to re-rank. Every file
// is checked (exists, parses with ftlab's readers) before any work starts; a problem is one
// line naming the manifest's line or the data file's.
//
// Format (paths relative to the manifest's folder; "validation" and every "run" optional):
//
//   {
//     "name": "my-collection",
//     "minGrade": 1,                             the grade a judgment needs to count as relevant (default 1)
//     "collection": "collection.tsv",            pid<TAB>text, .tsv or .gz
//     "splits": {
//       "train":      { "queries": "train/queries.tsv",    qid<TAB>text (.gz accepted)
//                       "qrels": "train/qrels.txt",         TREC `qid 0 docid grade` or MS MARCO
//                       "run": "train/bm25.trec" },         TREC `qid Q0 docid rank score tag` or MS MARCO `qid pid rank`
//       "validation": { "queries": "...", "qrels": "..." },
//       "test":       { "queries": "...", "qrels": "...", "run": "test/bm25.trec" }
//     }
//   }
//
// Checks beyond each file parsing: each split has at least one judged query with text; a
// run names only passages of the collection; no query id is in two splits (a leak from
// training into testing). Judged passages missing from the collection are counted, not
// refused (TREC-DL pools judge passages a subset may lack). test/fixtures/manifest/ is an example.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, UserError } from '../errors.ts';
import { type Collection, loadCollection } from './collection.ts';
import { loadQrels, type Qrels } from './qrels.ts';
import { loadQueries, type Queries } from './queries.ts';
import { loadRun, type Run } from './run.ts';

export const SPLITS = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** A split's files, as absolute paths. */
export interface SplitFiles {
  queries: string;
  qrels: string;
  run: string | null;
}

/** The manifest itself, validated, its paths resolved and checked to exist. */
export interface Manifest {
  path: string; // the manifest file
  name: string;
  /** The grade a judgment needs to count as relevant (positives, RR and R); nDCG uses the grades themselves. */
  minGrade: number;
  collection: string;
  splits: { train: SplitFiles; validation: SplitFiles | null; test: SplitFiles };
}

export interface SplitData {
  files: SplitFiles;
  queries: Queries;
  qrels: Qrels;
  run: Run | null;
  /** Judged queries with text: the split's usable queries. */
  judgedQueries: number;
  /** Judgments whose passage is not in the collection. */
  judgmentsWithoutPassage: number;
}

/** Everything a manifest names, read and cross-checked. */
export interface Dataset {
  manifest: Manifest;
  collection: Collection;
  splits: { train: SplitData; validation: SplitData | null; test: SplitData };
}

/** The 1-based line of the manifest where the value at `keys` is written (best effort: the key's line). */
function lineOf(text: string, keys: readonly string[]): number | null {
  let at = 0;
  for (const k of keys) {
    const i = text.indexOf(`"${k}"`, at);
    if (i < 0) return null;
    at = i + k.length + 2;
  }
  return text.slice(0, at).split('\n').length;
}

class ManifestReader {
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  fail(keys: readonly string[], detail: string): never {
    throw new InputError(this.path, lineOf(this.text, keys), `${keys.join('.')}: ${detail}`);
  }

  object(v: unknown, keys: readonly string[], allowed: readonly string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(keys, 'must be a JSON object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) this.fail([...keys, k], `unknown field (expected ${allowed.join(', ')})`);
    return o;
  }

  /** A path field: a non-empty string naming an existing file, resolved against the manifest's folder. */
  file(o: Record<string, unknown>, keys: readonly string[], optional = false): string | null {
    const v = o[keys.at(-1)!];
    if (v === undefined || v === null) {
      if (optional) return null;
      this.fail(keys, 'is required');
    }
    if (typeof v !== 'string' || v.trim() === '') this.fail(keys, 'must be a file path (a non-empty string)');
    const p = isAbsolute(v) ? v : resolve(dirname(this.path), v);
    if (!existsSync(p)) this.fail(keys, `${p}: no such file`);
    if (statSync(p).isDirectory()) this.fail(keys, `${p} is a folder, not a file`);
    return p;
  }

  split(splits: Record<string, unknown>, name: SplitName): SplitFiles | null {
    const keys = ['splits', name];
    if (splits[name] === undefined) return null;
    const o = this.object(splits[name], keys, ['queries', 'qrels', 'run']);
    return {
      queries: this.file(o, [...keys, 'queries'])!,
      qrels: this.file(o, [...keys, 'qrels'])!,
      run: this.file(o, [...keys, 'run'], true),
    };
  }
}

/** Reads and validates the manifest file itself: fields, types, and that every named file exists. */
export function readManifest(path: string): Manifest {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UserError(
      `cannot read the manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : null;
    throw new InputError(abs, line, `invalid JSON: ${(e as Error).message}`);
  }
  const r = new ManifestReader(abs, text);
  const top = r.object(json, [], ['name', 'minGrade', 'collection', 'splits', 'description']);
  if (top.name !== undefined && (typeof top.name !== 'string' || top.name.trim() === ''))
    r.fail(['name'], 'must be a non-empty string');
  const minGrade: unknown = top.minGrade ?? 1;
  if (typeof minGrade !== 'number' || !Number.isInteger(minGrade) || minGrade < 1)
    r.fail(['minGrade'], `must be an integer >= 1, got ${JSON.stringify(minGrade)}`);
  const collection = r.file(top, ['collection'])!;
  if (top.splits === undefined) r.fail(['splits'], 'is required (train, optional validation, test)');
  const splits = r.object(top.splits, ['splits'], SPLITS);
  const train = r.split(splits, 'train') ?? r.fail(['splits'], 'needs a "train" split');
  const test = r.split(splits, 'test') ?? r.fail(['splits'], 'needs a "test" split');
  return {
    path: abs,
    name: typeof top.name === 'string' ? top.name : dirname(abs).split(/[\\/]/).at(-1)!,
    minGrade: minGrade as number, // checked above
    collection,
    splits: { train, validation: r.split(splits, 'validation'), test },
  };
}

async function loadSplit(m: Manifest, name: SplitName, files: SplitFiles, collection: Collection): Promise<SplitData> {
  const queries = await loadQueries(files.queries);
  const qrels = await loadQrels(files.qrels);
  const run = files.run ? await loadRun(files.run) : null;
  let judgedQueries = 0;
  for (const qid of qrels.keys()) if (queries.has(qid)) judgedQueries++;
  if (judgedQueries === 0)
    throw new InputError(
      files.qrels,
      null,
      `no judged query has text in ${files.queries} (split ${name} of ${m.path}): are they the same queries?`,
    );
  let judgmentsWithoutPassage = 0;
  for (const docs of qrels.values())
    for (const d of docs.keys()) if (collection.indexOf(d) < 0) judgmentsWithoutPassage++;
  if (run)
    for (const [qid, list] of run.queries)
      for (const r of list)
        if (collection.indexOf(r.docid) < 0)
          throw new InputError(files.run!, null, `passage ${r.docid} (query ${qid}) is not in ${m.collection}`);
  return { files, queries, qrels, run, judgedQueries, judgmentsWithoutPassage };
}

/** A query id in two splits' query files leaks training into testing: refused, naming both files. */
function checkDisjoint(splits: [SplitName, SplitData][]): void {
  for (let a = 0; a < splits.length; a++)
    for (let b = a + 1; b < splits.length; b++) {
      const [na, sa] = splits[a]!;
      const [nb, sb] = splits[b]!;
      for (const qid of sb.qrels.keys())
        if (sa.qrels.has(qid) && sa.queries.has(qid) && sb.queries.has(qid))
          throw new InputError(
            sb.files.qrels,
            null,
            `query ${qid} is judged in both ${na} (${sa.files.qrels}) and ${nb}: splits must not share queries`,
          );
    }
}

/** Reads the manifest and every file it names, checking them all before returning. */
export async function loadDataset(path: string): Promise<Dataset> {
  const manifest = readManifest(path);
  const { collection } = await loadCollection(manifest.collection);
  const s = manifest.splits;
  const train = await loadSplit(manifest, 'train', s.train, collection);
  const validation = s.validation ? await loadSplit(manifest, 'validation', s.validation, collection) : null;
  const test = await loadSplit(manifest, 'test', s.test, collection);
  checkDisjoint([
    ['train', train],
    ...(validation ? [['validation', validation] as [SplitName, SplitData]] : []),
    ['test', test],
  ]);
  return { manifest, collection, splits: { train, validation, test } };
}
