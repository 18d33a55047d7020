// The paper's Table III measure: the share of held-out triplets where the query is closer
// (by cosine) to its positive than to its negative, plus the mean training loss on them.
import { tensor, noGrad, tidy } from '../engine/index.ts';
import type { TextTriple } from '../data/triples.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import { tripletLoss } from './losses/triplet-loss.ts';
import { mnrlLoss } from './losses/mnrl.ts';
import type { Distance } from './losses/distance.ts';

export function tripletAccuracy(
  encoder: SentenceEncoder,
  triples: TextTriple[],
  cfg: { loss: 'triplet' | 'mnrl'; distance: Distance; margin: number; mnrlScale: number; batchSize?: number },
): { tripletAccuracy: number; evalLoss: number } {
  const C = encoder.dim;
  const q = encoder.encode(
    triples.map((t) => t.query),
    'query',
  );
  const p = encoder.encode(
    triples.map((t) => t.positive),
    'passage',
  );
  const n = encoder.encode(
    triples.map((t) => t.negative),
    'passage',
  );
  let correct = 0;
  for (let i = 0; i < triples.length; i++) {
    let qp = 0,
      qn = 0,
      qq = 0,
      pp = 0,
      nn = 0;
    for (let c = 0; c < C; c++) {
      const a = q[i * C + c]!,
        b = p[i * C + c]!,
        d = n[i * C + c]!;
      qp += a * b;
      qn += a * d;
      qq += a * a;
      pp += b * b;
      nn += d * d;
    }
    if (qp / Math.sqrt(qq * pp) > qn / Math.sqrt(qq * nn)) correct++;
  }
  const evalLoss = noGrad(() =>
    tidy(() => {
      const [tq, tp, tn] = [q, p, n].map((x) => tensor(x, [triples.length, C]).to(encoder.device)) as [
        ReturnType<typeof tensor>,
        ReturnType<typeof tensor>,
        ReturnType<typeof tensor>,
      ];
      return (cfg.loss === 'triplet' ? tripletLoss(tq, tp, tn, cfg) : mnrlLoss(tq, tp, tn, cfg.mnrlScale)).item();
    }),
  );
  return { tripletAccuracy: correct / triples.length, evalLoss };
}
