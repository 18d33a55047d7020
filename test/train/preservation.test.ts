// The preservation regulariser against numbers worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, tensor } from '../../src/engine/index.ts';
import { preservationLoss, ReferenceVectors } from '../../src/train/losses/preservation.ts';
import { WeightAnchor } from '../../src/train/losses/weight-anchor.ts';

const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('preservation loss: weight * mean(1 - cos) by hand, and its gradient', () => {
  // row 0: (2, 0) vs (1, 0): cos 1 -> 0;  row 1: (0, 1) vs (0.6, 0.8): cos 0.8 -> 0.2
  // mean 0.1, weight 3 -> 0.3
  const cur = tensor([2, 0, 0, 1], [2, 2]).setRequiresGrad();
  const ref = tensor([1, 0, 0.6, 0.8], [2, 2]);
  const loss = preservationLoss(cur, ref, 3);
  close(loss.item(), 0.3);
  // d(1 - cos(x, r))/dx = -(r/|r| - cos x/|x|) / |x|; row 1 (|x| = 1, cos 0.8): -((0.6, 0.8) - 0.8 (0, 1)) = (-0.6, 0)
  // times weight / N = 3 / 2 -> (-0.9, 0); row 0 is at its optimum: (0, 0)
  loss.backward();
  const g = cur.grad!.f32();
  [0, 0, -0.9, 0].forEach((v, i) => close(g[i]!, v, 1e-5));
});

test('preservation loss is zero for identical directions, whatever the scale', () => {
  const cur = tensor([3, 4, -1, 2], [2, 2]);
  const ref = tensor([0.6, 0.8, -2, 4], [2, 2]);
  close(preservationLoss(cur, ref, 10).item(), 0, 1e-6);
});

test('weight anchor (L2-SP): weight * sum ||theta - theta0||^2 by hand, its gradient, and the start copied, not shared', () => {
  const a = tensor([1, 2], [2]).setRequiresGrad();
  const b = tensor([0, -1, 3, 0.5], [2, 2]).setRequiresGrad();
  const anchor = new WeightAnchor([a, b], 2);
  close(anchor.loss().item(), 0, 0);
  // move the parameters in place, as the optimizer does: a -> (1.5, 2), b -> (0, -1, 2, 0.5)
  noGrad(() => {
    a.addInPlace(tensor([0.5, 0], [2]));
    b.addInPlace(tensor([0, 0, -1, 0], [2, 2]));
  });
  // 2 * (0.5^2 + 1^2) = 2.5; gradient 2 * 2 * (theta - theta0): a (2, 0), b (0, 0, -4, 0)
  const loss = anchor.loss();
  close(loss.item(), 2.5);
  loss.backward();
  [2, 0].forEach((v, i) => close(a.grad!.f32()[i]!, v, 1e-6));
  [0, 0, -4, 0].forEach((v, i) => close(b.grad!.f32()[i]!, v, 1e-6));
  anchor.dispose();
});

test('reference vectors: each text encoded once, in its role, the vectors in the order asked', () => {
  const calls: { texts: string[]; role: string }[] = [];
  // a stand-in frozen encoder: text t's vector is (length + a role offset, last char code)
  const frozen = {
    dim: 2,
    encode: (texts: readonly string[], role: 'query' | 'passage'): Float32Array => {
      calls.push({ texts: [...texts], role });
      return Float32Array.from(
        texts.flatMap((t) => [t.length + (role === 'query' ? 100 : 0), t.charCodeAt(t.length - 1)]),
      );
    },
  };
  const ref = new ReferenceVectors(frozen);
  const first = ref.of(['q1', 'q1'], ['pa', 'pbb'], 'cpu');
  assert.deepEqual([...first.f32()], [102, 49, 102, 49, 2, 97, 3, 98]);
  assert.deepEqual(first.shape, [4, 2]);
  // the second batch repeats 'q1' and 'pbb': only 'q2' and 'pc' are encoded
  const second = ref.of(['q2', 'q1'], ['pbb', 'pc'], 'cpu');
  assert.deepEqual([...second.f32()], [102, 50, 102, 49, 3, 98, 2, 99]);
  assert.deepEqual(calls, [
    { texts: ['q1'], role: 'query' },
    { texts: ['pa', 'pbb'], role: 'passage' },
    { texts: ['q2'], role: 'query' },
    { texts: ['pc'], role: 'passage' },
  ]);
  // the same text as a query and as a passage is two texts (the roles' prompts differ)
  ref.of([], ['q1'], 'cpu');
  assert.deepEqual(calls.at(-1), { texts: ['q1'], role: 'passage' });
});
