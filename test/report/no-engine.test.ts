// The report is rebuilt from results.json alone: its module graph must not reach the
// engine (the libtorch addon). Checked twice: statically (the import graph of
// src/report/index.ts stays out of src/engine and native/), and at run time (a process
// that renders a report has not loaded the addon or libtorch, while one that imports
// the engine has: so the check can fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from '../helpers/tiny-model.ts';

function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g))
      stack.push(resolve(dirname(file), m[1]!));
  }
  return seen;
}

test('statically: src/report imports nothing under src/engine or native/', () => {
  const files = [...importGraph(join(REPO, 'src', 'report', 'index.ts'))].map((f) => relative(REPO, f));
  assert.ok(files.includes('src/report/sections/umap-figure.ts'), 'the walk reaches the sections');
  assert.deepEqual(
    files.filter((f) => f.startsWith('src/engine') || f.startsWith('native') || f.startsWith('src/model')),
    [],
  );
});

const probe = (imports: string): string[] => {
  const code = `${imports}
const objs = process.report.getReport().sharedObjects;
console.log(JSON.stringify(objs.filter((o) => /ftlab_native|torch/.test(o))));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
};

test('at run time: rendering a report loads neither the addon nor libtorch', () => {
  const report = probe(`const m = await import('./src/report/index.ts');
const { fixtureResults } = await import('./test/report/fixture.ts');
await m.renderReport(fixtureResults(1, 5));`);
  assert.deepEqual(report, []);
  // the CLI's entry imports every command, yet loads the addon only at the first tensor op
  assert.deepEqual(probe(`const { main } = await import('./src/cli/main.ts'); await main(['report', '--help']);`), []);
  const engine = probe(`const e = await import('./src/engine/index.ts'); e.zeros([1]);`);
  assert.ok(
    engine.some((o) => o.includes('ftlab_native')),
    `the probe sees the addon when it is loaded: ${engine.join(', ')}`,
  );
});
