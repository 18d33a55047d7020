// One fold of the study: negatives, the base model's evaluations, every arm's training with
// its dose-response snapshots and validation-chosen checkpoint, the final test evaluations
// (re-ranking; dense where asked), and the paired comparison tables.
import { join } from 'node:path';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { RetrievalEvaluator } from '../train/trainer.ts';
import type { DosePoint, RetrievalSection } from '../report/schema.ts';
import { armTrainConfig, type ArmSpec } from './arms.ts';
import type { Fold } from './data.ts';
import {
  candidates,
  denseEvaluation,
  loadEvaluation,
  means,
  rerankEvaluation,
  type StoredEvaluation,
} from './evaluation.ts';
import { compareTable } from './external.ts';
import { HARD, readTriples, type NegativesOutput } from './negatives-stage.ts';
import { Interrupted, UserError } from '../errors.ts';
import type { StudyOptions } from './options.ts';
import { hashKey, type StageCache } from './stage-cache.ts';
import { HOW_TO_CONTINUE, trainArm, type ArmTrainingRecord } from './training.ts';

export interface ArmOutcome {
  arm: ArmSpec;
  record: ArmTrainingRecord | null;
  modelPath: string;
  dir: string | null;
}

export interface FoldOutcome {
  fold: Fold;
  negatives: NegativesOutput | null;
  arms: ArmOutcome[];
  retrieval: RetrievalSection[];
  dose: DosePoint[];
}

export function doseSteps(fractions: readonly number[], steps: number): { fraction: number; step: number }[] {
  return fractions.map((f) => ({ fraction: f, step: Math.max(f > 0 ? 1 : 0, Math.round(f * steps)) }));
}

export async function runFold(
  fold: Fold,
  base: SentenceEncoder,
  mine: () => Promise<NegativesOutput>,
  o: StudyOptions,
  cache: StageCache,
  metrics: string[],
  baseId: string,
): Promise<FoldOutcome> {
  const tag = fold.name.replace('->', '-');
  const rerankable = fold.testRun !== null && o.protocols.includes('rerank');
  const testCands = rerankable ? candidates(fold.testRun!, fold.test, o.rerankDepth) : null;
  const valCands = fold.trainRun ? candidates(fold.trainRun, fold.validation, o.validationDepth) : null;
  const trained = o.arms.filter((a) => a.kind !== 'base');
  const negatives = trained.length > 0 ? await mine() : null;
  const evalKey = hashKey({
    fold: fold.files.map((f) => f.sha256),
    validation: [...fold.validation.queries.keys()],
    metrics,
    depth: o.rerankDepth,
    validationDepth: o.validationDepth,
    dose: o.dose,
    rerankable,
    baseId,
  });

  const baseTest = testCands
    ? await cache.run(`eval.${tag}.rerank.base`, { baseId, evalKey }, () =>
        rerankEvaluation(base, fold.test, fold.collection, testCands, metrics, 'base'),
      )
    : null;
  const validationEval: RetrievalEvaluator | undefined =
    valCands && fold.validation.queries.size > 0
      ? async (enc) =>
          means(rerankEvaluation(enc, fold.validation, fold.collection, valCands, ['nDCG@10'], 'validation'))
      : undefined;

  const arms: ArmOutcome[] = [
    { arm: o.arms.find((a) => a.kind === 'base')!, record: null, modelPath: o.model, dir: null },
  ];
  const dose: DosePoint[] = [];
  // one graceful scope over all arms: a Ctrl-C that lands after an arm's last step (its final
  // snapshot) stops the study before the next arm instead of being lost
  const graceful = o.gracefully ?? (<T>(fn: (signal?: AbortSignal) => Promise<T>): Promise<T> => fn());
  await graceful(async (signal) => {
    for (const arm of trained) {
      if (signal?.aborted) throw new Interrupted(`interrupted before ${arm.name} (${fold.name}); ${HOW_TO_CONTINUE}`);
      const cfg = armTrainConfig(arm, o.config, {
        steps: o.steps,
        batchSize: o.batchSize,
        seed: o.seed,
        model: o.model,
        warmup: o.warmup,
        evalEvery: Math.max(1, Math.round(o.steps / 4)),
      })!;
      const triplesFile = negatives!.files[`train-${arm.negatives!}`];
      if (triplesFile.count < o.batchSize) {
        throw new UserError(
          `${arm.name} (${fold.name}): ${triplesFile.count} ${arm.negatives} training triples, fewer than one batch of ${o.batchSize}${arm.negatives === 'hard' ? ` (hard negatives come from ranks ${HARD.lo}-${HARD.hi} of ${negatives!.miningPassages} searched passages; raise --mining-depth or use --mining-pool pool)` : ''}`,
        );
      }
      const points = testCands ? doseSteps(o.dose, o.steps).filter((d) => d.step > 0) : [];
      const bar = o.progress(`train ${arm.name} (${fold.name})`, o.steps, 'steps');
      const tArm = performance.now();
      const record = await trainArm({
        name: `${arm.name} (${fold.name})`,
        dir: join(o.output, 'models', tag, arm.name),
        cfg,
        signal,
        triples: await readTriples(triplesFile),
        triplesSha256: triplesFile.sha256,
        validationTriples: await readTriples(negatives!.files[`validation-${arm.negatives!}`]),
        validationEval,
        evalKey,
        doseSteps: points.map((d) => d.step),
        snapshot: (enc) => rerankEvaluation(enc, fold.test, fold.collection, testCands!, metrics, arm.name),
        onMismatch: o.onMismatch,
        device: o.device,
        log: o.log,
        onStep: (step, _total, loss) => bar.update(step, `loss ${loss.toFixed(4)}`),
      });
      cache.timings.push({
        name: `train.${tag}.${arm.name}`,
        seconds: (performance.now() - tArm) / 1000,
        cached: record.reused,
      });
      arms.push({ arm, record, modelPath: record.modelPath, dir: join(o.output, 'models', tag, arm.name) });
      if (baseTest) dose.push(...dosePoints(fold.name, arm.name, o, baseTest, record));
    }
    if (signal?.aborted) throw new Interrupted(`interrupted after the last arm of ${fold.name}; ${HOW_TO_CONTINUE}`);
  });

  const retrieval: RetrievalSection[] = [];
  if (baseTest) {
    const evals = await Promise.all(
      arms.map(async (a) => (a.record ? finalRerank(a, fold, testCands!, metrics, o, cache, tag) : baseTest)),
    );
    retrieval.push(section(fold, 'rerank', arms, evals, metrics, o));
  }
  if (o.protocols.includes('dense')) {
    const evals: StoredEvaluation[] = [];
    for (const a of arms) evals.push(await finalDense(a, fold, metrics, o, cache, tag, baseId));
    retrieval.push(section(fold, 'dense', arms, evals, metrics, o));
  }
  return { fold, negatives, arms, retrieval, dose };
}

