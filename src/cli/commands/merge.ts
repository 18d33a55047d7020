// ftlab merge: folds a LoRA folder's adapters into the base weights.
import type { Command } from '../command.ts';
import { required } from '../command.ts';
import { loadEncoder, modelHelp, modelOptions } from '../shared-options.ts';
import { saveModelFolder } from '../../model/save-model.ts';
import { UserError } from '../../errors.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const merge: Command = {
  name: 'merge',
  summary: 'fold LoRA adapters into the weights (zero-overhead inference)',
  usage: `ftlab merge --model LORA_DIR --output DIR

W <- W + (alpha / r) B A for every adapted module; DIR is a plain model folder whose
vectors equal the adapter model's, at the base model's inference cost.
${modelHelp}`,
  options: { output: { type: 'string' }, ...modelOptions },
  async run(values) {
    const dir = required(values, 'model');
    const output = required(values, 'output');
    if (!existsSync(join(dir, 'adapter_config.json')))
      throw new UserError(`--model ${dir} is not a LoRA folder (no adapter_config.json)`);
    const encoder = loadEncoder(values);
    encoder.lora!.merge(encoder.bert);
    saveModelFolder(output, encoder, { training: { mergedFrom: dir } });
  },
};
