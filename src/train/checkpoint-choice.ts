// Which evaluated checkpoint an arm keeps: the step with the best validation score, step 0
// (the base model, before any update) being a candidate like any other. Ties go to the
// earlier step, so the base wins a tie: training must beat the base to be chosen. With a
// tolerance t, the earliest step whose score is within t of the best is chosen (a change
// smaller than t is not worth a later, more trained checkpoint).

export interface StepScore {
  step: number; // optimizer steps done; 0 = the base
  score: number; // validation score, higher is better
}

export interface CheckpointChoice {
  step: number;
  score: number;
  best: StepScore; // the highest score (earliest on a tie), for the report
  base: boolean; // step 0 was chosen
}

export function chooseCheckpoint(evals: readonly StepScore[], tolerance = 0): CheckpointChoice {
  if (!(tolerance >= 0)) throw new Error(`checkpoint tolerance must be >= 0, got ${tolerance}`);
  if (!evals.some((e) => e.step === 0)) throw new Error('checkpoint choice without step 0 (the base) evaluated');
  const seen = new Set<number>();
  for (const e of evals) {
    if (!Number.isFinite(e.score)) throw new Error(`validation score at step ${e.step} is ${e.score}`);
    if (seen.has(e.step)) throw new Error(`step ${e.step} evaluated twice`);
    seen.add(e.step);
  }
  const sorted = [...evals].sort((a, b) => a.step - b.step);
  const best = sorted.reduce((b, e) => (e.score > b.score ? e : b));
  const chosen = sorted.find((e) => e.score >= best.score - tolerance)!;
  return { step: chosen.step, score: chosen.score, best, base: chosen.step === 0 };
}
