// The training stage: one arm's fine-tuning, with its identity recorded. A finished arm is
// reused only when its recorded configuration, training-triples hash and evaluation key all
// match; otherwise it is retrained from scratch with one line saying why (or, with
// `onMismatch: 'error'`, the study stops). Checkpoints are chosen by validation nDCG@10
// (never the test fold); the dose-response snapshots on the test fold are taken during
// training, at listed steps, with the model in eval mode (no RNG draws, no effect on training).
// In a process group (a data-parallel study unit) every rank runs this together: each reads
// the record before rank 0 changes the folder, rank 0 alone writes, and the others return the
// record rank 0 wrote, so every rank goes on with the same choices.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { train, type RetrievalEvaluator, type Regulariser, type TrainConfig } from '../train/trainer.ts';
import { preservationLoss, ReferenceVectors } from '../train/losses/preservation.ts';
import { WeightAnchor } from '../train/losses/weight-anchor.ts';
import { cat, world } from '../engine/index.ts';
import { writeAtomic } from '../io/atomic-file.ts';
import { Interrupted, TrainingInterrupted, UserError } from '../errors.ts';
import { recordDifferences as sameRunDifferences } from '../train/training-identity.ts';
import type { Best, TrainingRecord } from '../train/train-config.ts';
import type { StoredEvaluation } from './evaluation.ts';

/** The trainer's record of a run (configuration, triples) extended with what the study adds. */
export interface ArmTrainingRecord extends TrainingRecord {
  evalKey: string; // validation set, test candidates, metrics, dose steps
  finished: boolean;
  chosen: { step: number; metric: string; value: number } | null;
  modelPath: string; // the chosen checkpoint's folder
  trainSeconds: number;
  dose: { step: number; evaluation: StoredEvaluation }[];
}

/** What identifies an arm's training: the trainer's record plus the evaluations that choose and snapshot it. */
export type ArmIdentity = Pick<ArmTrainingRecord, 'config' | 'triplesSha256' | 'triples' | 'evalKey'>;

export const RECORD_FILE = 'study-training.json';
/** How every interrupted-study message ends. */
export const HOW_TO_CONTINUE = 'finished stages and arms are kept: run the same study command to continue';

export function readRecord(dir: string): ArmTrainingRecord | null {
  const f = join(dir, RECORD_FILE);
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ArmTrainingRecord;
  } catch {
    return null; // damaged: treated as no finished training (the arm is retrained, and says why)
  }
}

/**
 * The trainer's "same run" rule (train/training-identity.ts), plus what the study adds: the
 * evaluation schedule (it decides the chosen checkpoint) and the evaluations themselves.
 */
export function configDifferences(have: ArmTrainingRecord, want: ArmIdentity): string[] {
  const out = sameRunDifferences(have, want);
  if (have.config.evalEvery !== want.config.evalEvery)
    out.push(`evalEvery ${have.config.evalEvery} -> ${want.config.evalEvery}`);
  if (have.evalKey !== want.evalKey) out.push('validation/test evaluation changed');
  return out;
}

/** Why a stored record cannot stand for the wanted training (empty: it can). */
export function recordDifferences(have: ArmTrainingRecord | null, want: ArmIdentity): string[] {
  if (!have) return ['no finished training recorded'];
  const diff = configDifferences(have, want);
  return diff.length === 0 && !have.finished ? ['the recorded training did not finish'] : diff;
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
  /** Aborted by the first Ctrl-C: the arm saves a checkpoint and the study stops; rerun to continue. */
  signal?: AbortSignal;
  log: (line: string) => void;
  onStep?: (step: number, total: number, loss: number) => void;
}

/**
 * Trains one arm, or reuses its finished training, or continues an interrupted one (same
 * configuration, triples and evaluation) from its last checkpoint. The record is written
 * unfinished before the first step, and each dose snapshot is stored as it is taken, so an
 * interrupted arm loses at most the steps since its last checkpoint.
 */
