// What was run: the study's settings, each arm's recipe, the notes a reader must know,
// and the trainer's full configuration (collapsed).
import type { Block, Section, Table } from '../document.ts';
import { cell, num } from '../document.ts';
import type { StudyResults } from '../schema.ts';
import { count, fixed, percent, sci } from '../format.ts';

function settingsTable(r: StudyResults): Table {
  const c = r.config;
  const rows: [string, string][] = [
    ['Preset', c.preset],
    ['Configuration', c.config],
    ['Seed', String(c.seed)],
    ['Folds (train → test)', c.folds.map((f) => `${f.name} (${f.train} → ${f.test})`).join('; ')],
    ['Validation share of training queries', fixed(c.validationFraction, 2)],
    ['Protocols', c.protocols.join(', ')],
    ['Metrics', c.metrics.join(', ')],
    // declared before the run (absent in older results)
    ...(c.seeds ? [['Training seeds', c.seeds.join(', ')] as [string, string]] : []),
    ...(c.primaryMetric ? [['Primary metric (verdicts)', c.primaryMetric] as [string, string]] : []),
    ...(c.equivalenceMargin !== undefined
      ? [['Equivalence margin (declared)', `±${fixed(c.equivalenceMargin)}`] as [string, string]]
      : []),
    ...(c.alpha !== undefined ? [['Family-wise α (verdicts)', fixed(c.alpha, 2)] as [string, string]] : []),
  ];
  return {
    id: 'table-settings',
    caption: ['Study settings.'],
    head: ['Setting', 'Value'],
    rows: rows.map(([k, v]) => [cell(k), cell(v)]),
  };
}

function armsTable(r: StudyResults): Table {
  return {
    id: 'table-arms',
    caption: ['Arms: what each model is.'],
    head: ['Arm', 'Label', 'Method', 'Negatives', 'Loss', 'LR', 'Steps', 'Batch', 'Model folder'],
    rows: r.config.arms.map((a) => [
      cell([{ code: a.name }]),
      cell(a.label),
      cell(a.method),
      cell(a.negatives ?? '–'),
      cell(a.loss),
      num(sci(a.lr)),
      num(count(a.steps)),
      num(count(a.batchSize)),
      cell(a.modelPath ? [{ code: a.modelPath }] : '–'),
    ]),
  };
}

/** What LoRA trains, counted from the model, beside the share the paper states (absent in older results). */
export function loraNote(r: StudyResults): string | null {
  const l = r.config.lora;
  if (!l) return null;
  const claimed = r.config.paper?.loraTrainableShare;
  const paper = typeof claimed === 'number' ? `, not the ${percent(claimed, 1)} the paper states` : '';
  return (
    `LoRA (r=${l.r}, alpha ${l.alpha}, on ${l.targets.join(' and ')}) trains ${count(l.trainable)} weights, ` +
    `${percent(l.share, 2)} of the base model's ${count(l.total)} (counted from its shapes)${paper}.`
  );
}

export function configurationSection(r: StudyResults): Section {
  const blocks: Block[] = [
    { kind: 'table', table: settingsTable(r) },
    { kind: 'table', table: armsTable(r) },
  ];
  const lora = loraNote(r);
  if (lora) blocks.push({ kind: 'paragraph', text: [lora] });
  if (r.config.notes.length)
    blocks.push(
      { kind: 'paragraph', text: [{ strong: 'Notes.' }] },
      { kind: 'list', items: r.config.notes.map((n) => [n]) },
    );
  const configs = Object.fromEntries(r.config.arms.filter((a) => a.trainConfig).map((a) => [a.name, a.trainConfig]));
  if (Object.keys(configs).length)
    blocks.push({
      kind: 'details',
      summary: 'Trainer configuration of each arm (JSON)',
      body: JSON.stringify(configs, null, 2),
    });
  if (r.config.paper)
    blocks.push({
      kind: 'details',
      summary: "The paper's reported numbers, as recorded by the study (JSON)",
      body: JSON.stringify(r.config.paper, null, 2),
    });
  return { id: 'configuration', title: 'Configuration', blocks };
}
