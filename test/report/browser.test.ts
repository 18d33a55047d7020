// The report in a real browser: headless Chromium (Debian's `chromium` package, driven by
// puppeteer-core) opens report.html from disk. No console errors, no request besides the
// page itself, every figure drawn with marks, every table with its rows, and the page text
// holding the numbers of results.json as the report formats them. A full-page screenshot
// is saved in the test's temp folder (and copied to $FTLAB_REPORT_SCREENSHOT when set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { writeReport } from '../../src/report/write-report.ts';
import { MISSING_TEXT } from '../../src/report/document.ts';
import { ci, count, fixed, pValue, rate, seconds, signed } from '../../src/report/format.ts';
import type { StudyResults } from '../../src/report/schema.ts';
import { readFileSync } from 'node:fs';
import { fixtureResults } from './fixture.ts';
import { runDirWith } from './helpers.ts';
import { ftlab } from '../helpers/cli.ts';
import { tmpDir, writeTinyModel } from '../helpers/tiny-model.ts';
import { writeMsmarcoMiniature } from '../helpers/msmarco-miniature.ts';

function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const chromium = chromiumPath();
const skip = chromium ? false : 'no chromium on this machine (apt-get install chromium; CI runs scripts/ci-browser.sh)';

interface PageReport {
  consoleErrors: string[];
  otherRequests: string[];
  failed: string[];
  text: string;
}

async function open(browser: Browser, html: string): Promise<{ page: Page; report: PageReport }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const url = pathToFileURL(html).href;
  const report: PageReport = { consoleErrors: [], otherRequests: [], failed: [], text: '' };
  page.on('console', (m) => {
    if (m.type() === 'error') report.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => report.consoleErrors.push(String(e)));
  page.on('requestfailed', (r) => report.failed.push(r.url()));
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (r.url() === url) return void r.continue();
    report.otherRequests.push(r.url());
    void r.abort();
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.ok(response === null || response.ok(), 'the page loads');
  // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, as a reader sees it
  report.text = await page.evaluate(() => document.body.innerText);
  return { page, report };
}

/** Marks Vega drew inside each figure: the children of its mark groups (symbols, lines, rules). */
async function marksPerFigure(page: Page): Promise<Record<string, Record<string, number>>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('figure[data-figure]')].map((f) => {
        const counts: Record<string, number> = {};
        for (const g of f.querySelectorAll('svg g.role-mark')) {
          const kind = [...g.classList].find((c) => c.startsWith('mark-'))!;
          counts[kind] = (counts[kind] ?? 0) + g.querySelectorAll(':scope > path, :scope > line, :scope > rect').length;
        }
        return [f.getAttribute('data-figure')!, counts];
      }),
    ),
  );
}

async function rowsPerTable(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('table[data-table]')].map((t) => [
        t.getAttribute('data-table')!,
        t.querySelectorAll('tbody tr').length,
      ]),
    ),
  );
}

/** The numbers a reader looks for, formatted as the report formats them. */
function expectedNumbers(r: StudyResults): string[] {
  const out: string[] = [];
  for (const s of r.retrieval) {
    for (const row of s.table.rows) {
      for (const st of Object.values(row.metrics)) out.push(fixed(st.mean));
      const p = row.metrics['nDCG@10']!;
      if (p.delta !== null) out.push(signed(p.delta), ci(p.ci95), pValue(p.pHolm));
    }
  }
  for (const t of r.timing!.rows)
    out.push(seconds(t.totalMedianSeconds), rate(t.qps), ...t.stages.map((s) => seconds(s.medianSeconds)));
  for (const t of r.training)
    out.push(fixed(t.finalLoss, 4), fixed(t.tripletAccuracy), fixed(t.validation!.value), seconds(t.trainSeconds));
  for (const g of r.geometry!.models)
    out.push(
      fixed(g.alignment),
      fixed(g.uniformity),
      fixed(g.anisotropy),
      fixed(g.effectiveRank, 1),
      fixed(g.driftFromBase),
    );
  for (const v of r.verdicts) out.push(signed(v.delta), ci(v.ciDifference), ci(v.ciEquivalence), pValue(v.tost.p));
  for (const d of r.dose) if (d.ci) out.push(ci(d.ci), pValue(d.p));
  if (r.design) out.push(fixed(r.design.mde), fixed(r.design.minimumMargin));
  for (const n of r.negatives) out.push(fixed(n.score.median));
  out.push(count(r.config.data[0]!.lines), r.config.data[0]!.sha256, seconds(r.environment.wallSeconds));
  return out;
}

