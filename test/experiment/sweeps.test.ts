// A sweep's choice and what the report calls the swept arm: its label shows the value the
// sweep chose (the trained configuration), not the arm's default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARMS, armLabel, armRecord } from '../../src/experiment/arms.ts';
import type { FoldOutcome } from '../../src/experiment/fold-study.ts';
import { SWEEPS, sweepChoice, sweptLabel } from '../../src/experiment/sweeps.ts';

const arm = (name: string) => ARMS.find((a) => a.name === name)!;
const sweep = (name: string) => SWEEPS.find((s) => s.arm === name)!;

/** A fold whose outcome holds the given (swept) arm specs: all sweptLabel reads. */
function fold(name: string, ...specs: ReturnType<typeof arm>[]): FoldOutcome {
  return { fold: { name }, arms: specs.map((a) => ({ arm: a })) } as unknown as FoldOutcome;
}

test('the sweep chooses the highest validation score, ties to the first value', () => {
  assert.equal(sweepChoice([2e-4, 1e-3], [0.61, 0.63]), 1e-3);
  assert.equal(sweepChoice([2e-4, 1e-3], [0.63, 0.63]), 2e-4);
});

test("a swept arm's label shows the chosen lr and weight, not the default", () => {
  const lora = arm('lora-hard-lr1e-3');
  assert.equal(armLabel(lora), 'LoRA, hard negatives (lr 1e-3)'); // the default
  const chose = sweep('lora-hard-lr1e-3').apply(lora, 2e-4);
  assert.equal(
    sweptLabel([fold('dl20->dl19', chose)], lora, 'paper-run'),
    'LoRA, hard negatives (lr 2e-4) (paper-run)',
  );
  const recipe = sweep('recipe').apply(arm('recipe'), 1);
  assert.equal(
    sweptLabel([fold('dl20->dl19', recipe)], arm('recipe'), 'paper-run'),
    'Recipe: full FT, MNRL + hard negatives + preservation (1)',
  );
  assert.match(armRecord(recipe, 'paper-run', null, null).loss, /preserve\(cosine, 1\)/);
  // folds that chose differently: each fold's label, named
  const other = sweep('lora-hard-lr1e-3').apply(lora, 1e-3);
  assert.equal(
    sweptLabel([fold('dl20->dl19', chose), fold('dl19->dl20', other)], lora, 'paper-run'),
    'LoRA, hard negatives (lr 2e-4) (paper-run) on dl20->dl19; LoRA, hard negatives (lr 1e-3) (paper-run) on dl19->dl20',
  );
  // an arm no sweep touched, and one absent from the outcomes, keep their label
  assert.equal(
    sweptLabel([fold('dl20->dl19')], arm('lora-hard'), 'paper-text'),
    'LoRA, hard negatives (lr 2e-5) (paper-text)',
  );
});
