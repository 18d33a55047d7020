// Writes a model folder that `--model DIR` loads: HF files (config.json, model.safetensors,
// tokenizer.json) plus ftlab.json (pooling, normalisation, similarity, max length, prompts,
// training record): a fine-tuned model keeps its base model's pooling and prompts.
// A LoRA folder holds adapter_model.safetensors + adapter_config.json instead of weights,
// and ftlab.json names the base model.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bertConfigJson } from './config.ts';
import { saveSafetensors } from '../io/safetensors.ts';
import type { SentenceEncoder } from './sentence-encoder.ts';
import type { Lora } from './lora.ts';

export function saveModelFolder(
  dir: string,
  encoder: SentenceEncoder,
  opts: { lora?: Lora; base?: string; training?: unknown } = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(bertConfigJson(encoder.bert.config), null, 2)}\n`);
  if (encoder.files) copyFileSync(encoder.files.tokenizer, join(dir, 'tokenizer.json'));
  const base = opts.base ?? encoder.files?.spec ?? 'default';
  const baseSpec = base === 'default' ? base : resolve(base);
  if (opts.lora) {
    opts.lora.save(dir, baseSpec);
  } else {
    saveSafetensors(join(dir, 'model.safetensors'), encoder.bert.params, { format: 'pt' });
  }
  const info = {
    pooling: encoder.info.pooling,
    normalize: encoder.info.normalize,
    similarity: encoder.info.similarity,
    maxLength: encoder.info.maxLength,
    prompts: encoder.info.prompts,
    ...(opts.lora ? { base: baseSpec } : {}),
    ...(opts.training !== undefined ? { training: opts.training } : {}),
  };
  writeFileSync(join(dir, 'ftlab.json'), `${JSON.stringify(info, null, 2)}\n`);
}
