// README.md for an exported model: the hub's metadata header, then what the model is
// (base model, pooling, length, similarity), how it was trained (from ftlab.json's training
// record) and, when it came from `ftlab study`, its DL19 metrics from the study's results.json.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Pooling, Prompts, Similarity } from '../model/config.ts';

export interface ModelCardInput {
  name: string; // the exported folder's name
  format: 'st' | 'onnx' | 'peft';
  baseModel: string; // HF id or local path
  dim: number;
  maxLength: number;
  pooling: Pooling;
  prompts: Prompts;
  normalize: boolean;
  similarity: Similarity;
  training: unknown; // ftlab.json "training", if any
  modelDir: string | null; // where the model came from (to find a study's results.json)
}

interface MetricRow {
  mean: number;
  delta?: number | null;
  ci95?: [number, number] | null;
}
interface StudyRow {
  model: string;
  metrics: Record<string, MetricRow>;
}
/** results.json "comparisons": per protocol, a ComparisonTable (rows[].model) or the earlier Comparison (runs[].run). */
type StudyTable = { rows?: StudyRow[]; runs?: { run: string; metrics: Record<string, MetricRow> }[] };

/** A study writes models under OUT/models/<name>/ and its comparison tables to OUT/results.json. */
export function studyMetrics(modelDir: string | null): { protocol: string; row: StudyRow }[] {
  if (!modelDir) return [];
  const results = join(modelDir, '..', '..', 'results.json');
  if (basename(dirname(modelDir)) !== 'models' || !existsSync(results)) return [];
  try {
    const r = JSON.parse(readFileSync(results, 'utf8')) as { comparisons?: Record<string, StudyTable> };
    const name = basename(modelDir);
    return Object.entries(r.comparisons ?? {}).flatMap(([protocol, table]) => {
      const rows = table.rows ?? (table.runs ?? []).map((x) => ({ model: x.run, metrics: x.metrics }));
      return rows.filter((row) => row.model === name).map((row) => ({ protocol, row }));
    });
  } catch {
    return []; // a card without metrics beats no export
  }
}

function trainingSection(training: unknown): string {
  if (training === undefined || training === null || typeof training !== 'object')
    return "No training record (ftlab.json has none): the weights are the base model's or came from elsewhere.\n";
  const t = training as Record<string, unknown>;
  const rows = Object.entries(t)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `| ${k} | ${String(v)} |`);
  const lora = t.lora && typeof t.lora === 'object' ? `\nLoRA: ${JSON.stringify(t.lora)}\n` : '';
  return `Loss: **${String(t.loss ?? 'n/a')}**${t.distance ? ` (${String(t.distance)} distance${t.margin !== undefined ? `, margin ${String(t.margin)}` : ''})` : ''}; trained from \`${String(t.model ?? t.mergedFrom ?? 'n/a')}\`.\n\n| hyperparameter | value |\n|---|---|\n${rows.join('\n')}\n${lora}`;
}

function metricsSection(modelDir: string | null): string {
  const found = studyMetrics(modelDir);
  if (found.length === 0) return '';
  const lines = found.flatMap(({ protocol, row }) =>
    Object.entries(row.metrics).map(
      ([m, s]) =>
        `| ${protocol} | ${m} | ${s.mean.toFixed(4)} | ${typeof s.delta === 'number' ? s.delta.toFixed(4) : ''} | ${s.ci95 ? `[${s.ci95[0].toFixed(4)}, ${s.ci95[1].toFixed(4)}]` : ''} |`,
    ),
  );
  return `\n## Evaluation (ftlab study, TREC DL19 passage)\n\n| protocol | metric | mean | delta vs base | 95% CI |\n|---|---|---|---|---|\n${lines.join('\n')}\n`;
}

const poolingWords: Record<Pooling, string> = {
  mean: 'mean over the attention mask',
  cls: 'the [CLS] token',
  max: 'element-wise max over the attention mask',
  'mean-sqrt-len': 'sum over the attention mask / sqrt(token count)',
};

function promptWords(p: Prompts): string {
  const parts = [
    p.query ? `queries start with ${JSON.stringify(p.query)}` : null,
    p.passage ? `passages with ${JSON.stringify(p.passage)}` : null,
  ].filter((x) => x !== null);
  return parts.length > 0 ? ` Prompts: ${parts.join(', ')}.` : '';
}

export function modelCard(c: ModelCardInput): string {
  const trained = c.training !== undefined && c.training !== null;
  const header = [
    '---',
    'library_name: sentence-transformers',
    'pipeline_tag: sentence-similarity',
    'tags:',
    '- sentence-transformers',
    '- feature-extraction',
    '- sentence-similarity',
    '- ftlab',
    ...(c.format === 'onnx' ? ['- onnx', '- transformers.js'] : []),
    ...(c.format === 'peft' ? ['- peft', '- lora'] : []),
    `base_model: ${c.baseModel}`,
    'datasets:',
    '- ms_marco',
    'language: en',
    '---',
  ];
  const usage =
    c.format === 'peft'
      ? `\`\`\`python\nfrom transformers import AutoModel\nfrom peft import PeftModel\nmodel = PeftModel.from_pretrained(AutoModel.from_pretrained("${c.baseModel}"), "${c.name}")\n\`\`\`\nPool the last hidden state (${poolingWords[c.pooling]})${promptWords(c.prompts)}${c.normalize ? ', then L2-normalise' : ''}.`
      : `\`\`\`python\nfrom sentence_transformers import SentenceTransformer\nmodel = SentenceTransformer("${c.name}")\nembeddings = model.encode(["This is an example sentence"])\n\`\`\`${
          c.format === 'onnx'
            ? `\n\n\`\`\`js\nimport { pipeline } from '@huggingface/transformers';\nconst extract = await pipeline('feature-extraction', '${c.name}', { local_files_only: true });\nconst out = await extract(['This is an example sentence'], { pooling: '${c.pooling === 'cls' ? 'cls' : 'mean'}', normalize: ${c.normalize} });${c.pooling === 'mean' || c.pooling === 'cls' ? '' : ` // transformers.js pools by mean or cls only: ${c.pooling} pooling needs pooling: 'none' and your own reduction`}\n\`\`\``
            : ''
        }`;
  return `${header.join('\n')}

# ${c.name}

${trained ? 'A dense passage retriever fine-tuned with ftlab on MS MARCO' : 'A dense passage retriever'}, exported by ftlab as a
${c.format === 'peft' ? 'PEFT LoRA adapter' : 'sentence-transformers model'}. It maps text to ${c.dim}-dimensional vectors
(${c.pooling} pooling${c.normalize ? ', L2-normalised' : ''}, at most ${c.maxLength} tokens; similarity: ${c.similarity}).${promptWords(c.prompts)}

- Base model: \`${c.baseModel}\`
- Training data: ${trained ? 'MS MARCO passage ranking (query, positive, negative) triples' : "none by ftlab (the base model's weights)"}

## Usage

${usage}

## Training

${trainingSection(c.training)}${metricsSection(c.modelDir)}`;
}