function dosePoints(
  fold: string,
  arm: string,
  o: StudyOptions,
  base: StoredEvaluation,
  r: ArmTrainingRecord,
): DosePoint[] {
  return doseSteps(o.dose, o.steps).flatMap(({ fraction, step }) => {
    const e = step === 0 ? base : r.dose.find((d) => d.step === step)?.evaluation;
    return e ? [{ fold, arm, fraction, step, metrics: means(e) }] : [];
  });
}

/** The chosen checkpoint's test evaluation: its dose snapshot when one was taken there, else evaluated now. */
async function finalRerank(
  a: ArmOutcome,
  fold: Fold,
  cands: ReturnType<typeof candidates>,
  metrics: string[],
  o: StudyOptions,
  cache: StageCache,
  tag: string,
): Promise<StoredEvaluation> {
  const r = a.record!;
  const snap = r.chosen ? r.dose.find((d) => d.step === r.chosen!.step) : r.dose.find((d) => d.step === o.steps);
  if (snap) return snap.evaluation;
  return cache.run(
    `eval.${tag}.rerank.${a.arm.name}`,
    { model: a.modelPath, config: r.config, triples: r.triplesSha256, evalKey: r.evalKey, chosen: r.chosen },
    () => {
      const enc = SentenceEncoder.load(a.modelPath, { device: o.device });
      try {
        return rerankEvaluation(enc, fold.test, fold.collection, cands, metrics, a.arm.name);
      } finally {
        enc.dispose();
      }
    },
  );
}

async function finalDense(
  a: ArmOutcome,
  fold: Fold,
  metrics: string[],
  o: StudyOptions,
  cache: StageCache,
  tag: string,
  baseId: string,
): Promise<StoredEvaluation> {
  const r = a.record;
  const key = r
    ? { config: r.config, triples: r.triplesSha256, chosen: r.chosen, fold: fold.files.map((f) => f.sha256) }
    : { baseId, fold: fold.files.map((f) => f.sha256) };
  return cache.run(`eval.${tag}.dense.${a.arm.name}`, { key, metrics }, async () => {
    const enc = SentenceEncoder.load(a.modelPath, { device: o.device });
    const bar = o.progress(`encode collection (${a.arm.name})`, fold.collection.size, 'passages');
    try {
      // trained models are not cached across runs: the stage cache keeps their results instead
      return await denseEvaluation(enc, fold.test, fold.collection, fold.collectionPath, metrics, {
        cacheDir: r ? null : o.cacheDir,
        onProgress: (d) => bar.update(d),
        name: a.arm.name,
      });
    } finally {
      enc.dispose();
    }
  });
}

function section(
  fold: Fold,
  protocol: 'rerank' | 'dense',
  arms: ArmOutcome[],
  evals: StoredEvaluation[],
  metrics: string[],
  o: StudyOptions,
): RetrievalSection {
  // re-ranking a fixed candidate list cannot change recall at its depth
  const identical =
    protocol === 'rerank'
      ? metrics.filter((m) => /^R(\(.*\))?@(\d+)$/.test(m) && Number(m.split('@')[1]) >= o.rerankDepth)
      : [];
  const table = compareTable(
    arms.map((a) => a.arm.name),
    evals.map(loadEvaluation),
    { seed: o.seed, identical },
  );
  const n = fold.test.queries.size;
  const description =
    protocol === 'rerank'
      ? `re-ranking BM25's top-${o.rerankDepth} for ${fold.testName.toUpperCase()} (${table.queries} of ${n} queries judged), trained on ${fold.trainName.toUpperCase()}`
      : `dense retrieval over the ${fold.collection.size.toLocaleString('en-US')}-passage collection for ${fold.testName.toUpperCase()} (${table.queries} queries)`;
  return { fold: fold.name, protocol, description, table };
}
