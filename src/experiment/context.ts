// The study's context, built once by the runner and handed to every stage: the options, the
// base model and its identity, the stage cache, the metrics, and how to report progress.
import type { Precision } from '../engine/index.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { modelFingerprint } from '../model/fingerprint.ts';
import type { StudyOptions } from './options.ts';
import { StageCache } from './stage-cache.ts';
import { ONE_PROCESS, studyWork, type StudyWork } from './work-units.ts';
import type { World } from '../engine/index.ts';

export interface StudyContext {
  readonly options: StudyOptions;
  /** The base model in fp32: mining the training negatives, the anchor of training's identity. */
  readonly base: SentenceEncoder;
  /** The base model in the study's --precision: its test evaluations (the same object when fp32). */
  readonly evalBase: SentenceEncoder;
  /** The base model's identity (weights, config, tokenizer, settings): part of every key that reads the base. */
  readonly baseId: string;
  readonly cache: StageCache;
  /** The metrics every evaluation reports (the dataset's). */
  readonly metrics: readonly string[];
  readonly device: string | undefined;
  /** The precision of every evaluation encode (training and its validation stay fp32). */
  readonly precision: Precision;
  readonly log: (line: string) => void;
  readonly progress: StudyOptions['progress'];
  /** This process's share of the study's work (all of it, unless it runs across workers). */
  readonly work: StudyWork;
}

/**
 * Loads the base model once; the caller disposes it with `closeContext`. With `group` (a
 * process group), this rank's share of the work is claimed through its store (work-units.ts).
 */
export function openContext(options: StudyOptions, metrics: readonly string[], group?: World): StudyContext {
  const base = SentenceEncoder.load(options.model, { device: options.device });
  const cache = new StageCache(options.output, options.log);
  const precision = options.precision;
  const evalBase =
    precision === 'fp32' ? base : SentenceEncoder.load(options.model, { device: options.device, precision });
  const work = group ? studyWork(group, cache.timings, options.parallel) : ONE_PROCESS;
  return {
    options,
    base,
    evalBase,
    baseId: modelFingerprint(base),
    cache,
    metrics,
    device: options.device,
    precision,
    log: options.log,
    // every progress update is a sign of life for workers waiting on this one's units
    progress: (label, total, unit) => {
      const bar = options.progress(label, total, unit);
      return {
        update: (done, extra) => {
          work.beat();
          bar.update(done, extra);
        },
      };
    },
    work,
  };
}

export function closeContext(ctx: StudyContext): void {
  if (ctx.evalBase !== ctx.base) ctx.evalBase.dispose();
  ctx.base.dispose();
}
