// The negatives stage of a fold with first-stage candidates (the TREC DL pool, a manifest's
// dataset; without a training run random negatives are uniform over the collection): the
// training and validation triples of both kinds, written under RUN/triples/ and cached by
// their inputs (stage-keys.ts: files, split, base model, guard, mining pool).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import { loadTextTriples } from '../data/triples.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import type { StudyContext } from './context.ts';
import type { Fold, QuerySet } from './data.ts';
import {
  emptyStats,
  hardNegatives,
  judgedPositives,
  type MinedTriple,
  type NegativeStats,
  type Positive,
} from '../retrieval/mining.ts';
import { HARD, randomNegatives, textTriples, uniformNegatives } from './negatives.ts';
import { Random } from '../data/random.ts';
import type { StudyOptions } from './options.ts';
import { candidateNegativesKey } from './stage-keys.ts';
import type { NegativesRecord } from '../report/schema.ts';
import { negativesHardness, type HardnessInput } from './negatives-hardness.ts';

export { HARD } from './negatives.ts';

export interface TriplesFile {
  path: string;
  sha256: string;
  count: number;
}
export type TrainFiles = Record<'train-random' | 'train-hard', TriplesFile>;
export interface NegativesOutput {
  /** The validation triples, and the training triples of the first seed. */
  files: TrainFiles & Record<'validation-random' | 'validation-hard', TriplesFile>;
  /** Training triples of seed k = --seed + k (negatives redrawn per seed); absent: `files` for every seed. */
  bySeed?: TrainFiles[];
  stats: Record<'random' | 'hard', NegativeStats>;
  miningPassages: number;
  /** How hard the first seed's training negatives are (absent where not profiled). */
  profiles?: NegativesRecord[];
}

/** The training triples of seed index k. */
export function seedTriples(n: NegativesOutput, k: number): TrainFiles {
  return n.bySeed?.[k] ?? n.files;
}

type Kind = 'random' | 'hard';

/** The fold's triples, from the cache when its inputs are unchanged and its files intact. */
export function candidateNegatives(ctx: StudyContext, fold: Fold): Promise<NegativesOutput> {
  return ctx.cache.run(
    `negatives.${foldTag(fold)}`,
    candidateNegativesKey(fold, ctx.options, ctx.baseId),
    () => mine(ctx, fold),
    (v) => Object.values(v.files).every((f) => existsSync(f.path) && sha256(readFileSync(f.path)) === f.sha256),
  );
}

export function foldTag(fold: Pick<Fold, 'name'>): string {
  return fold.name.replace('->', '-');
}

/** One side's positives and what mining them needs. */
interface Side {
  name: 'train' | 'validation';
  set: QuerySet;
  positives: Positive[];
  excluded: ReadonlySet<number>;
}

/**
 * The base model encodes the searched passages once (the training queries' candidates, and
 * the validation queries' own candidates for validation triples); each seed then draws its
 * random negatives and its choice among the hard candidates.
 */
async function mine(ctx: StudyContext, fold: Fold): Promise<NegativesOutput> {
  const o = ctx.options;
  const stats = { random: emptyStats(), hard: emptyStats() };
  const train = trainingSide(fold, o, stats.hard);
  Object.assign(stats.random, stats.hard);
  const validation = validationSide(fold, o);
  const searched = encodeRows(ctx, miningRows(fold, o.miningPool, train.positives, o.miningDepth), fold);
  const valSearched = encodeRows(ctx, validationRows(fold, validation, o.miningDepth), fold);
  ctx.log(
    `negatives ${fold.name}: ${train.positives.length} training and ${validation.positives.length} validation ` +
      `positives; encoded ${searched.rows.length} training and ${valSearched.rows.length} validation passages ` +
      "with the base model (hard negatives: each side searches its own queries' candidates)",
  );
  const bySeed: TrainFiles[] = [];
  const first = {} as Record<Kind, MinedTriple[]>;
  for (let k = 0; k < o.seeds; k++) {
    const seedFiles = {} as TrainFiles;
    for (const kind of ['random', 'hard'] as const) {
      const s = k === 0 ? stats[kind] : emptyStats();
      const ids = await mineSide(ctx, fold, { side: train, kind, stats: s, searched, seed: o.seed + k });
      seedFiles[`train-${kind}`] = writeSide(ctx, fold, { side: train, kind, ids, k });
      if (k === 0) first[kind] = ids;
      if (k === 0) ctx.log(statsLine(fold, kind, s, new Set(ids.map((t) => t.qid)).size));
    }
    bySeed.push(seedFiles);
  }
  const files = { ...bySeed[0]! } as NegativesOutput['files'];
  for (const kind of ['random', 'hard'] as const) {
    const r = { side: validation, kind, stats: emptyStats(), searched: valSearched, seed: o.seed };
    files[`validation-${kind}`] = writeSide(ctx, fold, {
      side: validation,
      kind,
      ids: await mineSide(ctx, fold, r),
      k: 0,
    });
  }
  const profiles = (['random', 'hard'] as const)
    .filter((kind) => first[kind].length > 0)
    .map((kind) => negativesHardness(ctx.base, { fold: fold.name, kind, triples: first[kind], ...profiled(fold) }));
  return { files, bySeed, stats, miningPassages: searched.rows.length, profiles };
}

