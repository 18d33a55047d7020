// The geometry numbers against scripts/fixtures/geometry_reference.py (numpy: its own SVD,
// explicit distances, stable argsort), committed as test/fixtures/geometry-reference.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/tiny-model.ts';
import {
  alignment,
  anisotropy,
  cosineMatrix,
  drift,
  effectiveRank,
  meanOtherCosine,
  meanPairCosine,
  nearest,
  neighbourOverlap,
  normalizeRows,
  uniformity,
} from '../../src/analysis/geometry-measures.ts';
import { symmetricEigenvalues } from '../../src/analysis/symmetric-eigenvalues.ts';

interface Expected {
  alignment: number;
  uniformity: number;
  anisotropy: number;
  meanPairCosine: number;
  meanOtherCosine: number;
  effectiveRank: number;
  drift?: number;
  neighbourOverlap?: number;
}
interface Case {
  n: number;
  dim: number;
  base: number[][];
  model: number[][];
  expectedBase: Expected;
  expectedModel: Expected;
}
const fixture = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'geometry-reference.json'), 'utf8')) as {
  cases: Case[];
};

function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs numpy ${expected}`,
  );
}

function numbers(
  rows: number[][],
  n: number,
  dim: number,
): { u: ReturnType<typeof normalizeRows>; g: Float64Array; got: Expected } {
  const u = normalizeRows(rows.flat(), 2 * n, dim);
  const g = cosineMatrix(u);
  return {
    u,
    g,
    got: {
      alignment: alignment(g, n),
      uniformity: uniformity(g, 2 * n),
      anisotropy: anisotropy(g, 2 * n),
      meanPairCosine: meanPairCosine(g, n),
      meanOtherCosine: meanOtherCosine(g, n),
      effectiveRank: effectiveRank(u),
    },
  };
}

for (const [ci, c] of fixture.cases.entries()) {
  test(`geometry numbers equal numpy's (case ${ci}: ${2 * c.n} rows x ${c.dim})`, () => {
    const base = numbers(c.base, c.n, c.dim);
    const model = numbers(c.model, c.n, c.dim);
    for (const [k, v] of Object.entries(base.got)) close(v, c.expectedBase[k as keyof Expected]!, `base ${k}`);
    for (const [k, v] of Object.entries(model.got)) close(v, c.expectedModel[k as keyof Expected]!, `model ${k}`);
    close(drift(base.u, model.u), c.expectedModel.drift!, 'drift');
    close(neighbourOverlap(base.g, model.g, 2 * c.n, 10), c.expectedModel.neighbourOverlap!, 'neighbour overlap', 0);
  });
}

test('drift: a worked example (mean cosine of row i with row i), and its bounds', () => {
  // base rows (3, 4) and (0, 2) normalise to (0.6, 0.8) and (0, 1); the model's rows (1, 0) and (0, -5)
  // to (1, 0) and (0, -1): cosines 0.6 x 1 + 0.8 x 0 = 0.6 and 0 x 0 + 1 x -1 = -1; mean (0.6 - 1) / 2 = -0.2
  const base = normalizeRows([3, 4, 0, 2], 2, 2);
  const model = normalizeRows([1, 0, 0, -5], 2, 2);
  close(drift(base, model), -0.2, 'drift', 1e-15);
  close(drift(base, base), 1, 'same rows', 1e-15); // its upper bound: every row unchanged
  close(drift(base, normalizeRows([-3, -4, 0, -2], 2, 2)), -1, 'every row reversed', 1e-15); // its lower bound
  // one row of three turned by 90 degrees: (1 + 1 + 0) / 3
  const three = normalizeRows([1, 0, 0, 1, 1, 1], 3, 2);
  close(drift(three, normalizeRows([1, 0, 0, 1, -1, 1], 3, 2)), 2 / 3, 'one row turned', 1e-15);
});

test('Jacobi eigenvalues: a hand-worked 2 x 2 and a diagonal-plus-rank-one matrix', () => {
  // [[2, 1], [1, 2]]: eigenvalues 3 and 1
  const e = symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2);
  close(e[0]!, 3, 'l1', 1e-12);
  close(e[1]!, 1, 'l2', 1e-12);
  // I + v v^T with |v|^2 = 14 (v = 1, 2, 3): eigenvalues 15, 1, 1
  const v = [1, 2, 3];
  const a = Float64Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 1 : 0) + v[Math.floor(i / 3)]! * v[i % 3]!);
  const f = symmetricEigenvalues(a, 3);
  [15, 1, 1].forEach((x, i) => close(f[i]!, x, `eig ${i}`, 1e-12));
});

test('effective rank: d orthogonal unit rows give d; one repeated direction gives 1', () => {
  const eye = normalizeRows([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3);
  close(effectiveRank(eye), 3, 'identity');
  close(effectiveRank(normalizeRows([1, 1, 2, 2, 3, 3], 3, 2)), 1, 'rank one');
});

test('nearest: k largest, the lower index first on ties, self excluded', () => {
  const g = Float64Array.from([
    1, 0.5, 0.9, 0.5, 0.7, 0.5, 1, 0, 0, 0, 0.9, 0, 1, 0, 0, 0.5, 0, 0, 1, 0, 0.7, 0, 0, 0, 1,
  ]);
  assert.deepEqual(nearest(g, 5, 0, 3), [2, 4, 1]); // 0.9, 0.7, then 0.5 from rows 1 and 3: row 1
});
