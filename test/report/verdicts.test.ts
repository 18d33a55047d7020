// The inference sections of the report (verdict, per-query scatter, dose CIs, negatives,
// sweeps, Table III at chosen/final) against the fixture's rows, which armVerdict,
// minimumDetectableEffect and negativesProfile computed from seeded per-query scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport, reportSections } from '../../src/report/render-report.ts';
import { MISSING_TEXT, plain, type Section } from '../../src/report/document.ts';
import { escapeHtml } from '../../src/report/html.ts';
import { parseResults } from '../../src/report/read-results.ts';
import { ci, count, fixed, level, paramValue, pValue, signed } from '../../src/report/format.ts';
import { answer, baseWins, orderedVerdicts } from '../../src/report/sections/verdicts.ts';
import { perQueryData } from '../../src/report/sections/per-query-figure.ts';
import { doseData } from '../../src/report/sections/dose-figure.ts';
import type { StudyResults, VerdictRow } from '../../src/report/schema.ts';
import { armLabel } from '../../src/report/arms.ts';
import { armVerdict } from '../../src/analysis/arm-verdict.ts';
import { fixtureResults } from './fixture.ts';

const section = (r: StudyResults, id: string): Section => reportSections(r).find((s) => s.id === id)!;

function texts(s: Section): string[] {
  return s.blocks.flatMap((b) =>
    b.kind === 'paragraph'
      ? [plain(b.text)]
      : b.kind === 'list'
        ? b.items.map(plain)
        : b.kind === 'table'
          ? [
              plain(b.table.caption),
              ...b.table.rows.map((r) => r.map((c) => plain([...c.text, ...(c.note ?? [])])).join(' | ')),
            ]
          : [],
  );
}

/** Every number a verdict row shows, as the report formats it. */
function rowNumbers(v: VerdictRow): string[] {
  const out = [
    signed(v.delta),
    ci(v.ciDifference),
    ci(v.ciEquivalence),
    pValue(v.tost.p),
    pValue(v.pDifference),
    fixed(v.dz, 2),
    `${v.wins}/${v.ties}/${v.losses}`,
    `${v.seeds} × ${v.queries}`,
    level(v.alpha),
    ...v.perSeed.map((x) => signed(x)),
  ];
  const w = baseWins(v);
  return w ? [...out, w] : out;
}

test('the fixture exercises all four verdicts, computed by armVerdict (not typed in)', () => {
  const r = fixtureResults();
  assert.deepEqual([...new Set(r.verdicts.map((v) => v.verdict))].sort(), [
    'better',
    'equivalent',
    'inconclusive',
    'worse',
  ]);
  for (const v of r.verdicts) {
    const d = v.perQuery.map((q) => q.arm - q.base);
    assert.ok(Math.abs(d.reduce((a, x) => a + x, 0) / d.length - v.delta) < 1e-12, 'delta is the per-query mean');
    assert.ok(v.ciDifference[0] <= v.ciEquivalence[0] && v.ciEquivalence[1] <= v.ciDifference[1], 'nested CIs');
  }
});

test('every verdict row and the design appear, formatted, in the HTML and the Markdown', async () => {
  const r = fixtureResults();
  const out = await renderReport(r);
  const d = r.design!;
  const want = [
    ...r.verdicts.flatMap(rowNumbers),
    fixed(d.mde),
    fixed(d.minimumMargin),
    `±${fixed(d.equivalenceMargin)}`,
    `effects smaller than ${fixed(d.mde)} ${d.metric} cannot be reliably told from zero`,
  ];
  assert.deepEqual(
    want.filter((n) => !out.markdown.includes(n)),
    [],
    'in report.md',
  );
  assert.deepEqual(
    want.filter((n) => !out.html.includes(escapeHtml(n))),
    [],
    'in report.html',
  );
  // the verdict table: one row per verdict, pooled first, chosen before final
  const rows = orderedVerdicts(r);
  assert.equal(rows.length, r.verdicts.length);
  assert.equal(rows[0]!.fold, 'pooled');
  assert.equal(rows[0]!.checkpoint, 'chosen');
  assert.equal(
    out.markdown.split('\n').filter((l) => /^\| .* \| (pooled|dl20->dl19|dl19->dl20) \| (chosen|final) \|/.test(l))
      .length,
    r.verdicts.length,
  );
});

