// `ftlab study --seeds 2 --folds both` on the real TREC DL files with a tiny model: per-seed
// units and triples, chosen and final verdicts per fold and pooled, dose CIs, the design, the
// negatives' hardness; a rerun reuses every unit, and a new margin re-derives the verdicts
// without retraining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ftlab } from '../helpers/cli.ts';
import { hasShared, SHARED_MSMARCO, tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import type { StudyResults } from '../../src/report/schema.ts';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('two seeds, both folds: verdicts chosen and final (per fold and pooled), dose CIs, design, negatives; resume and a new margin', {
  skip: hasShared ? false : `${SHARED_MSMARCO} absent`,
}, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const args = [
    'study',
    ...['--output', out, '--data', SHARED_MSMARCO, '--model', model],
    ...['--seeds', '2', '--folds', 'both', '--steps', '4', '--batch-size', '4', '--arms', 'full-random,recipe'],
    ...['--rerank-depth', '20', '--validation-depth', '10', '--mining-depth', '60'],
    ...['--timing-queries', '0', '--geometry-pairs', '0', '--no-umap', '--threads', '1', '--device', 'cpu'],
  ];
  const r = ftlab(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /design: nDCG@10, margin ±0\.02 declared; MDE 0\.\d+ at 80% power/);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.deepEqual(res.config.seeds, [42, 43]);
  assert.equal(res.config.equivalenceMargin, 0.02);
  assert.equal(res.config.primaryMetric, 'nDCG@10');
  assert.ok(res.config.metrics.includes('Judged@10'));
  for (const tag of ['dl20-dl19', 'dl19-dl20'])
    for (const arm of ['full-random', 'recipe'])
      for (const k of [0, 1]) assert.ok(existsSync(join(out, 'models', tag, arm, `seed-${k}`, 'study-training.json')));
  // the first seed snapshots the dose curve on the test fold; the second, its final model only
  const snapshots = (arm: string, k: number): number[] =>
    (
      JSON.parse(readFileSync(join(out, 'models', 'dl20-dl19', arm, `seed-${k}`, 'study-training.json'), 'utf8')) as {
        dose: { step: number }[];
      }
    ).dose.map((d) => d.step);
  assert.deepEqual(snapshots('full-random', 0), [1, 2, 4]);
  assert.deepEqual(snapshots('full-random', 1), [4]);
  assert.equal(res.training.length, 8);
  assert.ok(res.training.some((t) => t.model === 'recipe seed-1 (dl19->dl20)'));
  // each seed draws its own random negatives
  const triples = (k: string): string => readFileSync(join(out, 'triples', `dl20-dl19.train.random${k}.tsv`), 'utf8');
  assert.notEqual(triples(''), triples('.seed-1'));

  // verdicts: 2 arms x (chosen, final) x (2 folds + pooled), Bonferroni over the 12 rows
  assert.equal(res.verdicts.length, 12);
  for (const v of res.verdicts) {
    close(v.alpha, 0.05 / 12, 'alpha per row');
    assert.equal(v.seeds, 2);
    assert.equal(v.chosenSteps!.length, v.fold === 'pooled' ? 4 : 2);
    assert.ok(v.ciDifference[0] <= v.delta && v.delta <= v.ciDifference[1]);
  }
  const row = (fold: string, arm: string, cp: string) =>
    res.verdicts.find((v) => v.fold === fold && v.arm === arm && v.checkpoint === cp)!;
  for (const arm of ['full-random', 'recipe'])
    for (const cp of ['chosen', 'final']) {
      const [a, b, p] = [row('dl20->dl19', arm, cp), row('dl19->dl20', arm, cp), row('pooled', arm, cp)];
      assert.equal(p.queries, a.queries + b.queries);
      close(p.delta, (a.delta * a.queries + b.delta * b.queries) / p.queries, `${arm} ${cp} pooled delta`);
      // final = the 100% dose snapshot, averaged over seeds
      const dose = (fold: string) => res.dose.find((d) => d.fold === fold && d.arm === arm && d.fraction === 1)!;
      if (cp === 'final') close(a.armMean, dose('dl20->dl19').metrics['nDCG@10']!, `${arm} final vs dose 100%`);
      // a seed whose validation chose step 0 is the base on the test fold
      if (cp === 'chosen')
        a.chosenSteps!.forEach((s, k) => {
          if (s === 0) assert.equal(a.perSeed[k], 0);
        });
    }
  // dose points: means over the seeds that snapshot them (the base and the last step: both; the
  // curve between: the first seed's); past step 0 a delta with its CI and p
  const base = res.dose.find((d) => d.fraction === 0 && d.fold === 'dl20->dl19')!.metrics['nDCG@10']!;
  for (const d of res.dose.filter((x) => x.fold === 'dl20->dl19')) {
    assert.equal(d.seeds, d.fraction === 0 || d.fraction === 1 ? 2 : 1, `dose ${d.arm} ${d.fraction}`);
    if (d.step === 0) continue;
    close(d.delta!, d.metrics['nDCG@10']! - base, 'dose delta');
    assert.ok(d.ci![0] <= d.delta! && d.delta! <= d.ci![1] && d.p! >= 0 && d.p! <= 1);
  }
  assert.equal(res.design!.tests, 12);
  assert.equal(res.design!.queries, 97);
  assert.match(res.design!.sdSource, /assumed/);
  assert.ok(res.design!.mde > 0 && res.design!.minimumMargin > 0);
  assert.deepEqual(
    res.negatives.map((n) => `${n.fold} ${n.kind}`),
    ['dl20->dl19 random', 'dl20->dl19 hard', 'dl19->dl20 random', 'dl19->dl20 hard'],
  );
  for (const n of res.negatives) assert.ok(n.margin !== null && n.score.count === n.triples);

  const again = ftlab(args);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /retraining/);
  assert.equal((again.stderr.match(/reusing the finished training/g) ?? []).length, 8);

  const wider = ftlab([...args, '--equivalence-margin', '0.5']);
  assert.equal(wider.code, 0, wider.stderr);
  assert.doesNotMatch(wider.stderr, /retraining/);
  assert.equal((wider.stderr.match(/reusing the finished training/g) ?? []).length, 8);
  const w = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(w.config.equivalenceMargin, 0.5);
  assert.equal(w.design!.equivalenceMargin, 0.5);
  assert.deepEqual(
    w.verdicts.map((v) => v.delta),
    res.verdicts.map((v) => v.delta),
  );
  // a margin of 0.5 nDCG@10 holds every tiny-model interval: all equivalent
  assert.ok(w.verdicts.every((v) => v.verdict === 'equivalent'));
});

