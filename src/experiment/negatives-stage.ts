// The negatives stage of one fold: the training and validation triples of both kinds,
// written under RUN/triples/ and cached by their inputs (files, split, base model, guard).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import { loadTextTriples } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import type { Fold, QuerySet } from './data.ts';
import {
  emptyStats,
  hardNegatives,
  judgedPositives,
  randomNegatives,
  textTriples,
  type IdTriple,
  type NegativeStats,
  type Positive,
} from './negatives.ts';
import { Random } from '../data/random.ts';
import type { StageCache } from './stage-cache.ts';
import type { StudyOptions } from './options.ts';

export const HARD = { depth: 200, lo: 51, hi: 200 };

export interface TriplesFile {
  path: string;
  sha256: string;
  count: number;
}
export interface NegativesOutput {
  files: Record<'train-random' | 'train-hard' | 'validation-random' | 'validation-hard', TriplesFile>;
  stats: Record<'random' | 'hard', NegativeStats>;
  miningPassages: number;
}

export async function negativesStage(
  fold: Fold,
  base: SentenceEncoder,
  baseId: string,
  o: StudyOptions,
  cache: StageCache,
): Promise<NegativesOutput> {
  const key = {
    fold: fold.files.map((f) => f.sha256),
    seed: o.seed,
    validation: o.validationFraction,
    base: baseId,
    guard: o.guardMargin,
    pool: o.miningPool,
    depth: o.miningDepth,
    need: o.steps * o.batchSize,
    hard: HARD,
    minGrade: fold.minGrade,
  };
  return cache.run(
    `negatives.${fold.name.replace('->', '-')}`,
    key,
    () => mine(fold, base, o),
    (v) => Object.values(v.files).every((f) => existsSync(f.path) && sha256(readFileSync(f.path)) === f.sha256),
  );
}

async function mine(fold: Fold, base: SentenceEncoder, o: StudyOptions): Promise<NegativesOutput> {
  const c = fold.collection;
  const valExcluded = testPassages(fold);
  // training sees steps x batch triples (less than an epoch here): mining more positives than that changes nothing
  const need = o.steps * o.batchSize;
  const stats = { random: emptyStats(), hard: emptyStats() };
  const trainPos = capped(
    judgedPositives(fold.training.queries, fold.training.qrels, c, fold.minGrade, fold.excluded, stats.hard),
    need,
    o.seed,
  );
  Object.assign(stats.random, stats.hard);
  const valStats = emptyStats();
  const valPos = capped(
    judgedPositives(fold.validation.queries, fold.validation.qrels, c, fold.minGrade, valExcluded, valStats),
    Math.max(8, Math.ceil(need / 4)),
    o.seed,
  );
  const rows = miningRows(fold, o.miningPool, trainPos, o.miningDepth);
  o.log(
    `negatives ${fold.name}: ${trainPos.length} training and ${valPos.length} validation positives; encoding ${rows.length} training passages with the base model (hard negatives)`,
  );
  const bar = o.progress('encode training passages (base)', rows.length, 'passages');
  const vectors = base.encode(
    rows.map((p) => c.text(p)),
    'passage',
    { onProgress: (d) => bar.update(d) },
  );
  const make = async (
    set: QuerySet,
    positives: Positive[],
    kind: 'random' | 'hard',
    excluded: ReadonlySet<number>,
    st: NegativeStats,
  ): Promise<IdTriple[]> => {
    if (kind === 'random')
      return randomNegatives({
        positives,
        qrels: set.qrels,
        run: fold.trainRun!,
        collection: c,
        excluded,
        seed: o.seed,
        stats: st,
      });
    return hardNegatives({
      positives,
      queries: set.queries,
      qrels: set.qrels,
      collection: c,
      encoder: base,
      docs: [vectors],
      rows,
      excluded,
      ...HARD,
      guardMargin: o.guardMargin,
      seed: o.seed,
      stats: st,
    });
  };
  const files = {} as NegativesOutput['files'];
  const tag = fold.name.replace('->', '-');
  for (const kind of ['random', 'hard'] as const) {
    const s = stats[kind];
    const train = await make(fold.training, trainPos, kind, fold.excluded, s);
    files[`train-${kind}`] = writeTriples(
      join(o.output, 'triples', `${tag}.train.${kind}.tsv`),
      textTriples(train, fold.training.queries, c),
    );
    const val = await make(fold.validation, valPos, kind, valExcluded, emptyStats());
    files[`validation-${kind}`] = writeTriples(
      join(o.output, 'triples', `${tag}.validation.${kind}.tsv`),
      textTriples(val, fold.validation.queries, c),
    );
    o.log(
      `negatives ${fold.name} ${kind}: ${s.triples} triples from ${new Set(train.map((t) => t.qid)).size} queries; dropped: ${s.positivesExcluded} positives touched by test/validation, ${s.excludedDropped} test/validation candidates, ${s.judgedDropped} judged-relevant${kind === 'hard' ? `, ${s.guardDropped} by the false-negative guard` : ''}; ${s.shortPools} positives without a negative`,
    );
  }
  return { files, stats, miningPassages: rows.length };
}