test('report.html in headless Chromium: clean load, figures with marks, tables with rows, the numbers', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const results = fixtureResults();
  const dir = runDirWith(results, 'ftlab-report-browser-');
  const written = await writeReport(dir);
  t.diagnostic(
    `report rendered in ${written.renderSeconds.toFixed(2)} s (fixture: 4 arms, 4 tables, 3 figures, ${3 * 120} UMAP points)`,
  );
  const browser = await puppeteer.launch({ executablePath: chromium!, args: ['--no-sandbox', '--headless'] });
  try {
    const { page, report } = await open(browser, written.html);
    assert.deepEqual(report.consoleErrors, []);
    assert.deepEqual(report.otherRequests, []);
    assert.deepEqual(report.failed, []);

    const marks = await marksPerFigure(page);
    assert.deepEqual(Object.keys(marks).sort(), [
      'figure-1-umap',
      'figure-2-curves',
      'figure-3-dose',
      'figure-4-per-query',
    ]);
    const pooled = results.verdicts.filter((v) => v.fold === 'pooled');
    assert.equal(
      marks['figure-4-per-query']!['mark-symbol'],
      pooled.reduce((a, v) => a + v.perQuery.length, 0),
      'one symbol per query and panel',
    );
    assert.equal(marks['figure-4-per-query']!['mark-rule'], pooled.length, 'a diagonal per panel');
    assert.equal(marks['figure-1-umap']!['mark-symbol'], 3 * 2 * 60, 'one symbol per UMAP point');
    const series = results.curves!.series.length;
    assert.ok(
      marks['figure-2-curves']!['mark-line']! >= 2 * series,
      `raw + smoothed loss per arm: ${JSON.stringify(marks['figure-2-curves'])}`,
    );
    assert.ok(
      marks['figure-3-dose']!['mark-line']! >= 3 &&
        marks['figure-3-dose']!['mark-rule']! >= 2 + results.dose.filter((d) => d.ci).length,
      JSON.stringify(marks['figure-3-dose']),
    );
    for (const [id, m] of Object.entries(marks))
      assert.ok(Object.values(m).reduce((a, b) => a + b, 0) > 0, `${id} has marks`);

    const rows = await rowsPerTable(page);
    const want: Record<string, number> = {
      'table-1-1': 4,
      'table-1-2': 4,
      'table-1-3': 4,
      'table-1-4': 4,
      'table-2': results.timing!.rows.length,
      'table-2-paper': 3,
      'table-3': results.training.length,
      'table-geometry': 3,
      'table-settings': 11,
      'table-verdicts': results.verdicts.length,
      'table-dose': results.dose.filter((d) => d.ci).length,
      'table-negatives': results.negatives.length,
      'table-sweeps': results.sweeps.length,
      'table-arms': 4,
      'table-data': 2,
      'table-environment': 10,
      'table-stages': 3,
    };
    assert.deepEqual(rows, want);

    const absent = expectedNumbers(results).filter((n) => !report.text.includes(n));
    assert.deepEqual(absent, [], 'every number of results.json appears on the page as formatted');
    assert.ok(!report.text.includes(MISSING_TEXT));

    const shot = join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    assert.ok(existsSync(shot));
    t.diagnostic(`screenshot: ${shot}`);
    if (process.env.FTLAB_REPORT_SCREENSHOT) copyFileSync(shot, process.env.FTLAB_REPORT_SCREENSHOT);
  } finally {
    await browser.close();
  }
});

test('an older run without geometry opens cleanly and says the section is missing', {
  skip,
  timeout: 120_000,
}, async () => {
  const { geometry: _g, ...older } = fixtureResults();
  const written = await writeReport(runDirWith(older as never, 'ftlab-report-browser-'));
  const browser = await puppeteer.launch({ executablePath: chromium!, args: ['--no-sandbox', '--headless'] });
  try {
    const { page, report } = await open(browser, written.html);
    assert.deepEqual([...report.consoleErrors, ...report.otherRequests, ...report.failed], []);
    const missing = await page.evaluate(
      (t) =>
        [...document.querySelectorAll('section')]
          // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, as a reader sees it
          .filter((s) => (s as HTMLElement).innerText.includes(t))
          .map((s) => s.id),
      MISSING_TEXT,
    );
    assert.deepEqual(missing, ['geometry', 'figure-1']);
    assert.deepEqual(Object.keys(await marksPerFigure(page)).sort(), [
      'figure-2-curves',
      'figure-3-dose',
      'figure-4-per-query',
    ]);
  } finally {
    await browser.close();
  }
});

test('the report of a real tiny study (paper preset on the generated miniature) in Chromium', {
  skip,
  timeout: 600_000,
}, async () => {
  const root = tmpDir();
  const mini = await writeMsmarcoMiniature(join(root, 'msmarco'));
  const out = join(root, 'run');
  const r = ftlab([
    'study',
    '--preset',
    'paper',
    '--data',
    mini.dir,
    '--output',
    out,
    '--model',
    writeTinyModel(join(root, 'model')),
    '--steps',
    '3',
    '--batch-size',
    '4',
    '--warmup',
    '1',
    '--paper-triples',
    '300',
    '--timing-queries',
    '20',
    '--timing-repeats',
    '1',
    '--geometry-pairs',
    '12',
    '--device',
    'cpu',
    '--threads',
    '1',
    '--arms',
    'full-hard,lora-hard',
    '--cache-dir',
    join(root, 'cache'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as StudyResults;
  const browser = await puppeteer.launch({ executablePath: chromium!, args: ['--no-sandbox', '--headless'] });
  try {
    const { page, report } = await open(browser, join(out, 'report.html'));
    assert.deepEqual([...report.consoleErrors, ...report.otherRequests, ...report.failed], []);
    const marks = await marksPerFigure(page);
    assert.ok(
      marks['figure-1-umap']!['mark-symbol']! === results.geometry!.models.length * 2 * results.geometry!.pairs,
      JSON.stringify(marks['figure-1-umap']),
    );
    assert.ok(marks['figure-2-curves']!['mark-line']! >= 2, JSON.stringify(marks['figure-2-curves']));
    const rows = await rowsPerTable(page);
    for (const s of results.retrieval)
      assert.ok(Object.values(rows).includes(s.table.rows.length), `a table with ${s.table.rows.length} rows`);
    assert.equal(rows['table-3'], results.training.length);
    const means = results.retrieval.flatMap((s) =>
      s.table.rows.flatMap((row) => Object.values(row.metrics).map((m) => fixed(m.mean))),
    );
    assert.deepEqual(
      means.filter((n) => !report.text.includes(n)),
      [],
      'every retrieval mean of results.json is on the page',
    );
  } finally {
    await browser.close();
  }
});
