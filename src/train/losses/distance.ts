// Row-wise distances between embeddings a [B, C] and b [B, C] -> [B], as
// sentence-transformers' TripletDistanceMetric.
import type { Tensor } from '../../engine/index.ts';

export type Distance = 'cosine' | 'euclidean' | 'manhattan';

/** cosine: 1 - cos(a, b); euclidean: ||a - b + 1e-6||_2; manhattan: ||a - b + 1e-6||_1 (torch.pairwise_distance's eps). */
export function distance(kind: Distance, a: Tensor, b: Tensor): Tensor {
  switch (kind) {
    case 'cosine':
      return a
        .normalize(2, -1, 1e-8)
        .mul(b.normalize(2, -1, 1e-8))
        .sum(-1)
        .neg()
        .add(1);
    case 'euclidean':
      return a.sub(b).add(1e-6).norm(2, -1);
    case 'manhattan':
      return a.sub(b).add(1e-6).abs().sum(-1);
  }
}