/** How many passages the hard-negative search will encode (for the plan; no encoding). */
export function plannedMiningPassages(fold: Fold, o: StudyOptions): number {
  const positives = capped(
    judgedPositives(
      fold.training.queries,
      fold.training.qrels,
      fold.collection,
      fold.minGrade,
      fold.excluded,
      emptyStats(),
    ),
    o.steps * o.batchSize,
    o.seed,
  );
  return miningRows(fold, o.miningPool, positives, o.miningDepth).length;
}

/** A seeded sample of at most n positives (all of them when there are fewer), in their original order. */
export function capped(positives: Positive[], n: number, seed: number): Positive[] {
  if (positives.length <= n) return positives;
  const idx = new Random((seed ^ 0xca9) >>> 0)
    .shuffle(positives.map((_, i) => i))
    .slice(0, n)
    .sort((a, b) => a - b);
  return idx.map((i) => positives[i]!);
}

/** Passages judged for, or candidates of, the test queries (validation triples must avoid only these). */
function testPassages(fold: Fold): Set<number> {
  const out = new Set<number>();
  for (const [q, judged] of fold.test.qrels)
    if (fold.test.queries.has(q))
      for (const d of judged.keys()) {
        const p = fold.collection.indexOf(d);
        if (p >= 0) out.add(p);
      }
  for (const list of fold.testRun?.queries.values() ?? [])
    for (const r of list) {
      const p = fold.collection.indexOf(r.docid);
      if (p >= 0) out.add(p);
    }
  return out;
}

/**
 * The passages hard negatives are searched in, never an excluded one: the whole training part
 * of the pool, or the training queries' own candidates (BM25 top-`depth`) plus the positives.
 */
export function miningRows(
  fold: Fold,
  mode: 'candidates' | 'pool',
  positives: readonly Positive[],
  depth: number,
): number[] {
  const c = fold.collection;
  if (mode === 'pool') return Array.from({ length: c.size }, (_, i) => i).filter((p) => !fold.excluded.has(p));
  const set = new Set<number>(positives.map((p) => p.position));
  for (const q of new Set(positives.map((p) => p.qid))) {
    for (const r of (fold.trainRun?.queries.get(q) ?? []).slice(0, depth)) set.add(c.indexOf(r.docid));
  }
  return [...set].filter((p) => p >= 0 && !fold.excluded.has(p)).sort((a, b) => a - b);
}

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

export function writeTriples(path: string, triples: TextTriple[]): TriplesFile {
  const text = triples.map((t) => `${t.query}\t${t.positive}\t${t.negative}\n`).join('');
  writeAtomic(path, (f) => f.write(text));
  return { path, sha256: sha256(text), count: triples.length };
}

export async function readTriples(f: TriplesFile): Promise<TextTriple[]> {
  if (f.count === 0) return [];
  return (await loadTextTriples(f.path)).triples;
}
