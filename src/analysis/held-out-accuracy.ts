// The paper's "eval cosine accuracy" recomputed for a model folder on given held-out triples
// (`ftlab inspect --held-out`): the share where cos(q, p+) > cos(q, p-), with the trained loss's
// value on them, using the trainer's own evaluator; for a trained folder, both at its final
// model (DIR) and at its validation-chosen checkpoint (DIR/best, step 0 = the base).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TextTriple } from '../data/triples.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { tripletAccuracy } from '../train/triplet-accuracy.ts';
import type { Distance } from '../train/losses/distance.ts';
import { UserError } from '../errors.ts';

export interface HeldOutAccuracy {
  tripletAccuracy: number;
  evalLoss: number;
  triples: number;
  queries: number;
}

export function heldOutAccuracy(
  modelDir: string,
  triples: TextTriple[],
  training: Record<string, unknown>,
  device?: string,
): HeldOutAccuracy {
  if (triples.length === 0) throw new UserError('no held-out triples');
  const encoder = SentenceEncoder.load(modelDir, { device });
  try {
    const cfg = {
      loss: training.loss === 'mnrl' ? ('mnrl' as const) : ('triplet' as const),
      distance: (typeof training.distance === 'string' ? training.distance : 'euclidean') as Distance,
      margin: typeof training.margin === 'number' ? training.margin : 5,
      mnrlScale: typeof training.mnrlScale === 'number' ? training.mnrlScale : 20,
    };
    const r = tripletAccuracy(encoder, triples, cfg);
    return { ...r, triples: triples.length, queries: new Set(triples.map((t) => t.query)).size };
  } finally {
    encoder.dispose();
  }
}

export interface HeldOutAtStep extends HeldOutAccuracy {
  step: number;
}

/** The step a model folder was saved at (ftlab.json "training.step"), or null. */
function savedStep(dir: string): number | null {
  try {
    const step = (JSON.parse(readFileSync(join(dir, 'ftlab.json'), 'utf8')) as { training?: { step?: unknown } })
      .training?.step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/**
 * Table III recomputed on `triples` at the final model and at the chosen checkpoint (DIR/best);
 * chosen is null when the run kept no best/ (nothing evaluated), and is the final model's
 * numbers when validation chose the final step.
 */
export function heldOutChosenAndFinal(
  dir: string,
  triples: TextTriple[],
  training: Record<string, unknown>,
  device?: string,
): { chosen: HeldOutAtStep | null; final: HeldOutAtStep } {
  const finalStep = savedStep(dir) ?? 0;
  const final = { step: finalStep, ...heldOutAccuracy(dir, triples, training, device) };
  const best = join(dir, 'best');
  const bestStep = existsSync(best) ? savedStep(best) : null;
  if (bestStep === null) return { chosen: null, final };
  if (bestStep === finalStep) return { chosen: final, final };
  return { chosen: { step: bestStep, ...heldOutAccuracy(best, triples, training, device) }, final };
}
