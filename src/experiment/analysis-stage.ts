// The analysis stage: Table III (training summaries), Figure 2 (curves), Table II (timing:
// base, full, LoRA unmerged and merged) and Figure 1 (geometry and UMAP of test pairs),
// through the analysis APIs (external.ts).
import type { CurvesResult, GeometryResult, TimingResult, TrainingSummary } from '../analysis/types.ts';
import {
  PAPER_FIGURES,
  readCurves,
  runGeometry,
  runTiming,
  summarizeTraining,
  type TimingModelSpec,
} from './external.ts';
import type { ArmOutcome, FoldOutcome } from './fold-study.ts';
import type { StudyOptions } from './options.ts';

export interface AnalysisOutput {
  training: TrainingSummary[];
  curves: CurvesResult | null;
  timing: TimingResult | null;
  geometry: GeometryResult | null;
}

/** A unit's label in Table III and the curves: the arm, its seed index when several, its fold when several. */
function unitLabel(folds: FoldOutcome[], f: FoldOutcome, a: ArmOutcome): string {
  const seeds = f.arms.some((x) => x.k > 0) ? ` seed-${a.k}` : '';
  return folds.length > 1 ? `${a.arm.name}${seeds} (${f.fold.name})` : `${a.arm.name}${seeds}`;
}

export function trainingTables(folds: FoldOutcome[]): TrainingSummary[] {
  const out: TrainingSummary[] = [];
  for (const f of folds) {
    for (const a of f.arms) {
      if (!a.record || !a.dir) continue;
      const label = unitLabel(folds, f, a);
      const s = summarizeTraining(a.dir, label);
      const val = f.negatives?.files[`validation-${a.arm.negatives!}`];
      out.push({
        ...s,
        loss: s.loss || a.arm.kind,
        heldOutTriples: s.heldOutTriples || (val?.count ?? 0),
        heldOutQueries: s.heldOutQueries || f.fold.validation.queries.size,
        validation: a.record.chosen
          ? { metric: a.record.chosen.metric, value: a.record.chosen.value, step: a.record.chosen.step }
          : s.validation,
        trainSeconds: s.trainSeconds ?? a.record.trainSeconds,
      });
    }
  }
  return out;
}

export function curves(folds: FoldOutcome[]): CurvesResult | null {
  const runs = folds.flatMap((f) =>
    f.arms.filter((a) => a.dir).map((a) => ({ label: unitLabel(folds, f, a), dir: a.dir! })),
  );
  return runs.length > 0 ? readCurves(runs) : null;
}

/** The models timed: base, a full fine-tune, a LoRA model unmerged and merged (made here). */
export function timingModels(fold: FoldOutcome, o: StudyOptions): TimingModelSpec[] {
  const models: TimingModelSpec[] = [{ label: 'base', spec: o.model, variant: 'base' }];
  const full = fold.arms.find((a) => a.arm.method === 'full' && a.arm.kind === 'triplet');
  if (full) models.push({ label: full.arm.name, spec: full.modelPath, variant: 'full' });
  const lora = fold.arms.find((a) => a.arm.method === 'lora');
  if (lora) {
    models.push({ label: `${lora.arm.name} (unmerged)`, spec: lora.modelPath, variant: 'lora-unmerged' });
    // merged in memory by runTiming
    models.push({ label: `${lora.arm.name} (merged)`, spec: lora.modelPath, variant: 'lora-merged' });
  }
  return models;
}

export async function analysisStage(
  folds: FoldOutcome[],
  o: StudyOptions,
  timingQueriesFile: string | null,
): Promise<AnalysisOutput> {
  const first = folds[0]!;
  const training = trainingTables(folds);
  const c = curves(folds);
  let timing: TimingResult | null = null;
  if (o.timingQueries > 0 && timingQueriesFile) {
    timing = await runTiming({
      models: timingModels(first, o),
      queriesFile: timingQueriesFile,
      n: o.timingQueries,
      k: 200,
      repeats: o.timingRepeats,
      // search cost does not depend on the vectors' values: random vectors of the pool's size stand in for each model's
      passages: { synthetic: first.fold.collection.size },
      // the base under the paper's clock (model load, reading the vectors, writing the run): Table II's paper row
      paperProtocol: 'first',
      seed: o.seed,
      cacheDir: o.cacheDir,
      device: o.device,
      precision: o.precision,
      log: o.log,
    });
    if (!timing.paper) timing.paper = [...PAPER_FIGURES];
  }
  let geometry: GeometryResult | null = null;
  if (o.geometryPairs > 0) {
    geometry = await runGeometry({
      // one model per arm: its first seed
      models: first.arms.filter((a) => a.k === 0).map((a) => ({ label: a.arm.name, spec: a.modelPath })),
      queriesFile: first.fold.testQueriesPath,
      qrelsFile: first.fold.testQrelsPath,
      collectionPath: first.fold.collectionPath,
      n: o.geometryPairs,
      minGrade: first.fold.minGrade,
      seed: o.seed,
      umap: o.umap,
      device: o.device,
      precision: o.precision,
      log: o.log,
    });
  }
  return { training, curves: c, timing, geometry };
}
