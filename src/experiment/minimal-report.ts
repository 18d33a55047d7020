// A minimal report.md (tables only), written until src/report's renderer is wired in.
import type { StudyResults } from '../report/schema.ts';

const f4 = (x: number | null): string => (x === null ? '' : x.toFixed(4));
const p3 = (x: number | null): string => (x === null ? '' : x < 0.001 ? '<0.001' : x.toFixed(3));

export function minimalReport(r: StudyResults): string {
  const L: string[] = [`# ftlab study (${r.config.preset} preset, ${r.config.config})`, ''];
  for (const s of r.retrieval) {
    const t = s.table;
    L.push(`## ${s.fold}: ${s.description}`, '');
    L.push(`| model | ${t.metrics.map((m) => `${m} | delta [95% CI] | p (Holm)`).join(' | ')} |`, `|---|${t.metrics.map(() => '---:|---|---:').join('|')}|`);
    for (const row of t.rows) {
      L.push(`| ${row.model} | ${t.metrics.map((m) => {
        const v = row.metrics[m]!;
        const ci = v.ci95 ? ` [${f4(v.ci95[0])}, ${f4(v.ci95[1])}]` : '';
        return `${f4(v.mean)} | ${v.delta === null ? '' : `${v.delta >= 0 ? '+' : ''}${f4(v.delta)}${ci}`} | ${v.identicalByConstruction ? 'identical' : p3(v.pHolm ?? v.pRandomisation)}`;
      }).join(' | ')} |`);
    }
    L.push('');
  }
  if (r.dose.length > 0) {
    L.push('## Dose-response (test fold, re-ranking, nDCG@10)', '');
    const keys = [...new Set(r.dose.map((d) => `${d.fold}|${d.arm}`))];
    for (const k of keys) {
      const pts = r.dose.filter((d) => `${d.fold}|${d.arm}` === k);
      L.push(`- ${k.replace('|', ' ')}: ${pts.map((d) => `${d.fraction * 100}% ${f4(d.metrics['nDCG@10'] ?? null)}`).join(', ')}`);
    }
    L.push('');
  }
  L.push('## Training (Table III)', '', '| model | steps | final loss | held-out triplet acc. | validation |', '|---|---:|---:|---:|---|');
  for (const t of r.training) L.push(`| ${t.model} | ${t.steps} | ${f4(t.finalLoss)} | ${f4(t.tripletAccuracy)} | ${t.validation ? `${t.validation.metric} ${f4(t.validation.value)} @ ${t.validation.step}` : ''} |`);
  L.push('', '## Notes', '', ...r.config.notes.map((n) => `- ${n}`), '', `Wall time ${r.environment.wallSeconds.toFixed(0)} s on ${r.environment.device} (${r.environment.threads} threads).`, '');
  return L.join('\n');
}
