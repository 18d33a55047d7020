// Triplet loss (Schroff et al. 2015; sentence-transformers' TripletLoss).
//
//   L = mean_i relu( d(q_i, p_i) - d(q_i, n_i) + margin )
//
// Inputs: query, positive and negative embeddings, each [B, C].
// Hyperparameters: distance d (cosine = 1 - cos, euclidean, manhattan) and margin
// (sentence-transformers: triplet_margin; its default is 5 with euclidean distance).
// The paper's text states cosine distance with margin 0.2 on normalised embeddings; the
// paper's code ran euclidean distance, margin 5, on unnormalised embeddings.
import type { Tensor } from '../../engine/index.ts';
import { distance, type Distance } from './distance.ts';

export interface TripletLossOptions {
  distance: Distance;
  margin: number;
}

export function tripletLoss(q: Tensor, p: Tensor, n: Tensor, o: TripletLossOptions): Tensor {
  const dPos = distance(o.distance, q, p); // [B]
  const dNeg = distance(o.distance, q, n); // [B]
  return dPos.sub(dNeg).add(o.margin).relu().mean(); // scalar
}

export interface TripletPreset {
  distance: Distance;
  margin: number;
  normalize: boolean; // L2-normalise the model's output (also at inference)
  batchSizeFull: number;
  batchSizeLora: number;
}

/** The paper's stated configuration and the one its code really ran. */
export const TRIPLET_PRESETS: Record<'paper-text' | 'paper-run', TripletPreset> = {
  'paper-text': { distance: 'cosine', margin: 0.2, normalize: true, batchSizeFull: 128, batchSizeLora: 128 },
  'paper-run': { distance: 'euclidean', margin: 5, normalize: false, batchSizeFull: 1024, batchSizeLora: 512 },
};