test('an inconclusive arm is never described as equivalent, and nothing reads "no difference" or "matches"', async () => {
  const r = fixtureResults();
  const v = section(r, 'verdict');
  const items = v.blocks.flatMap((b) => (b.kind === 'list' ? b.items.map(plain) : []));
  const lead = orderedVerdicts(r).filter((x) => x.fold === 'pooled');
  assert.equal(items.length, lead.length);
  let inconclusive = 0;
  lead.forEach((row, i) => {
    const line = items[i]!;
    const deciding = row.verdict === 'equivalent' ? row.ciEquivalence : row.ciDifference; // the interval that decides
    assert.ok(line.includes(signed(row.delta)) && line.includes(ci(deciding)), line);
    if (row.verdict === 'inconclusive') {
      inconclusive++;
      assert.ok(line.includes('inconclusive') && !/equivalen/i.test(line), line);
    }
    if (row.verdict === 'equivalent') assert.ok(line.includes(`within ±${fixed(r.config.equivalenceMargin)}`), line);
    if (row.verdict === 'better') assert.ok(line.includes('better than the base'), line);
    if (row.verdict === 'worse') assert.ok(line.includes('worse than the base'), line);
  });
  assert.ok(inconclusive > 0, 'the fixture has an inconclusive pooled row');
  const table = v.blocks.find((b) => b.kind === 'table')!;
  assert.ok(table.kind === 'table');
  orderedVerdicts(r).forEach((row, i) => {
    const verdictCell = plain(table.table.rows[i]![4]!.text);
    assert.equal(
      verdictCell.startsWith('equivalent'),
      row.verdict === 'equivalent',
      `${verdictCell} vs ${row.verdict}`,
    );
  });
  const out = await renderReport(r);
  const bodyText = out.html.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<[^>]*>/g, ' ');
  for (const page of [bodyText, out.markdown])
    assert.doesNotMatch(page, /no (significant )?difference|\bmatches\b|same as the base|no effect/i);
});

test('a chosen row where the base won in every seed says it compares the base with itself', () => {
  const r = fixtureResults();
  const base = [0.2, 0.5, 0.7, 0.35, 0.9];
  const queries = base.map((_, i) => `q${i}`);
  const same = armVerdict({ queries, base, arm: [base, base, base] }, { margin: 0.02, resamples: 200 });
  const row: VerdictRow = {
    fold: 'pooled',
    protocol: 'rerank',
    arm: 'lora-hard',
    checkpoint: 'chosen',
    metric: 'nDCG@10',
    ...same,
    chosenSteps: [0, 0, 0],
  };
  const items = section({ ...r, verdicts: [row] }, 'verdict').blocks.flatMap((b) =>
    b.kind === 'list' ? b.items.map(plain) : [],
  );
  assert.equal(items.length, 1);
  assert.match(items[0]!, /3 of 3 seeds/);
  assert.match(items[0]!, /compares the base with itself: fine-tuning was not used, not shown harmless/);
  // TOST passes trivially for the base against itself: neither the sentence nor the table calls it equivalent
  assert.equal(same.verdict, 'equivalent');
  assert.match(items[0]!, /no verdict \(the base compared with itself\)/);
  assert.doesNotMatch(items[0]!, /equivalent/);
  const table = section({ ...r, verdicts: [row] }, 'verdict').blocks.find((b) => b.kind === 'table');
  assert.ok(table?.kind === 'table');
  assert.deepEqual(
    table.table.rows.map((cells) => plain(cells[4]!.text)),
    ['base kept (no fine-tuned checkpoint)'],
  );
  assert.match(plain(answer({ ...r, verdicts: [row] })), /Not shown either way: validation kept the base for LoRA/);
  assert.doesNotMatch(plain(answer({ ...r, verdicts: [row] })), /Not in this run|equivalent to/);
  const mixed = section(r, 'verdict').blocks.flatMap((b) => (b.kind === 'list' ? b.items.map(plain) : []));
  assert.ok(
    mixed.every((l) => !l.includes('with itself')),
    'no fixture row has step 0 in every seed',
  );
});

