// Shared by the report tests: a run folder holding a results.json, and the page checks
// that do not need a browser.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyResults } from '../../src/report/schema.ts';

export function runDirWith(results: StudyResults | Record<string, unknown> | string, prefix = 'ftlab-report-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'results.json'), typeof results === 'string' ? results : JSON.stringify(results, null, 2));
  return dir;
}

/**
 * Every http:// or https:// (and any url(), src= or non-fragment href=) in the page's
 * markup: tags, attributes and the stylesheet, but not text a reader sees. The inline SVGs
 * carry no xmlns (the HTML parser puts <svg> in its namespace by itself), so even namespace
 * names count here: the page must have none. The .svg files beside it keep their xmlns.
 */
export function externalReferences(html: string): string[] {
  const style = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  const tags = [...html.matchAll(/<[^>]*>/g)].map((m) => m[0]);
  const found: string[] = [];
  for (const s of [...style, ...tags]) {
    for (const m of s.matchAll(/https?:\/\/[^\s"'<>)]*|url\([^)]*\)|\bsrc\s*=\s*"[^"]*"|\bhref\s*=\s*"(?!#)[^"]*"/gi))
      found.push(m[0]);
  }
  return found;
}