test('--sweeps: the recipe preservation weight chosen on validation only, recorded, its run the first seed', {
  skip: hasShared ? false : `${SHARED_MSMARCO} absent`,
}, () => {
  const root = tmpDir();
  const model = writeTinyModel(join(root, 'model'));
  const out = join(root, 'run');
  const r = ftlab([
    'study',
    ...['--output', out, '--data', SHARED_MSMARCO, '--model', model, '--sweeps'],
    ...['--folds', 'one', '--steps', '4', '--batch-size', '4', '--arms', 'recipe'],
    ...['--rerank-depth', '20', '--validation-depth', '10', '--mining-depth', '60'],
    ...['--timing-queries', '0', '--geometry-pairs', '0', '--no-umap', '--threads', '1', '--device', 'cpu'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  assert.equal(res.sweeps.length, 1);
  const s = res.sweeps[0]!;
  assert.deepEqual(
    [s.fold, s.arm, s.parameter, s.metric, s.values],
    ['dl20->dl19', 'recipe', 'preserve weight', 'nDCG@10', [1, 5]],
  );
  // each score is that run's validation choice, as its own training record says
  s.values.forEach((v, i) => {
    const rec = JSON.parse(
      readFileSync(
        join(out, 'models', 'dl20-dl19', 'recipe', `sweep-preserve-weight-${v}`, 'study-training.json'),
        'utf8',
      ),
    ) as { chosen: { value: number }; config: { regulariser: { weight: number } }; dose: { step: number }[] };
    assert.equal(rec.config.regulariser.weight, v);
    assert.equal(rec.chosen.value, s.scores[i]);
    // each run is the unit the arm would train at the first seed: the unit's test snapshots are taken
    assert.deepEqual(
      rec.dose.map((d) => d.step),
      [1, 2, 4],
    );
  });
  assert.equal(s.chosen, s.scores[1]! > s.scores[0]! ? 5 : 1, 'the higher score, ties to the first value');
  // the chosen value's run is the first seed: reused, not trained a second time
  const chosenDir = join(out, 'models', 'dl20-dl19', 'recipe', `sweep-preserve-weight-${s.chosen}`);
  assert.ok(r.stderr.includes(`reusing the finished training in ${chosenDir}`), r.stderr);
  assert.ok(!existsSync(join(out, 'models', 'dl20-dl19', 'recipe', 'seed-0')));
  assert.equal(r.stderr.match(/train recipe \(dl20->dl19\).*100%/g)?.length, 2, 'two values trained, nothing more');
  const trained = res.config.arms.find((a) => a.name === 'recipe')!;
  assert.equal((trained.trainConfig as { regulariser: { weight: number } }).regulariser.weight, s.chosen);
  assert.match(r.stderr, /sweep recipe preserve weight \(dl20->dl19\): validation nDCG@10 .* chose/);
});
