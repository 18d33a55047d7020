// `ftlab export`: a model folder (plain or LoRA) to a sentence-transformers folder
// (--format st), the same plus onnx/model.onnx (--format onnx), or PEFT adapters
// (--format peft). Everything is written into a temp folder beside OUT and renamed into
// place at the end, so a failure leaves no half-written OUT.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { readFtlabInfo } from '../model/config.ts';
import { UserError } from '../errors.ts';
import { writeSentenceTransformersFolder } from './st-folder-writer.ts';
import { bertOnnxModel, type Weight } from './onnx-bert.ts';
import { peftBaseName, writePeftAdapter } from './peft-adapter.ts';
import { modelCard } from './model-card.ts';

export const EXPORT_FORMATS = ['st', 'onnx', 'peft'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  model: string; // 'default' or a model folder (a LoRA folder is merged, or exported as is with peft)
  format: string;
  output: string;
  force?: boolean;
}

export interface ExportResult {
  output: string;
  format: ExportFormat;
  files: string[];
}

export function parseFormat(format: string): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new UserError(`--format ${format}: unknown format (st, onnx, peft)`);
  return format as ExportFormat;
}

function checkOutput(output: string, force: boolean): void {
  if (!existsSync(output)) return;
  if (!statSync(output).isDirectory()) throw new UserError(`--output ${output} is a file, not a folder`);
  if (readdirSync(output).length > 0 && !force)
    throw new UserError(`--output ${output} is not empty (give --force to replace it)`);
}

/** The model's fp32 weights as plain arrays, for the ONNX initializers. */
function weightArrays(encoder: SentenceEncoder): Map<string, Weight> {
  const out = new Map<string, Weight>();
  for (const [name, t] of encoder.bert.params) out.set(name, { data: t.f32(), shape: t.shape });
  return out;
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? [`${prefix}${e.name}/`, ...listFiles(join(dir, e.name), `${prefix}${e.name}/`)]
        : [`${prefix}${e.name}`],
    )
    .sort();
}

function writeExport(tmp: string, o: ExportOptions, format: ExportFormat): void {
  const isLora = o.model !== 'default' && existsSync(join(o.model, 'adapter_config.json'));
  if (format === 'peft' && !isLora)
    throw new UserError(
      `--format peft needs a LoRA folder (adapter_config.json); ${o.model} is a plain model: export it with --format st`,
    );
  const encoder = SentenceEncoder.load(o.model);
  try {
    const ftlabPath = o.model === 'default' ? null : join(o.model, 'ftlab.json');
    const similarity = encoder.info.similarity; // a LoRA folder's own, as loadLora sets it
    const training = isLora ? readFtlabInfo(ftlabPath!).training : encoder.info.training;
    const trainedFrom = (training as { model?: unknown } | undefined)?.model;
    const base = peftBaseName(isLora ? encoder.files!.spec : typeof trainedFrom === 'string' ? trainedFrom : o.model);
    if (format === 'peft') {
      writePeftAdapter(tmp, encoder.lora!, encoder.files!.spec);
    } else {
      encoder.lora?.merge(encoder.bert);
      encoder.lora = null;
      writeSentenceTransformersFolder(tmp, encoder, similarity);
      if (format === 'onnx') {
        mkdirSync(join(tmp, 'onnx'));
        const weights = weightArrays(encoder);
        writeFileSync(join(tmp, 'onnx', 'model.onnx'), bertOnnxModel(encoder.bert.config, weights));
        writeFileSync(
          join(tmp, 'onnx', 'model_quantized.onnx'),
          bertOnnxModel(encoder.bert.config, weights, { quantize: true }),
        );
      }
    }
    writeFileSync(
      join(tmp, 'README.md'),
      modelCard({
        name: basename(resolve(o.output)),
        format,
        baseModel: base,
        dim: encoder.dim,
        maxLength: encoder.info.maxLength,
        pooling: encoder.info.pooling,
        prompts: encoder.info.prompts,
        normalize: encoder.info.normalize,
        similarity,
        training,
        modelDir: o.model === 'default' ? null : resolve(o.model),
      }),
    );
  } finally {
    encoder.dispose();
  }
}

export function exportModel(o: ExportOptions): ExportResult {
  const format = parseFormat(o.format);
  const output = resolve(o.output);
  checkOutput(output, o.force ?? false);
  const tmp = join(dirname(output), `.${basename(output)}.export-${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    writeExport(tmp, o, format);
    const files = listFiles(tmp);
    // the old folder (--force) goes only once the new one is complete
    const old = `${tmp}.old`;
    if (existsSync(output)) renameSync(output, old);
    renameSync(tmp, output);
    rmSync(old, { recursive: true, force: true });
    return { output, format, files };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
