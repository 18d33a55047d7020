// report.md: the same sections as the page; figures are the SVG files written beside it.
import type { Block, Cell, Section, Table, Text } from './document.ts';
import { MISSING_TEXT } from './document.ts';

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function inline(text: Text): string {
  return text
    .map((i) => {
      if (typeof i === 'string') return escapeMd(i);
      if ('strong' in i) return `**${escapeMd(i.strong)}**`;
      if ('code' in i) return `\`${i.code.replace(/`/g, "'")}\``;
      return `*${escapeMd(i.em)}*`;
    })
    .join('');
}

function cellMd(c: Cell): string {
  return c.note ? `${inline(c.text)}<br>${inline(c.note)}` : inline(c.text); // GitHub-style tables take <br>
}

function tableMd(t: Table): string {
  const align = t.rows[0]?.map((c, i) => (i > 0 && c.numeric ? '---:' : '---')) ?? t.head.map(() => '---');
  return [
    inline(t.caption),
    '',
    `| ${t.head.map(escapeMd).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cellMd).join(' | ')} |`),
  ].join('\n');
}

function blockMd(b: Block): string {
  switch (b.kind) {
    case 'paragraph':
      return inline(b.text);
    case 'list':
      return b.items.map((i) => `- ${inline(i)}`).join('\n');
    case 'table':
      return tableMd(b.table);
    case 'figure':
      return `![${inline(b.figure.caption)}](${b.figure.id}.svg)\n\n*${inline(b.figure.caption)}* (Vega-Lite spec with its data: \`${b.figure.id}.vl.json\`)`;
    case 'details':
      return `<details><summary>${b.summary}</summary>\n\n\`\`\`\n${b.body}\n\`\`\`\n\n</details>`;
    case 'missing':
      return `*${MISSING_TEXT}*`;
  }
}

export function pageMarkdown(title: string, subtitle: string, sections: Section[]): string {
  return [
    `# ${title}`,
    '',
    subtitle,
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', ...s.blocks.flatMap((b) => [blockMd(b), ''])]),
  ].join('\n');
}
