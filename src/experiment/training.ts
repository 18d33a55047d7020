// The training stage: one arm's fine-tuning, with its identity recorded. A finished arm is
// reused only when its recorded configuration, training-triples hash and evaluation key all
// match; otherwise it is retrained from scratch with one line saying why (or, with
// `onMismatch: 'error'`, the study stops). Checkpoints are chosen by validation nDCG@10
// (never the test fold); the dose-response snapshots on the test fold are taken during
// training, at listed steps, with the model in eval mode (no RNG draws, no effect on training).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { train, type RetrievalEvaluator, type Regulariser, type TrainConfig } from '../train/trainer.ts';
import { preservationLoss, referenceEmbeddings } from '../train/losses/preservation.ts';
import { cat } from '../engine/index.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { UserError } from '../errors.ts';
import type { StoredEvaluation } from './evaluation.ts';

export interface ArmTrainingRecord {
  config: TrainConfig;
  triplesSha256: string;
  triples: number;
  evalKey: string; // validation set, test candidates, metrics, dose steps
  finished: boolean;
  chosen: { step: number; metric: string; value: number } | null;
  modelPath: string; // the chosen checkpoint's folder
  trainSeconds: number;
  dose: { step: number; evaluation: StoredEvaluation }[];
}

export const RECORD_FILE = 'study-training.json';

export function readRecord(dir: string): ArmTrainingRecord | null {
  const f = join(dir, RECORD_FILE);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ArmTrainingRecord;
  } catch {
    return null; // damaged: treated as no finished training (the arm is retrained, and says why)
  }
}

/** Why a stored record cannot stand for the wanted training (empty: it can). */
export function recordDifferences(have: ArmTrainingRecord | null, want: Pick<ArmTrainingRecord, 'config' | 'triplesSha256' | 'evalKey'>): string[] {
  if (!have) return ['no finished training recorded'];
  if (!have.finished) return ['the recorded training did not finish'];
  const out: string[] = [];
  const a = have.config as unknown as Record<string, unknown>;
  const b = want.config as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null)) out.push(`${k} ${JSON.stringify(a[k] ?? null)} -> ${JSON.stringify(b[k] ?? null)}`);
  }
  if (have.triplesSha256 !== want.triplesSha256) out.push('training triples changed');
  if (have.evalKey !== want.evalKey) out.push('validation/test evaluation changed');
  return out;
}

export interface ArmTrainingOptions {
  name: string;
  dir: string;
  cfg: TrainConfig;
  triples: TextTriple[];
  triplesSha256: string;
  validationTriples: TextTriple[];
  validationEval: RetrievalEvaluator | undefined;
  evalKey: string;
  doseSteps: number[];
  snapshot: (encoder: SentenceEncoder) => StoredEvaluation;
  onMismatch: 'retrain' | 'error';
  device?: string;
  log: (line: string) => void;
  onStep?: (step: number, total: number, loss: number) => void;
}

export async function trainArm(o: ArmTrainingOptions): Promise<ArmTrainingRecord & { reused: boolean }> {
  const have = readRecord(o.dir);
  const why = recordDifferences(have, { config: o.cfg, triplesSha256: o.triplesSha256, evalKey: o.evalKey });
  if (why.length === 0) {
    o.log(`${o.name}: reusing the finished training in ${o.dir} (same configuration and triples)`);
    return { ...have!, reused: true };
  }
  if (have) {
    const line = `${o.name}: ${o.dir} was trained differently (${why.slice(0, 4).join('; ')}${why.length > 4 ? '; ...' : ''})`;
    if (o.onMismatch === 'error') throw new UserError(`${line}; rerun without --no-retrain or choose another --output`);
    o.log(`${line}: retraining from scratch`);
  }
  rmSync(o.dir, { recursive: true, force: true });
  const t0 = performance.now();
  const encoder = SentenceEncoder.load(o.cfg.model, { device: o.device });
  const frozen = o.cfg.regulariser ? SentenceEncoder.load(o.cfg.regulariser.reference, { device: o.device }) : null;
  const regulariser: Regulariser | undefined = frozen ? preservation(frozen, o.cfg.regulariser!.weight) : undefined;
  const dose: ArmTrainingRecord['dose'] = [];
  try {
    const r = await train(encoder, o.triples, o.validationTriples, o.cfg, {
      output: o.dir, resume: false, retrievalEval: o.validationEval, bestMetric: o.validationEval ? 'nDCG@10' : 'tripletAccuracy', regulariser,
      onStep: (s, total) => o.onStep?.(s.step, total, s.loss),
      snapshots: { steps: o.doseSteps, take: async (enc, step) => { dose.push({ step, evaluation: o.snapshot(enc) }); } },
    });
    const best = r.best;
    const record: ArmTrainingRecord = {
      config: o.cfg, triplesSha256: o.triplesSha256, triples: o.triples.length, evalKey: o.evalKey, finished: true,
      chosen: best ? { step: best.step, metric: best.metric, value: best.value } : null,
      modelPath: best ? join(o.dir, 'best') : o.dir, trainSeconds: (performance.now() - t0) / 1000, dose,
    };
    writeAtomic(join(o.dir, RECORD_FILE), (f) => f.write(JSON.stringify(record, null, 2)));
    return { ...record, reused: false };
  } finally {
    encoder.dispose();
    frozen?.dispose();
  }
}

/** The recipe's regulariser: cosine drift of the batch's texts from the frozen start. */
function preservation(frozen: SentenceEncoder, weight: number): Regulariser {
  return (batch, q, p, n) => {
    const texts = [...batch.map((t) => t.query), ...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
    const ref = referenceEmbeddings(frozen, texts, q.device);
    return preservationLoss(cat([q, p, n], 0), ref, weight); // [3B, C] against [3B, C]
  };
}