test('a pooled chosen row counts its runs (seeds x folds), not seeds', () => {
  const base = [0.2, 0.5, 0.7, 0.35, 0.9];
  const queries = base.map((_, i) => `q${i}`);
  const v = armVerdict({ queries, base, arm: [base] }, { margin: 0.02, resamples: 200 });
  const row = (fold: string, chosenSteps: number[]): VerdictRow => ({
    ...{ fold, protocol: 'rerank', arm: 'full-hard', checkpoint: 'chosen', metric: 'nDCG@10' },
    ...v,
    chosenSteps,
  });
  assert.equal(baseWins(row('pooled', [0, 12])), '1 of 2 runs (1 seed × 2 folds)');
  assert.equal(baseWins(row('dl20->dl19', [0])), '1 of 1 seed');
});

test('the answer follows the chosen rows: better, else equivalent, else inconclusive, else worse', () => {
  const r = fixtureResults();
  assert.match(plain(answer(r)), /No: Full FT, hard negatives is better than the base\./);
  const recast = (from: VerdictRow['verdict'][], to: VerdictRow['verdict']): StudyResults => ({
    ...r,
    verdicts: r.verdicts.map((v) => (from.includes(v.verdict) ? { ...v, verdict: to } : v)),
  });
  assert.match(plain(answer(recast(['better'], 'worse'))), /Not in this run: Full FT, random negatives is equivalent/);
  const none = plain(answer(recast(['better', 'equivalent'], 'worse')));
  assert.match(none, /This run cannot tell: .*LoRA r=8, hard negatives is inconclusive/);
  assert.doesNotMatch(none, /equivalent to/);
  assert.match(plain(answer(recast(['better', 'equivalent', 'inconclusive'], 'worse'))), /every arm is worse/);
});

test('the per-query scatter: one point per query and a diagonal per panel, on the pooled rows', async () => {
  const r = fixtureResults();
  const data = perQueryData(r);
  const pooled = r.verdicts.filter((v) => v.fold === 'pooled');
  assert.equal(
    data.filter((d) => d.series === 'query').length,
    pooled.reduce((a, v) => a + v.perQuery.length, 0),
  );
  assert.equal(data.filter((d) => d.series === 'diagonal').length, pooled.length);
  for (const d of data.filter((x) => x.series === 'diagonal')) assert.ok(d.base === d.score && d.base2 === d.score2);
  const out = await renderReport(r);
  const svg = out.figures.find((f) => f.id === 'figure-4-per-query')!.svg!;
  assert.equal((svg.match(/<path[^>]*aria-roledescription="point"/g) ?? []).length, data.length - pooled.length);
});

test('dose points with a CI: error bars on the metric scale and a table with delta, CI and p', () => {
  const r = fixtureResults();
  const withCi = r.dose.filter((d) => d.ci !== undefined);
  assert.ok(withCi.length > 0);
  const bars = doseData(r, 'nDCG@10').filter((d) => d.lo !== undefined);
  assert.equal(bars.length, withCi.length);
  for (const d of withCi) {
    const b = bars.find((x) => x.fold === d.fold && x.arm === armLabel(r, d.arm) && x.fraction === d.fraction)!;
    const value = d.metrics['nDCG@10']!; // the CI of the delta, moved onto the metric: value - delta + ci
    assert.ok(
      Math.abs(b.lo! - (value - d.delta! + d.ci![0])) < 1e-12 &&
        Math.abs(b.hi! - (value - d.delta! + d.ci![1])) < 1e-12,
    );
  }
  const lines = texts(section(r, 'figure-3'));
  for (const d of withCi) {
    const line = lines.find((l) => l.includes(signed(d.delta)) && l.includes(ci(d.ci)));
    assert.ok(line?.includes(pValue(d.p)), `dose ${d.arm} ${d.fold} ${d.fraction}`);
  }
});

test('a dose curve between the base and the last step from the first seed only says so; equal seeds say nothing', () => {
  const r = fixtureResults();
  const caption = (x: StudyResults) => texts(section(x, 'figure-3')).find((l) => l.startsWith('Figure 3 data.'))!;
  const same = { ...r, dose: r.dose.map((d) => ({ ...d, seeds: 3 })) };
  assert.doesNotMatch(caption(same), /first seed/);
  const curve = { ...r, dose: r.dose.map((d) => ({ ...d, seeds: d.fraction === 0 || d.fraction === 1 ? 3 : 1 })) };
  assert.match(
    caption(curve),
    /the first seed's \(later seeds snapshot their final model only\): their CI is over queries/,
  );
});

