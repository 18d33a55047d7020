// A LoRA folder as PEFT loads it (`PeftModel.from_pretrained(AutoModel.from_pretrained(base), dir)`):
// adapter_model.safetensors with keys base_model.model.<module>.lora_A.weight / lora_B.weight
// and adapter_config.json whose base_model_name_or_path is a hub id or a path PEFT can open
// (ftlab's own folders say 'default' for all-MiniLM-L6-v2, which PEFT cannot resolve).
import { resolve } from 'node:path';
import { DEFAULT_MODEL, DEFAULT_MODEL_NAME } from '../model/model-files.ts';
import type { Lora } from '../model/lora.ts';

/** The base model as PEFT and the hub name it: the HF id for ftlab's default, else an absolute path. */
export function peftBaseName(base: string): string {
  return base === DEFAULT_MODEL || base === DEFAULT_MODEL_NAME ? DEFAULT_MODEL_NAME : resolve(base);
}

export function writePeftAdapter(dir: string, lora: Lora, base: string): void {
  lora.save(dir, peftBaseName(base));
}
