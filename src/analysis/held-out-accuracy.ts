// The paper's "eval cosine accuracy" recomputed for a model folder on given held-out triples
// (`ftlab inspect --held-out`): the share where cos(q, p+) > cos(q, p-), with the trained loss's
// value on them, using the trainer's own evaluator.
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