export async function trainArm(o: ArmTrainingOptions): Promise<ArmTrainingRecord & { reused: boolean }> {
  const w = world();
  const lead = w.rank === 0;
  if (w.size > 1) w.barrier(); // every rank reads the record before rank 0 changes the folder
  const have = readRecord(o.dir);
  if (w.size > 1) w.barrier();
  const log = lead ? o.log : () => {};
  const want: ArmIdentity = {
    config: o.cfg,
    triplesSha256: o.triplesSha256,
    triples: o.triples.length,
    evalKey: o.evalKey,
  };
  if (recordDifferences(have, want).length === 0) {
    log(`${o.name}: reusing the finished training in ${o.dir} (same configuration and triples)`);
    return { ...have!, reused: true };
  }
  const kind = o.cfg.regulariser?.kind ?? null;
  if (kind !== null && kind !== 'weights-l2sp' && kind !== 'embedding-cosine')
    throw new Error(`unknown regulariser '${kind}'`);
  const resume = prepareFolder({ ...o, log }, have, want, lead);
  const before = resume ? have!.trainSeconds : 0; // seconds spent before the interruption
  const t0 = performance.now();
  const seconds = (): number => before + (performance.now() - t0) / 1000;
  const save = (r: ArmTrainingRecord): void => (lead ? writeRecord(o.dir, r) : undefined);
  const models = loadModels(o);
  try {
    // the time so far is on record at every step: a kill -9 loses none of it
    const onStep = (): void => save(unfinishedRecord(o, want, seconds()));
    const best = await runTrainer({ ...o, log }, models, resume, lead, onStep);
    const record: ArmTrainingRecord = {
      ...want,
      finished: true,
      chosen: best ? { step: best.step, metric: best.metric, value: best.value } : null,
      modelPath: best ? join(o.dir, 'best') : o.dir,
      trainSeconds: seconds(),
      dose: lead ? readDoses(o.dir, o.doseSteps) : [],
    };
    save(record);
    if (w.size > 1) w.barrier(); // rank 0's record is written: the others read it
    return { ...(lead ? record : readRecord(o.dir)!), reused: false };
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    save(unfinishedRecord(o, want, seconds()));
    throw e instanceof TrainingInterrupted ? new Interrupted(`${o.name}: ${e.where}; ${HOW_TO_CONTINUE}`) : e;
  } finally {
    models.dispose();
  }
}

function unfinishedRecord(o: ArmTrainingOptions, want: ArmIdentity, trainSeconds: number): ArmTrainingRecord {
  return { ...want, finished: false, chosen: null, modelPath: o.dir, trainSeconds, dose: [] };
}

/**
 * Whether the arm continues from its checkpoint (true), else empties its folder for a fresh
 * start, saying why (or stopping, with `onMismatch: 'error'`). Only `lead` changes the folder.
 */
function prepareFolder(
  o: ArmTrainingOptions,
  have: ArmTrainingRecord | null,
  want: ArmIdentity,
  lead: boolean,
): boolean {
  // a trainer folder that finished without its study record (killed in between) is trained
  // again: the trainer's finished plan does not say which checkpoint validation chose
  const unrecorded = have !== null && !have.finished && existsSync(join(o.dir, 'ftlab.json'));
  const same = have !== null && configDifferences(have, want).length === 0;
  if (have !== null && !have.finished && same && !unrecorded) {
    o.log(`${o.name}: continuing the interrupted training in ${o.dir} (same configuration and triples)`);
    return true;
  }
  if (unrecorded && same) {
    o.log(`${o.name}: ${o.dir} finished training but its study record was not written: retraining from scratch`);
  } else if (have) {
    const why = recordDifferences(have, want);
    const shown = `${why.slice(0, 4).join('; ')}${why.length > 4 ? '; ...' : ''}`;
    const line = `${o.name}: ${o.dir} was trained differently (${shown})`;
    if (o.onMismatch === 'error') throw new UserError(`${line}; rerun without --no-retrain or choose another --output`);
    o.log(`${line}: retraining from scratch`);
  }
  if (!lead) return false;
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  writeRecord(o.dir, unfinishedRecord(o, want, 0));
  return false;
}

