// The report as data: sections made of paragraphs, tables and figures. Section renderers
// build these; html.ts and markdown.ts turn them into the two output formats.
import type { TopLevelSpec } from 'vega-lite';

/** Inline text: plain strings, or runs with emphasis / code. */
export type Inline = string | { strong: string } | { code: string } | { em: string };
export type Text = Inline[];

export interface Cell {
  text: Text;
  note?: Text;
  numeric?: boolean;
}

export interface Table {
  id: string;
  caption: Text;
  head: string[];
  rows: Cell[][];
}

export interface Figure {
  id: string; // also the file stem: figure-1-umap.svg, figure-1-umap.vl.json
  caption: Text;
  spec: TopLevelSpec; // Vega-Lite, data inline: the figure can be rebuilt from it alone
  svg?: string; // filled in by the renderer
}

export type Block =
  | { kind: 'paragraph'; text: Text }
  | { kind: 'list'; items: Text[] }
  | { kind: 'table'; table: Table }
  | { kind: 'figure'; figure: Figure }
  | { kind: 'details'; summary: string; body: string }
  | { kind: 'missing' };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export const MISSING_TEXT = 'section missing (this run did not compute it)';

export function missingSection(id: string, title: string): Section {
  return { id, title, blocks: [{ kind: 'missing' }] };
}

export function cell(text: string | Text, o: { note?: string | Text; numeric?: boolean } = {}): Cell {
  const t = typeof text === 'string' ? [text] : text;
  const note = o.note === undefined ? undefined : typeof o.note === 'string' ? [o.note] : o.note;
  return { text: t, ...(note ? { note } : {}), ...(o.numeric ? { numeric: true } : {}) };
}

export function num(text: string, note?: string): Cell {
  return cell(text, { numeric: true, ...(note !== undefined ? { note } : {}) });
}

export function plain(text: Text): string {
  return text.map((i) => (typeof i === 'string' ? i : 'strong' in i ? i.strong : 'code' in i ? i.code : i.em)).join('');
}
