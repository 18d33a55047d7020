// ftlab export: a model folder -> a sentence-transformers folder, + ONNX, or PEFT adapters.
import type { Command } from '../command.ts';
import { int, required, str } from '../command.ts';
import { setThreads } from '../../engine/index.ts';
import { exportModel } from '../../export/export-model.ts';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model as a sentence-transformers folder, ONNX for transformers.js, or PEFT adapters',
  usage: `ftlab export --model M --format st|onnx|peft --output DIR [--force]

  --model M          'default' (all-MiniLM-L6-v2), a model folder, or a LoRA folder
                     (merged for st/onnx; its adapters as they are for peft)
  --format F         st:   sentence-transformers folder (config.json, model.safetensors fp32,
                           tokenizer files, modules.json, 1_Pooling, 2_Normalize, README.md)
                     onnx: the same plus onnx/model.onnx (transformers.js feature-extraction)
                     peft: adapter_model.safetensors + adapter_config.json (LoRA folders only)
  --output DIR       written whole or not at all; must be empty or absent
  --force            replace a non-empty DIR
  --threads N        libtorch threads

Example:
  ftlab export --model runs/full-hard --format onnx --output exported/full-hard`,
  options: {
    model: { type: 'string', default: 'default' },
    format: { type: 'string', default: 'st' },
    output: { type: 'string' },
    force: { type: 'boolean', default: false },
    threads: { type: 'string' },
  },
  async run(values) {
    setThreads(int(values, 'threads'));
    const r = exportModel({
      model: str(values, 'model') ?? 'default',
      format: str(values, 'format') ?? 'st',
      output: required(values, 'output'),
      force: values.force === true,
    });
    process.stdout.write(`exported ${r.format}: ${r.output} (${r.files.filter((f) => !f.endsWith('/')).join(', ')})\n`);
  },
};
