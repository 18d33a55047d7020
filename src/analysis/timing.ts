// Table II: the time to answer N queries against a collection's passage vectors, per stage
// (tokenise, encode, similarity, top-k) and end to end, after a warm-up pass, R repeats.
//
// Protocols. 'ftlab': the model and the passage vectors are loaded before the clock starts (a
// serving system's steady state). 'paper': what the paper's script had inside its clock:
// loading the model, reading the passage vectors from disk, the queries, writing the run file.
// In both, one clock runs around the whole pass (the total) and each stage has its own clock
// inside it, so the stage sum can be checked against the total (what the stages miss shows as
// a gap). The pass is the library's own path: encodeTokenized is what encode() runs after
// tokenising, and stagedSearch returns exactly exactSearch's result (test/analysis/timing.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineInfo, type Precision } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { loadCollection } from '../data/collection.ts';
import { loadQueries } from '../data/queries.ts';
import { writeTrecRun } from '../data/run.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { writeNpyF32 } from '../io/npy.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { embedCollection, type CollectionEmbeddings } from '../retrieval/embedding-cache.ts';
import type { TopK } from '../retrieval/exact-search.ts';
import { normalisesAtScoring } from '../retrieval/similarity.ts';
import type { PaperTiming, TimingResult, TimingRow, TimingStage } from './types.ts';
import { readNpyChunks, syntheticChunks, type PassageChunks } from './passage-vectors.ts';
import { stagedSearch } from './staged-search.ts';
import { elapsed, spread, timed } from './stopwatch.ts';

export interface TimingModelSpec {
  label: string;
  spec: string;
  variant: TimingRow['variant'];
}

export interface TimingOptions {
  models: TimingModelSpec[];
  queriesFile: string; // qid<TAB>text; cycled when it has fewer than n
  n: number; // default 10_000
  k: number; // default 200
  repeats: number; // default 3 (after one warm-up pass)
  passages: { collectionPath: string } | { embeddingsNpy: string } | { synthetic: number };
  /** Also time the paper's protocol (protocol: 'paper' rows): for every model, or the first only (the study's base). */
  paperProtocol: boolean | 'first';
  seed: number;
  cacheDir?: string | null; // embedding cache (null: none)
  device?: string;
  batchSize?: number;
  precision?: Precision; // the query encoder's linear layers (default fp32)
  log?: (line: string) => void;
}

/** The paper's Table II figure for its own setup, set beside ours. */
export const PAPER_FIGURES: PaperTiming[] = [
  {
    // as the paper's text states it; its code's clock also held model loading and file I/O (see
    // `ftlab timing --paper-protocol`, the row to set beside this one)
    label: 'paper: 10,000 queries vs 8.8M passages, k=200 (text: model loading and file I/O excluded)',
    seconds: 303.9,
    qps: 32.9,
    hardware: 'NVIDIA A100',
  },
];

type StageName = TimingStage['name'];
type StageTimes = Partial<Record<StageName, number>>;

interface Workload {
  texts: string[];
  qids: string[];
  dim: number;
  k: number;
  device: string;
  batchSize?: number;
}

/** Search options for this model: its similarity (ftlab.json), as search and mining score. */
function searchOptions(encoder: SentenceEncoder, w: Workload): { device: string; normalize: boolean } {
  return { device: w.device, normalize: normalisesAtScoring(encoder.info) };
}

export async function runTiming(o: TimingOptions): Promise<TimingResult> {
  checkOptions(o);
  const log = o.log ?? (() => {});
  const device = o.device ?? 'cpu';
  const notes: string[] = [];
  const { texts, qids, distinct } = await cycledQueries(o.queriesFile, o.n);
  if (distinct < o.n) notes.push(`${o.queriesFile} has ${distinct} queries: cycled in file order to ${o.n}`);
  const source = await openPassages(o, notes);
  const rows: TimingRow[] = [];
  let dim = 0;
  let size = 0;
  for (const m of o.models) {
    const encoder = loadVariant(m, device, o.precision);
    try {
      const passages = source.vectors(encoder, m.spec, log);
      dim = passages.dim;
      size = passages.rows;
      if (passages.dim !== encoder.dim)
        throw new UserError(
          `${m.spec}: width ${encoder.dim}, but the passage vectors${passages.path ? ` in ${passages.path}` : ''} have ${passages.dim}`,
        );
      const w: Workload = { texts, qids, dim, k: o.k, device, batchSize: o.batchSize };
      log(`${m.label}: ftlab protocol, warm-up + ${o.repeats} repeats`);
      rows.push(row(m, 'ftlab', o.n, await repeat(o.repeats, () => ftlabPass(encoder, passages.chunks, w))));
      if (o.paperProtocol === true || (o.paperProtocol === 'first' && m === o.models[0])) {
        const onDisk = source.onDisk(encoder, m.spec, passages);
        log(`${m.label}: paper protocol, warm-up + ${o.repeats} repeats`);
        try {
          rows.push(row(m, 'paper', o.n, await repeat(o.repeats, () => paperPass(m, onDisk.read, source.docid, w))));
        } finally {
          onDisk.cleanup();
        }
      }
    } finally {
      encoder.dispose();
    }
  }
  if (o.paperProtocol !== false)
    notes.push(
      'paper protocol: the warm-up pass leaves the passage file in the OS page cache, so its read is a warm read' +
        ('synthetic' in o.passages ? ' (synthetic vectors: written once to a temporary .npy, outside the clock)' : ''),
    );
  // measured in two idle quick-preset runs on a 2-core VM: base and LoRA merged (the same
  // arithmetic) came out 2% and 14% apart with one timed pass each
  if (o.repeats < 3 && o.models.length > 1)
    notes.push(
      `one timed pass per model (models run one after another): differences of 15% or less between models can be run-to-run noise; --timing-repeats 3 or more gives medians`,
    );
  const env = engineInfo();
  return {
    queries: o.n,
    queriesFile: o.queriesFile,
    distinctQueries: distinct,
    cycled: distinct < o.n,
    passages: size,
    synthetic: 'synthetic' in o.passages,
    dim,
    k: o.k,
    repeats: o.repeats,
    warmup: true,
    rows,
    environment: {
      threads: env.threads,
      device,
      torch: env.torch,
      parallel: env.parallel
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /OpenMP|MKL|threads/i.test(l))
        .join('; '),
    },
    paper: PAPER_FIGURES,
    notes,
  };
}

