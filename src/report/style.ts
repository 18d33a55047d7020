// The page's only stylesheet (inline): readable on a laptop, sober in print. System fonts only.
export const STYLE = `
:root { --ink: #1d1d1f; --muted: #6b6b70; --rule: #d9d9de; --accent: #2458a6; --good: #1a7f37; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 1120px; margin: 0 auto; padding: 0 28px; }
header { padding-top: 32px; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 4px; font-weight: 650; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 0 0 16px; list-style: none; font-size: .9rem; }
nav a { color: var(--accent); text-decoration: none; }
h2 { font-size: 1.3rem; margin: 40px 0 10px; padding-top: 8px; border-top: 1px solid var(--rule); }
section:first-child h2 { border-top: none; }
p { max-width: 78ch; }
code { font: .85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.missing { color: var(--bad); font-style: italic; }
.table-wrap { overflow-x: auto; margin: 12px 0 24px; }
table { border-collapse: collapse; font-size: .88rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 6px; max-width: 90ch; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; vertical-align: bottom; white-space: nowrap; }
thead th.num { text-align: right; }
tbody th { font-weight: 500; min-width: 11em; }
td.num { text-align: right; white-space: nowrap; }
.note { display: block; color: var(--muted); font-size: .8em; }
td.num .note { text-align: right; }
figure.chart { margin: 16px 0 28px; }
.chart-svg { overflow-x: auto; }
.chart-svg svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .88rem; max-width: 90ch; margin-top: 6px; }
.spec-file { display: block; font-size: .8rem; }
details { margin: 8px 0 20px; font-size: .85rem; }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f8; padding: 10px; max-height: 28em; overflow: auto; }
.summary p { font-size: 1.02rem; }
@media print {
  body { font-size: 10.5pt; }
  header, main { max-width: none; padding: 0; }
  nav, .spec-file { display: none; }
  h2 { break-after: avoid; }
  figure.chart, .table-wrap, table { break-inside: avoid; }
  .table-wrap, .chart-svg { overflow: visible; }
  details pre { max-height: none; }
  a { color: inherit; }
}
`;