test('negatives, sweeps and Table III at the chosen and final checkpoints show their numbers', () => {
  const r = fixtureResults();
  const neg = texts(section(r, 'negatives')).join('\n');
  for (const n of r.negatives) {
    for (const x of [n.score.median, n.score.p10, n.score.p90]) assert.ok(neg.includes(fixed(x)), `${n.kind} ${x}`);
    if (n.bm25Rank) assert.ok(neg.includes(`p10–p90 ${count(n.bm25Rank.p10)} – ${count(n.bm25Rank.p90)}`));
    if (n.margin) assert.ok(neg.includes(fixed(n.margin.median)));
  }
  const hard = r.negatives.find((n) => n.kind === 'hard')!;
  assert.ok(neg.includes(`hard negatives score a median ${fixed(hard.score.median)}`));
  const sweeps = texts(section(r, 'sweeps')).join('\n');
  assert.ok(sweeps.includes('Chosen on validation only'));
  for (const s of r.sweeps) {
    s.values.forEach((v, i) => assert.ok(sweeps.includes(`${paramValue(v)}: ${fixed(s.scores[i])}`)));
    assert.ok(sweeps.includes(paramValue(s.chosen)));
  }
  const t3 = texts(section(r, 'training')).join('\n');
  for (const t of r.training)
    for (const h of [t.chosen!, t.final!])
      assert.ok(t3.includes(`${fixed(h.tripletAccuracy)}step ${h.step}`), `${h.step}`);
});

test('an older results.json without the new sections still renders, and the verdict section says so', async () => {
  const full = fixtureResults();
  const old = JSON.parse(JSON.stringify(full)) as Record<string, unknown> & StudyResults;
  for (const k of ['verdicts', 'design', 'negatives', 'sweeps']) delete old[k];
  for (const k of ['seeds', 'equivalenceMargin', 'alpha', 'primaryMetric'] as const) delete old.config[k];
  old.dose = old.dose.map(({ delta: _d, ci: _c, p: _p, seeds: _s, ...rest }) => rest);
  old.training = old.training.map(({ chosen: _c, final: _f, ...rest }) => rest);
  const r = parseResults(JSON.stringify(old), 'old/results.json');
  const out = await renderReport(r);
  const verdict = texts(section(r, 'verdict')).join('\n');
  assert.match(verdict, /no verdict table/);
  assert.doesNotMatch(verdict, /equivalent within|better than|worse than/);
  assert.deepEqual(
    out.figures.map((f) => f.id),
    ['figure-3-dose', 'figure-2-curves', 'figure-1-umap'],
  );
  for (const id of ['table-verdicts', 'table-dose', 'table-negatives', 'table-sweeps'])
    assert.ok(!out.html.includes(`data-table="${id}"`), id);
  assert.equal(out.html.split(MISSING_TEXT).length - 1, 3, 'figure 4, negatives, sweeps');
  assert.ok(!out.html.includes('Acc. at chosen'));
});

test('the summary calls an arm whose chosen checkpoint is the base in every seed the base itself, not inconclusive', () => {
  const r = fixtureResults();
  const s = r.retrieval[0]!;
  const arm = s.table.rows.find((row) => row.model !== s.table.baseline)!.model;
  const lines = (results: StudyResults): string[] =>
    section(results, 'summary').blocks.flatMap((b) => (b.kind === 'list' ? b.items.map(plain) : []));
  const kept = r.verdicts.map((v) =>
    v.arm === arm && v.fold === s.fold && v.protocol === s.protocol && v.checkpoint === 'chosen'
      ? { ...v, chosenSteps: [0, 0, 0] }
      : v,
  );
  assert.ok(
    kept.some((v, i) => v !== r.verdicts[i]),
    'the fixture has a chosen row for that arm',
  );
  const before = lines(r).filter((l) => l.includes('is the base itself here'));
  const after = lines({ ...r, verdicts: kept }).filter((l) => l.includes('is the base itself here'));
  assert.equal(after.length, before.length + 1);
  const tally = section({ ...r, verdicts: kept }, 'summary').blocks.flatMap((b) =>
    b.kind === 'paragraph' ? [plain(b.text)] : [],
  );
  assert.ok(tally.some((t) => / 1 where validation kept the base \(step 0\)\./.test(t)));
});