function checkOptions(o: TimingOptions): void {
  if (o.models.length === 0) throw new UserError('timing needs at least one --model');
  for (const [name, v] of [
    ['n', o.n],
    ['k', o.k],
    ['repeats', o.repeats],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`timing: ${name} must be a positive integer, got ${v}`);
  }
}

/** The first n queries of the file, cycling through it again when it has fewer. */
export async function cycledQueries(
  path: string,
  n: number,
): Promise<{ texts: string[]; qids: string[]; distinct: number }> {
  const all = [...(await loadQueries(path))];
  const texts: string[] = [];
  const qids: string[] = [];
  for (let i = 0; i < n; i++) {
    const [qid, text] = all[i % all.length]!;
    texts.push(text);
    qids.push(i < all.length ? qid : `${qid}.${Math.floor(i / all.length)}`); // run files need distinct ids
  }
  return { texts, qids, distinct: Math.min(n, all.length) };
}

export function loadVariant(m: TimingModelSpec, device: string, precision?: Precision): SentenceEncoder {
  const encoder = SentenceEncoder.load(m.spec, { device, precision });
  const lora = m.variant === 'lora-merged' || m.variant === 'lora-unmerged';
  if (lora && !encoder.lora)
    throw new UserError(`${m.spec}: variant ${m.variant} needs a LoRA folder (adapter_config.json)`);
  if (m.variant === 'lora-merged') encoder.lora!.merge(encoder.bert); // in memory: the folder is not changed
  return encoder;
}

interface PassageSource {
  vectors(encoder: SentenceEncoder, spec: string, log: (l: string) => void): PassageChunks;
  /** The paper protocol's file read (synthetic vectors: a temporary .npy written once). */
  onDisk: (
    encoder: SentenceEncoder,
    spec: string,
    inMemory: PassageChunks,
  ) => { read: () => PassageChunks; cleanup: () => void };
  docid: (pos: number) => string;
}

async function openPassages(o: TimingOptions, notes: string[]): Promise<PassageSource> {
  const p = o.passages;
  if ('synthetic' in p) {
    let made: PassageChunks | null = null;
    notes.push(`passages: ${p.synthetic} random unit vectors (normal draws, L2-normalised, seed ${o.seed}), in memory`);
    return {
      vectors: (enc, _spec, log) => {
        if (made === null || made.dim !== enc.dim) {
          log(`making ${p.synthetic} synthetic vectors of width ${enc.dim}`);
          made = syntheticChunks(p.synthetic, enc.dim, o.seed);
        }
        return made;
      },
      onDisk: (_enc, _spec, inMemory) => temporaryNpy(inMemory),
      docid: String,
    };
  }
  if ('embeddingsNpy' in p) {
    const m = readNpyChunks(p.embeddingsNpy);
    notes.push(`passages: ${p.embeddingsNpy} (the same vectors for every model)`);
    return {
      vectors: () => m,
      onDisk: () => ({ read: () => readNpyChunks(p.embeddingsNpy), cleanup: () => {} }),
      docid: String,
    };
  }
  const { collection } = await loadCollection(p.collectionPath);
  const cached = new Map<string, CollectionEmbeddings>();
  // one encoding per --model: a LoRA folder's merged row searches the unmerged row's vectors
  const embeddings = (enc: SentenceEncoder, key: string, log: (l: string) => void): CollectionEmbeddings => {
    if (!cached.has(key)) {
      log(`encoding ${collection.size} passages (or reading them from the embedding cache)`);
      cached.set(
        key,
        embedCollection(enc, collection, p.collectionPath, { cacheDir: o.cacheDir, batchSize: o.batchSize }),
      );
    }
    return cached.get(key)!;
  };
  return {
    vectors: (enc, spec, log) => materialize(embeddings(enc, spec, log)),
    onDisk: (enc, spec, inMemory) =>
      collectionOnDisk(
        embeddings(enc, spec, () => {}),
        inMemory,
      ),
    docid: (pos) => collection.id(pos),
  };
}

