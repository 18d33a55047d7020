// The page template: one HTML file, inline CSS and SVG, no script, no external resource.
import type { Block, Cell, Section, Table, Text } from './document.ts';
import { MISSING_TEXT } from './document.ts';
import { inlineSvg } from './vega-svg.ts';
import { STYLE } from './style.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function inline(text: Text): string {
  return text
    .map((i) => {
      if (typeof i === 'string') return escapeHtml(i);
      if ('strong' in i) return `<strong>${escapeHtml(i.strong)}</strong>`;
      if ('code' in i) return `<code>${escapeHtml(i.code)}</code>`;
      return `<em>${escapeHtml(i.em)}</em>`;
    })
    .join('');
}

function cellHtml(c: Cell, tag: 'td' | 'th'): string {
  const note = c.note ? `<span class="note">${inline(c.note)}</span>` : '';
  return `<${tag}${c.numeric ? ' class="num"' : ''}>${inline(c.text)}${note}</${tag}>`;
}

function tableHtml(t: Table): string {
  const numeric = (i: number): boolean => i > 0 && t.rows.length > 0 && t.rows.every((r) => r[i]?.numeric === true);
  const head = t.head
    .map((h, i) => `<th scope="col"${numeric(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`)
    .join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => cellHtml(c, i === 0 ? 'th' : 'td')).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table id="${t.id}" data-table="${t.id}">
<caption>${inline(t.caption)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'paragraph':
      return `<p>${inline(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`;
    case 'table':
      return tableHtml(b.table);
    case 'figure': {
      const f = b.figure;
      return `<figure id="${f.id}" data-figure="${f.id}" class="chart">
<div class="chart-svg">${inlineSvg(f.svg ?? '')}</div>
<figcaption>${inline(f.caption)} <span class="spec-file">Vega-Lite spec with its data: <code>${f.id}.vl.json</code></span></figcaption>
</figure>`;
    }
    case 'details':
      return `<details><summary>${escapeHtml(b.summary)}</summary><pre>${escapeHtml(b.body)}</pre></details>`;
    case 'missing':
      return `<p class="missing">${MISSING_TEXT}</p>`;
  }
}

export function pageHtml(title: string, subtitle: string, sections: Section[]): string {
  const toc = sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('');
  const body = sections
    .map(
      (s) => `<section id="${s.id}" data-section="${s.id}">
<h2>${escapeHtml(s.title)}</h2>
${s.blocks.map(blockHtml).join('\n')}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p class="subtitle">${escapeHtml(subtitle)}</p>
<nav><ol>${toc}</ol></nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}
