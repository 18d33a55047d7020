import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport, reportSections } from '../../src/report/render-report.ts';
import { MISSING_TEXT, plain, type Section } from '../../src/report/document.ts';
import { verdict } from '../../src/report/verdict.ts';
import { ci, fixed, pValue, seconds, signed } from '../../src/report/format.ts';
import type { MetricStats } from '../../src/eval/comparison.ts';
import { lossData, MAX_LOSS_POINTS } from '../../src/report/sections/curves-figure.ts';
import { armLabel } from '../../src/report/arms.ts';
import { fixtureResults } from './fixture.ts';
import { externalReferences, runDirWith } from './helpers.ts';
import { ftlab, assertOneLineError } from '../helpers/cli.ts';

const stats = (delta: number, lo: number, hi: number, pHolm: number | null): MetricStats => ({
  mean: 0.5 + delta,
  delta,
  ci95: [lo, hi],
  pTTest: pHolm,
  pRandomisation: pHolm,
  pHolm,
  identicalByConstruction: false,
});

test('verdict: a CI covering 0 is "not detected" (never "no difference"), however small p is; Holm p decides the rest', () => {
  assert.equal(verdict(stats(0.02, 0.01, 0.03, 0.01)), 'above');
  assert.equal(verdict(stats(-0.02, -0.03, -0.01, 0.01)), 'below');
  assert.equal(verdict(stats(0.02, -0.001, 0.04, 0.001)), 'not-detected');
  assert.equal(verdict(stats(0.02, 0.01, 0.03, 0.2)), 'not-significant-after-adjustment');
  assert.equal(verdict({ ...stats(0, 0, 0, null), identicalByConstruction: true }), 'identical');
});

function sectionText(s: Section): string {
  return s.blocks
    .map((b) => (b.kind === 'paragraph' ? plain(b.text) : b.kind === 'list' ? b.items.map(plain).join('\n') : ''))
    .join('\n');
}

test('the summary says, for every arm of every table, what its own numbers say', () => {
  const r = fixtureResults();
  const summary = reportSections(r).find((s) => s.id === 'summary')!;
  const items = summary.blocks.flatMap((b) => (b.kind === 'list' ? b.items.map(plain) : []));
  const seen = new Set<string>();
  let i = 0;
  for (const section of r.retrieval) {
    for (const row of section.table.rows.slice(1)) {
      const s = row.metrics['nDCG@10']!;
      const line = items[i++]!;
      const v = verdict(s);
      seen.add(v);
      const want = {
        above: 'beat the base',
        below: 'fell below the base',
        identical: 'identical to the base by construction',
        'not-detected': 'was not detected as different from the base',
        'not-significant-after-adjustment': 'but not significantly after Holm adjustment (inconclusive)',
      }[v];
      assert.ok(
        line.includes(want),
        `${section.fold}/${section.protocol}/${row.model}: "${line}" should say "${want}"`,
      );
      for (const n of [signed(s.delta), ci(s.ci95), pValue(s.pHolm), fixed(s.mean)])
        assert.ok(line.includes(n), `"${line}" lacks ${n}`);
      if (s.ci95![0] <= 0 && s.ci95![1] >= 0) assert.ok(!/beat|fell below/.test(line));
      assert.ok(!/no (significant )?difference|matches|same as|no effect/i.test(line), line);
    }
  }
  assert.equal(items.length, i);
  assert.deepEqual(
    [...seen].sort(),
    ['above', 'below', 'not-detected', 'not-significant-after-adjustment'],
    'the fixture exercises every wording',
  );
});