interface ArmModels {
  encoder: SentenceEncoder;
  regulariser: Regulariser | undefined;
  dispose(): void;
}

/** The model trained and, for the recipes, its anchor to the start (weights or a frozen copy). */
function loadModels(o: ArmTrainingOptions): ArmModels {
  const kind = o.cfg.regulariser?.kind ?? null;
  const encoder = SentenceEncoder.load(o.cfg.model, { device: o.device });
  // the anchor copies the weights as loaded, before a resumed run restores its checkpoint: the start
  const anchor =
    kind === 'weights-l2sp' ? new WeightAnchor(encoder.bert.params.values(), o.cfg.regulariser!.weight) : null;
  const frozen =
    kind === 'embedding-cosine' ? SentenceEncoder.load(o.cfg.regulariser!.reference, { device: o.device }) : null;
  const regulariser: Regulariser | undefined = anchor
    ? () => anchor.loss()
    : frozen
      ? preservation(frozen, o.cfg.regulariser!.weight)
      : undefined;
  return {
    encoder,
    regulariser,
    dispose: () => {
      encoder.dispose();
      frozen?.dispose();
      anchor?.dispose();
    },
  };
}

/** The trainer's run of the arm; returns the validation-best step (null: none chosen). */
async function runTrainer(
  o: ArmTrainingOptions,
  m: ArmModels,
  resume: boolean,
  lead: boolean,
  onStep: () => void,
): Promise<Best | null> {
  const r = await train(m.encoder, o.triples, o.validationTriples, o.cfg, {
    output: o.dir,
    resume,
    signal: o.signal,
    retrievalEval: o.validationEval,
    bestMetric: o.validationEval ? 'nDCG@10' : 'tripletAccuracy',
    regulariser: m.regulariser,
    notice: (line) => o.log(`${o.name}: ${line}`),
    onStep: (s, total) => {
      onStep();
      o.onStep?.(s.step, total, s.loss);
    },
    snapshots: {
      steps: o.doseSteps,
      take: async (enc, step) => {
        const evaluation = o.snapshot(enc); // every rank: a sharded evaluation is a collective
        if (lead) writeDose(o.dir, step, evaluation);
      },
    },
  });
  return r.best ?? null;
}

function writeRecord(dir: string, record: ArmTrainingRecord): void {
  writeAtomic(join(dir, RECORD_FILE), (f) => f.write(JSON.stringify(record, null, 2)));
}

/** A dose snapshot is stored as it is taken: a resumed arm keeps those before its checkpoint. */
function writeDose(dir: string, step: number, evaluation: StoredEvaluation): void {
  mkdirSync(join(dir, 'dose'), { recursive: true });
  writeAtomic(join(dir, 'dose', `step-${step}.json`), (f) => f.write(JSON.stringify(evaluation)));
}

function readDoses(dir: string, steps: number[]): ArmTrainingRecord['dose'] {
  return [...new Set(steps)].flatMap((step) => {
    const f = join(dir, 'dose', `step-${step}.json`);
    if (!existsSync(f)) return [];
    return [{ step, evaluation: JSON.parse(readFileSync(f, 'utf8')) as StoredEvaluation }];
  });
}

/** The recipe's regulariser: cosine drift of the batch's texts from the frozen start. */
function preservation(frozen: SentenceEncoder, weight: number): Regulariser {
  const reference = new ReferenceVectors(frozen);
  return (batch, q, p, n) => {
    const passages = [...batch.map((t) => t.positive), ...batch.map((t) => t.negative)];
    const ref = reference.of(
      batch.map((t) => t.query),
      passages,
      q.device,
    );
    return preservationLoss(cat([q, p, n], 0), ref, weight); // [3B, C] against [3B, C]
  };
}