function materialize(e: CollectionEmbeddings): PassageChunks {
  return { chunks: [...e.chunks()], rows: e.size, dim: e.dim };
}

/** Reads the cache's .npy shards; with no cache, a temporary .npy written once, outside the clock. */
function collectionOnDisk(
  e: CollectionEmbeddings,
  inMemory: PassageChunks,
): { read: () => PassageChunks; cleanup: () => void } {
  if (e.dir !== null) return { read: () => materialize(e), cleanup: () => {} };
  return temporaryNpy(inMemory);
}

/** The vectors written once to a temporary .npy (outside the clock) for the paper protocol to read. */
function temporaryNpy(inMemory: PassageChunks): { read: () => PassageChunks; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ftlab-timing-'));
  const path = join(dir, 'passages.npy');
  const all = new Float32Array(inMemory.rows * inMemory.dim);
  let off = 0;
  for (const c of inMemory.chunks) {
    all.set(c, off);
    off += c.length;
  }
  writeAtomic(path, (f) => writeNpyF32(f, all, [inMemory.rows, inMemory.dim]));
  return { read: () => readNpyChunks(path), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

interface Pass {
  stages: StageTimes;
  total: number;
}

/** One warm-up pass (discarded), then `repeats` timed passes. */
async function repeat(repeats: number, pass: () => Promise<Pass>): Promise<Pass[]> {
  await pass();
  const out: Pass[] = [];
  for (let r = 0; r < repeats; r++) out.push(await pass());
  return out;
}

async function ftlabPass(encoder: SentenceEncoder, chunks: Float32Array[], w: Workload): Promise<Pass> {
  const start = performance.now();
  const [lists, tokenize] = await timed(() => encoder.tokenize(w.texts, 'query'));
  const [vectors, encode] = await timed(() => encoder.encodeTokenized(lists, { batchSize: w.batchSize }));
  const s = stagedSearch(vectors, w.dim, chunks, w.k, searchOptions(encoder, w));
  return { stages: { tokenize, encode, similarity: s.similaritySeconds, topk: s.topkSeconds }, total: elapsed(start) };
}

/** The paper's clock: load, read the vectors, answer, write the run; each part also on its own clock. */
async function paperPass(
  m: TimingModelSpec,
  read: () => PassageChunks,
  docid: (pos: number) => string,
  w: Workload,
): Promise<Pass> {
  const dir = mkdtempSync(join(tmpdir(), 'ftlab-timing-run-'));
  const start = performance.now();
  try {
    const [encoder, load] = await timed(() => loadVariant(m, w.device));
    try {
      const [passages, readSeconds] = await timed(read);
      const [lists, tokenize] = await timed(() => encoder.tokenize(w.texts, 'query'));
      const [vectors, encode] = await timed(() => encoder.encodeTokenized(lists, { batchSize: w.batchSize }));
      const s = stagedSearch(vectors, w.dim, passages.chunks, w.k, searchOptions(encoder, w));
      const [, write] = await timed(() => writeRun(join(dir, 'run.trec'), s.result, w.qids, docid));
      const total = elapsed(start);
      return {
        stages: {
          'load-model': load,
          'read-embeddings': readSeconds,
          tokenize,
          encode,
          similarity: s.similaritySeconds,
          topk: s.topkSeconds,
          'write-run': write,
        },
        total,
      };
    } finally {
      encoder.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeRun(path: string, r: TopK, qids: readonly string[], docid: (pos: number) => string): void {
  const results = new Map<string, { docid: string; score: number }[]>();
  qids.forEach((qid, q) => {
    const list: { docid: string; score: number }[] = [];
    for (let j = 0; j < r.k && r.indices[q * r.k + j]! >= 0; j++)
      list.push({ docid: docid(r.indices[q * r.k + j]!), score: r.scores[q * r.k + j]! });
    results.set(qid, list);
  });
  writeTrecRun(path, results);
}

const STAGE_ORDER: StageName[] = [
  'load-model',
  'read-embeddings',
  'tokenize',
  'encode',
  'similarity',
  'topk',
  'write-run',
];

function row(m: TimingModelSpec, protocol: TimingRow['protocol'], n: number, passes: Pass[]): TimingRow {
  const stages = STAGE_ORDER.filter((name) => passes[0]!.stages[name] !== undefined).map((name): TimingStage => {
    const s = spread(passes.map((p) => p.stages[name]!));
    return { name, medianSeconds: s.median, minSeconds: s.min, maxSeconds: s.max };
  });
  const t = spread(passes.map((p) => p.total));
  return {
    model: protocol === 'paper' ? `${m.label} (paper protocol)` : m.label,
    modelPath: m.spec,
    variant: m.variant,
    protocol,
    stages,
    totalMedianSeconds: t.median,
    totalMinSeconds: t.min,
    totalMaxSeconds: t.max,
    qps: n / t.median,
  };
}