function profiled(fold: Fold): Pick<HardnessInput, 'queries' | 'collection' | 'run'> {
  return { queries: fold.training.queries, collection: fold.collection, run: fold.trainRun };
}

/** The base model's vectors of the searched passages. */
function encodeRows(ctx: StudyContext, rows: number[], fold: Fold): { rows: number[]; vectors: Float32Array } {
  const bar = ctx.progress('encode passages searched for hard negatives (base)', rows.length, 'passages');
  const vectors = ctx.base.encode(
    rows.map((p) => fold.collection.text(p)),
    'passage',
    { onProgress: (d) => bar.update(d) },
  );
  return { rows, vectors };
}

/** Training sees steps x batch triples (less than an epoch here): mining more positives than that changes nothing. */
function trainingSide(fold: Fold, o: StudyOptions, stats: NegativeStats): Side {
  const c = fold.collection;
  const all = judgedPositives(fold.training, c, { minGrade: fold.minGrade, excluded: fold.excluded }, stats);
  return {
    name: 'train',
    set: fold.training,
    positives: o.epochs === null ? capped(all, o.steps * o.batchSize, o.seed) : all,
    excluded: fold.excluded,
  };
}

function validationSide(fold: Fold, o: StudyOptions): Side {
  const excluded = testPassages(fold);
  const set = fold.validation;
  const all = judgedPositives(set, fold.collection, { minGrade: fold.minGrade, excluded }, emptyStats());
  const n = o.epochs === null ? Math.max(8, Math.ceil((o.steps * o.batchSize) / 4)) : all.length;
  return { name: 'validation', set, positives: capped(all, n, o.seed), excluded };
}

interface MineRequest {
  side: Side;
  kind: Kind;
  stats: NegativeStats;
  searched: { rows: number[]; vectors: Float32Array };
  seed: number;
}

function mineSide(ctx: StudyContext, fold: Fold, r: MineRequest): Promise<MinedTriple[]> | MinedTriple[] {
  const { side, stats } = r;
  const count = side.name === 'train' ? ctx.options.negativesPerPositive : 1;
  const common = { positives: side.positives, qrels: side.set.qrels, collection: fold.collection };
  if (r.kind === 'random') {
    const random = { ...common, excluded: side.excluded, seed: r.seed, stats };
    // without a first-stage run: uniform over the collection, one per positive
    return fold.trainRun ? randomNegatives({ ...random, run: fold.trainRun, count }) : uniformNegatives(random);
  }
  return hardNegatives({
    ...common,
    queries: side.set.queries,
    encoder: ctx.base,
    docs: [r.searched.vectors],
    rows: r.searched.rows,
    excluded: side.excluded,
    ...HARD,
    guardMargin: ctx.options.guardMargin,
    seed: r.seed,
    stats,
    count,
  });
}

interface SideTriples {
  side: Side;
  kind: Kind;
  ids: MinedTriple[];
  k: number; // seed index
}

function writeSide(ctx: StudyContext, fold: Fold, w: SideTriples): TriplesFile {
  const seed = w.k === 0 ? '' : `.seed-${w.k}`;
  const path = join(ctx.options.output, 'triples', `${foldTag(fold)}.${w.side.name}.${w.kind}${seed}.tsv`);
  return writeTriples(path, textTriples(w.ids, w.side.set.queries, fold.collection));
}

function statsLine(fold: Fold, kind: Kind, s: NegativeStats, queries: number): string {
  return (
    `negatives ${fold.name} ${kind}: ${s.triples} triples from ${queries} queries; dropped: ` +
    `${s.positivesExcluded} positives touched by test/validation, ${s.excludedDropped} test/validation candidates, ` +
    `${s.judgedDropped} judged-relevant${kind === 'hard' ? `, ${s.guardDropped} by the false-negative guard` : ''}; ` +
    `${s.shortPools} positives without a negative`
  );
}

/** How many passages the hard-negative search will encode (for the plan; no encoding). */
export function plannedMiningPassages(fold: Fold, o: StudyOptions): number {
  return miningRows(fold, o.miningPool, trainingSide(fold, o, emptyStats()).positives, o.miningDepth).length;
}

/** Training triples at most (positives x negatives per positive; short pools give fewer). */
export function plannedTrainingTriples(fold: Fold, o: StudyOptions): number {
  return trainingSide(fold, o, emptyStats()).positives.length * o.negativesPerPositive;
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
 * The passages validation hard negatives are searched in: the validation queries' own BM25
 * candidates plus their positives, never a test passage (off-topic training passages would
 * make held-out triplet accuracy easy).
 */
function validationRows(fold: Fold, side: Side, depth: number): number[] {
  const c = fold.collection;
  const set = new Set<number>(side.positives.map((p) => p.position));
  for (const q of new Set(side.positives.map((p) => p.qid)))
    for (const r of (fold.trainRun?.queries.get(q) ?? []).slice(0, depth)) set.add(c.indexOf(r.docid));
  return [...set].filter((p) => p >= 0 && !side.excluded.has(p)).sort((a, b) => a - b);
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
