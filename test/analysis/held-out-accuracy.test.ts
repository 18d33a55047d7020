// Table III recomputed on given held-out triples (ftlab inspect --held-out) at both the final
// model (DIR) and the chosen checkpoint (DIR/best): each equals the trainer's evaluator run on
// that folder's model, and the two differ when the folders hold different weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heldOutChosenAndFinal } from '../../src/analysis/held-out-accuracy.ts';
import { SentenceEncoder } from '../../src/model/sentence-encoder.ts';
import { tripletAccuracy } from '../../src/train/triplet-accuracy.ts';
import { tinyConfig, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { synthTriples } from '../helpers/triples.ts';

const TRAINING = { loss: 'triplet', distance: 'cosine', margin: 0.5, mnrlScale: 20 } as const;
const triples = synthTriples(12);

function folder(dir: string, seed: number, step: number): string {
  writeTinyModel(dir, tinyConfig(), seed);
  const info = { pooling: 'mean', normalize: true, maxLength: 64, training: { ...TRAINING, step } };
  writeFileSync(join(dir, 'ftlab.json'), JSON.stringify(info));
  return dir;
}

function direct(dir: string): { tripletAccuracy: number; evalLoss: number } {
  const enc = SentenceEncoder.load(dir);
  try {
    return tripletAccuracy(enc, triples, TRAINING);
  } finally {
    enc.dispose();
  }
}

test('held-out accuracy and loss at the chosen checkpoint (best/) and at the final model', () => {
  const dir = folder(tmpDir(), 0, 6);
  folder(join(dir, 'best'), 3, 0);
  const r = heldOutChosenAndFinal(dir, triples, { ...TRAINING });
  assert.equal(r.final.step, 6);
  assert.equal(r.chosen?.step, 0);
  assert.deepEqual([r.final.tripletAccuracy, r.final.evalLoss], Object.values(direct(dir)));
  assert.deepEqual([r.chosen?.tripletAccuracy, r.chosen?.evalLoss], Object.values(direct(join(dir, 'best'))));
  assert.notEqual(r.chosen?.evalLoss, r.final.evalLoss);
  assert.deepEqual([r.final.triples, r.final.queries], [12, 12]);
});

test('no best/: chosen is null; best/ at the final step: the final numbers', () => {
  const lone = folder(tmpDir(), 0, 6);
  assert.equal(heldOutChosenAndFinal(lone, triples, { ...TRAINING }).chosen, null);
  const same = folder(tmpDir(), 0, 6);
  folder(join(same, 'best'), 0, 6);
  const r = heldOutChosenAndFinal(same, triples, { ...TRAINING });
  assert.deepEqual(r.chosen, r.final);
});