test('a full fixture renders every section and figure, deterministically, with no external reference', async () => {
  const r = fixtureResults();
  const a = await renderReport(r);
  const b = await renderReport(r);
  assert.equal(a.html, b.html);
  assert.deepEqual(
    a.figures.map((f) => f.id),
    ['figure-4-per-query', 'figure-3-dose', 'figure-2-curves', 'figure-1-umap'],
  );
  for (const f of a.figures) assert.match(f.svg!, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(!a.html.includes(MISSING_TEXT));
  assert.deepEqual(externalReferences(a.html), []);
  assert.ok(!/<script|<link|<img|<iframe/i.test(a.html));
  for (const id of [
    'table-1-1',
    'table-1-4',
    'table-2',
    'table-2-paper',
    'table-3',
    'table-geometry',
    'table-data',
    'table-stages',
    'table-verdicts',
    'table-dose',
    'table-negatives',
    'table-sweeps',
  ])
    assert.ok(a.html.includes(`data-table="${id}"`), id);
  // the markdown holds the same tables, one line per row, and links the figure files
  // Table I x 4, Table III, geometry, verdicts (pooled + 2 folds) x 2 checkpoints, dose 2 folds x 3 shares, sweeps x 2
  assert.equal(
    a.markdown.split('\n').filter((l) => l.startsWith('| Full FT, hard negatives')).length,
    4 + 1 + 1 + 3 * 2 + 2 * 3 + 2,
  );
  for (const f of a.figures) assert.ok(a.markdown.includes(`](${f.id}.svg)`));
});

test('the reference check catches what it is meant to catch', () => {
  assert.deepEqual(externalReferences('<p>see https://example.org in text</p>'), []);
  assert.equal(externalReferences('<svg xmlns="http://www.w3.org/2000/svg"></svg>').length, 1);
  assert.equal(externalReferences('<style>body { background: url(x.png) }</style>').length, 1);
  assert.equal(externalReferences('<img src="a.png">').length, 1);
  assert.equal(externalReferences('<a href="#summary">s</a>').length, 0);
});

test('an older run without geometry, timing or curves: those sections say so, the rest renders', async () => {
  const { geometry: _g, ...older } = fixtureResults();
  const r = { ...older, timing: null, curves: null } as never;
  const out = await renderReport(r);
  const sections = reportSections(r);
  const missing = sections
    .filter((s) => s.blocks.some((b) => b.kind === 'missing'))
    .map((s) => s.id)
    .sort();
  assert.deepEqual(missing, ['figure-1', 'figure-2', 'geometry', 'timing']);
  assert.deepEqual(
    out.figures.map((f) => f.id),
    ['figure-4-per-query', 'figure-3-dose'],
  );
  assert.equal(out.html.split(MISSING_TEXT).length - 1, 4);
  assert.ok(out.markdown.includes(MISSING_TEXT));
  assert.ok(sectionText(sections.find((s) => s.id === 'summary')!).includes('beat the base'));
});

test('ftlab report RUN_DIR writes report.html, report.md and each figure as .svg + .vl.json', () => {
  const dir = runDirWith(fixtureResults());
  const r = ftlab(['report', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rendered in \d+\.\d\d s/);
  assert.deepEqual(readdirSync(dir).sort(), [
    'figure-1-umap.svg',
    'figure-1-umap.vl.json',
    'figure-2-curves.svg',
    'figure-2-curves.vl.json',
    'figure-3-dose.svg',
    'figure-3-dose.vl.json',
    'figure-4-per-query.svg',
    'figure-4-per-query.vl.json',
    'report.html',
    'report.md',
    'results.json',
  ]);
  const spec = JSON.parse(readFileSync(join(dir, 'figure-1-umap.vl.json'), 'utf8')) as {
    $schema: string;
    data: { values: unknown[] };
  };
  assert.match(spec.$schema, /vega-lite/);
  assert.equal(spec.data.values.length, 3 * 2 * 60);
  assert.deepEqual(externalReferences(readFileSync(join(dir, 'report.html'), 'utf8')), []);
});

test('ftlab report on bad input: one line, exit 1, nothing written', () => {
  const empty = runDirWith('{}');
  assertOneLineError(ftlab(['report', empty]), /^ftlab: .*results\.json: not a study's results/);
  const future = runDirWith({ ...fixtureResults(), version: 2 });
  assertOneLineError(ftlab(['report', future]), /^ftlab: .*results\.json: format version 2 is newer/);
  assert.ok(!existsSync(join(future, 'report.html')) && !existsSync(join(future, 'report.md')));
});

test('long training curves are thinned for drawing, and the caption says by how much', () => {
  const r = fixtureResults(3, 5, 4000);
  const points = lossData(r, r.curves!);
  for (const s of r.curves!.series) {
    const mine = points.filter((p) => p.model === armLabel(r, s.model));
    assert.ok(mine.length <= MAX_LOSS_POINTS + 1 && mine.length >= MAX_LOSS_POINTS / 2, `${mine.length} points`);
    assert.equal(mine.at(-1)!.step, 4000, 'the last step is kept');
  }
  const fig = reportSections(r).find((s) => s.id === 'figure-2')!.blocks[0]!;
  assert.ok(fig.kind === 'figure' && plain(fig.figure.caption).includes('drawn every 3 steps'));
});

test("Table II (paper): the paper's figure as its text states it, this run's base under both protocols beside it", () => {
  const r = fixtureResults();
  const timing = reportSections(r).find((s) => s.id === 'timing')!;
  const tables = timing.blocks.flatMap((b) => (b.kind === 'table' ? [b.table] : []));
  const main = tables.find((t) => t.id === 'table-2')!;
  assert.match(plain(main.caption), /model loading and file I\/O excluded, as the paper's text states/);
  const paper = tables.find((t) => t.id === 'table-2-paper')!;
  const rows = paper.rows.map((row) => row.map((c) => plain(c.text)));
  assert.equal(rows.length, r.timing!.paper!.length + 2);
  // the base rows carry this run's own totals: ftlab (text's protocol) and the paper's code's clock
  for (const protocol of ['ftlab', 'paper'] as const) {
    const ours = r.timing!.rows.find((x) => x.variant === 'base' && x.protocol === protocol)!;
    const what = protocol === 'paper' ? /inside the clock/ : /model loading and file I\/O excluded/;
    const row = rows.find((x) => x[0]!.startsWith(`${ours.model}:`) && what.test(x[0]!));
    assert.ok(row, `no ${protocol} row`);
    assert.equal(row[1], seconds(ours.totalMedianSeconds));
  }
});

test("the LoRA share is the results' own count, beside the paper's 3.9%; absent without a LoRA record", () => {
  const r = fixtureResults();
  const lora = { r: 16, alpha: 32, targets: ['query', 'value'], trainable: 147_456, total: 22_565_376 };
  r.config.lora = { ...lora, share: lora.trainable / lora.total };
  r.config.paper = { ...r.config.paper, loraTrainableShare: 0.039 };
  const text = sectionText(reportSections(r).find((s) => s.id === 'configuration')!);
  assert.match(text, /trains 147456 weights, 0\.65% of the base model's 22565376 .*not the 3\.9% the paper states/);
  // another count renders its own numbers (nothing typed in)
  r.config.lora = { ...lora, trainable: 73_728, share: 73_728 / lora.total };
  assert.match(sectionText(reportSections(r).find((s) => s.id === 'configuration')!), /73728 weights, 0\.33%/);
  r.config.lora = undefined;
  assert.doesNotMatch(sectionText(reportSections(r).find((s) => s.id === 'configuration')!), /LoRA \(r=/);
});
