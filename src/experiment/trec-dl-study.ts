// The paper's study on the data these machines have: train on TREC DL20 judgments
// (positives: grade >= 2) with random and with hard negatives (mined with the base model
// from the 30k-passage pool, ranks 51-200), full fine-tuning and LoRA; evaluate the base
// model and the four variants on DL19 (disjoint queries), re-ranking BM25's top-100 and
// optionally dense retrieval over the whole pool; paired significance against the base.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollection } from '../data/collection.ts';
import { loadQueries } from '../data/queries.ts';
import { loadQrels } from '../data/qrels.ts';
import { loadRun, type Run } from '../data/run.ts';
import { mineTriples } from '../retrieval/mining.ts';
import type { TextTriple } from '../data/triples.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { embedCollection } from '../retrieval/embedding-cache.ts';
import { denseRetrieve, rerank, type Ranking } from '../retrieval/dense-retrieval.ts';
import { evaluate, type Evaluation } from '../eval/evaluate.ts';
import { parseMetrics } from '../eval/metric.ts';
import { compareEvaluations, type Comparison } from '../eval/compare.ts';
import { latestCheckpoint, train, type TrainConfig } from '../train/trainer.ts';
import { TRIPLET_PRESETS } from '../train/losses/triplet-loss.ts';
import { PAPER_LORA } from '../model/lora.ts';
import { writeTrecRun } from '../data/run.ts';
import { UserError } from '../errors.ts';

export interface StudyOptions {
  data: string; // folder holding trec-dl/ (../shared/data/msmarco)
  output: string;
  steps: number;
  batchSize: number;
  preset: 'paper-text' | 'paper-run';
  protocols: ('rerank' | 'dense')[];
  seed: number;
  cacheDir?: string;
  log: (line: string) => void;
}

export const STUDY_METRICS = 'nDCG@10,RR(rel=2)@10,R(rel=2)@100';

export interface StudyResult {
  models: string[];
  evaluations: Record<string, Record<string, Evaluation>>; // protocol -> model -> evaluation
  comparisons: Record<string, Comparison>;
  latency: Record<string, { queries: number; encodeSeconds: number; searchSeconds: number; qps: number }>;
  triples: Record<string, number>;
}

export async function runTrecDlStudy(o: StudyOptions): Promise<StudyResult> {
  const dl = join(o.data, 'trec-dl');
  if (!existsSync(join(dl, 'collection.pool.tsv'))) throw new UserError(`${dl}/collection.pool.tsv not found: --data must hold trec-dl/ (see ../shared/data/msmarco/README.md)`);
  mkdirSync(o.output, { recursive: true });
  const poolPath = join(dl, 'collection.pool.tsv');
  const { collection } = await loadCollection(poolPath);
  const q20 = await loadQueries(join(dl, 'queries.dl20.tsv'));
  const qr20 = await loadQrels(join(dl, 'qrels.dl20-passage.txt'));
  const q19 = await loadQueries(join(dl, 'queries.dl19.tsv'));
  const qr19 = await loadQrels(join(dl, 'qrels.dl19-passage.txt'));
  const bm25: Run = await loadRun(join(dl, 'run.dl19.bm25.top100.trec'));
  const metrics = parseMetrics(STUDY_METRICS);
  o.log(`study: pool ${collection.size} passages; train DL20 (${q20.size} queries), test DL19 (${q19.size} queries)`);

  // 1. the two training sets
  const base = SentenceEncoder.load('default');
  const baseDocs = embedCollection(base, collection, poolPath, { cacheDir: o.cacheDir, onProgress: progressLine(o.log, 'encode pool (base)') });
  const sets: Record<string, TextTriple[]> = {};
  for (const strategy of ['random', 'hard'] as const) {
    const mined = await mineTriples({ strategy, queries: q20, qrels: qr20, collection, encoder: base, docs: baseDocs, depth: 200, lo: 51, hi: 200, perPositive: 1, minGrade: 2, seed: o.seed });
    sets[strategy] = mined.triples.map((t) => ({ query: q20.get(t.qid)!, positive: collection.text(t.positive), negative: collection.text(t.negative) }));
    writeFileSync(join(o.output, `triples.dl20.${strategy}.tsv`), sets[strategy]!.map((t) => `${t.query}\t${t.positive}\t${t.negative}\n`).join(''));
    o.log(`study: ${sets[strategy]!.length} ${strategy}-negative triples (${mined.queries} queries)`);
  }

  // 2. four fine-tuned variants
  const preset = TRIPLET_PRESETS[o.preset];
  const models: Record<string, string> = { base: 'default' };
  for (const method of ['full', 'lora'] as const) {
    for (const strategy of ['random', 'hard'] as const) {
      const name = `${method}-${strategy}`;
      const dir = join(o.output, 'models', name);
      const cfg: TrainConfig = {
        model: 'default', loss: 'triplet', distance: preset.distance, margin: preset.margin, mnrlScale: 20, normalize: preset.normalize,
        batchSize: o.batchSize, gradAccumulation: 1, lr: 2e-5, warmup: 0.1, epochs: 1, maxSteps: o.steps, // the paper's rate, both methods warmup: 0.1, epochs: 1, maxSteps: o.steps,
        weightDecay: 0.01, maxGradNorm: 1, lora: method === 'lora' ? PAPER_LORA : null, seed: o.seed, evalEvery: 0, saveEvery: Math.max(1, Math.floor(o.steps / 4)),
        keepCheckpoints: 1,
      };
      models[name] = dir;
      // resumable: a finished variant is kept, an interrupted one continues from its last checkpoint
      if (finishedTraining(dir, o.steps)) {
        o.log(`study: ${name} already trained (${dir})`);
        continue;
      }
      const enc = SentenceEncoder.load('default');
      const r = await train(enc, sets[strategy]!, [], cfg, {
        output: dir, resume: latestCheckpoint(join(dir, 'checkpoints')) !== null,
        onStep: (s, total) => { if (s.step === total || s.step % 10 === 0) o.log(`study: ${name} step ${s.step}/${total} loss ${s.loss.toFixed(4)} ${s.tokensPerSec.toFixed(0)} tok/s`); },
      });
      o.log(`study: ${name} trained ${r.steps} steps, ${r.trainable} trainable parameters`);
      enc.dispose();
    }
  }

  // 3. evaluation on DL19
  const evaluations: StudyResult['evaluations'] = {};
  const latency: StudyResult['latency'] = {};
  for (const protocol of o.protocols) evaluations[protocol] = {};
  for (const [name, spec] of Object.entries(models)) {
    const enc = name === 'base' ? base : SentenceEncoder.load(spec);
    // with the dense protocol the whole pool is encoded anyway: re-ranking then reads those vectors
    const docs = o.protocols.includes('dense')
      ? (name === 'base' ? baseDocs : embedCollection(enc, collection, poolPath, { cacheDir: o.cacheDir, onProgress: progressLine(o.log, `encode pool (${name})`) }))
      : (name === 'base' ? baseDocs : null);
    for (const protocol of o.protocols) {
      let ranking: Ranking;
      if (protocol === 'rerank') {
        ranking = rerank(enc, q19, collection, bm25, docs);
      } else {
        const r = await denseRetrieve(enc, q19, collection, docs!, 1000);
        ranking = r.ranking;
        latency[name] = { queries: q19.size, ...r.timing, qps: q19.size / (r.timing.encodeSeconds + r.timing.searchSeconds) };
      }
      const runPath = join(o.output, 'runs', `dl19.${protocol}.${name}.trec`);
      mkdirSync(join(o.output, 'runs'), { recursive: true });
      writeTrecRun(runPath, ranking, name);
      evaluations[protocol]![name] = evaluate(await loadRun(runPath), qr19, metrics);
      o.log(`study: ${protocol} ${name}: ${evaluations[protocol]![name]!.metrics.map((m, i) => `${m} ${evaluations[protocol]![name]!.mean[i]!.toFixed(4)}`).join(', ')}`);
    }
    if (name !== 'base') enc.dispose();
  }
  const comparisons: Record<string, Comparison> = {};
  const names = Object.keys(models);
  for (const protocol of o.protocols) comparisons[protocol] = compareEvaluations(names, names.map((n) => evaluations[protocol]![n]!), 10000, o.seed);
  const result: StudyResult = { models: names, evaluations, comparisons, latency, triples: Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.length])) };
  writeFileSync(join(o.output, 'results.json'), JSON.stringify({ ...result, evaluations: undefined }, null, 2));
  writeFileSync(join(o.output, 'report.md'), studyReport(result, o));
  return result;
}

function finishedTraining(dir: string, steps: number): boolean {
  const info = join(dir, 'ftlab.json');
  if (!existsSync(info)) return false;
  const t = (JSON.parse(readFileSync(info, 'utf8')) as { training?: { step?: number } }).training;
  return t?.step === steps;
}

function progressLine(log: (l: string) => void, label: string): (d: number, n: number, note?: string) => void {
  let last = -1;
  return (d, n, note) => {
    const pct = Math.floor((100 * d) / n / 10) * 10;
    if (pct !== last) { last = pct; log(`${label}: ${pct}% (${d}/${n})${note ? ` ${note}` : ''}`); }
  };
}

export function studyReport(r: StudyResult, o: StudyOptions): string {
  const lines: string[] = [];
  lines.push('# ftlab study: fine-tuning all-MiniLM-L6-v2 (train TREC DL20, test TREC DL19)', '');
  lines.push(`Preset ${o.preset}; ${o.steps} steps at batch ${o.batchSize}; seed ${o.seed}. Training triples: ${Object.entries(r.triples).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  for (const [protocol, c] of Object.entries(r.comparisons)) {
    lines.push(`## DL19, ${protocol === 'rerank' ? 're-ranking the BM25 top-100' : 'dense retrieval over the 30,005-passage pool'} (${c.queries} queries)`, '');
    lines.push(`| model | ${c.metrics.map((m) => `${m} | p (t / rand.)`).join(' | ')} |`);
    lines.push(`|---|${c.metrics.map(() => '---:|---:').join('|')}|`);
    for (const run of c.runs) {
      lines.push(`| ${run.run} | ${c.metrics.map((m) => {
        const v = run.metrics[m]!;
        return `${v.mean.toFixed(4)}${v.delta !== undefined ? ` (${v.delta >= 0 ? '+' : ''}${v.delta.toFixed(4)})` : ''} | ${v.pTTest !== undefined ? `${v.pTTest.toFixed(3)} / ${v.pRandomisation!.toFixed(3)}` : ''}`;
      }).join(' | ')} |`);
    }
    lines.push('');
  }
  if (Object.keys(r.latency).length > 0) {
    lines.push('## Query latency (DL19 queries: encoding + exact top-1000 over the pool, I/O excluded)', '', '| model | queries/s |', '|---|---:|');
    for (const [m, l] of Object.entries(r.latency)) lines.push(`| ${m} | ${l.qps.toFixed(1)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
