// LoRA (Hu et al. 2021): a frozen linear layer y = x W^T + b gains a low-rank update
//   y = x W^T + b + (alpha / r) * dropout(x) A^T B^T,   A [r, in], B [out, r]
// with A initialised as PEFT does (kaiming-uniform, a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in)))
// and B = 0, so the adapted model starts exactly at the base model. Only A and B train.
// Saved with PEFT's layout: adapter_model.safetensors with names
//   base_model.model.<module>.lora_A.weight / lora_B.weight
// and adapter_config.json.
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { dropout, linear, noGrad, rand, zeros, type Tensor } from '../engine/index.ts';
import type { Bert } from './bert.ts';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.ts';
import { InputError, UserError } from '../errors.ts';
import { readJsonObject } from '../io/json-file.ts';

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targets: string[]; // module-name suffixes, e.g. ['query', 'value']
}

export const PAPER_LORA: LoraConfig = { r: 16, alpha: 32, dropout: 0.05, targets: ['query', 'value'] };

/** "r=16,alpha=32,dropout=0.05,targets=query,value" (unnamed trailing words extend targets). */
export function parseLoraSpec(spec: string): LoraConfig {
  const out: LoraConfig = { ...PAPER_LORA, targets: [...PAPER_LORA.targets] };
  let targets: string[] | null = null;
  let inTargets = false;
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (!inTargets) throw new UserError(`--lora: '${part}' is not key=value (keys: r, alpha, dropout, targets)`);
      targets!.push(part);
      continue;
    }
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    inTargets = key === 'targets';
    if (key === 'targets') targets = value.split(/[+ ]/).filter((x) => x.length > 0);
    else if (key === 'r' || key === 'alpha' || key === 'dropout') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || (key === 'r' && (!Number.isInteger(n) || n < 1)))
        throw new UserError(`--lora: bad ${key}=${value}`);
      out[key] = n;
    } else throw new UserError(`--lora: unknown key '${key}' (keys: r, alpha, dropout, targets)`);
  }
  if (targets) out.targets = targets;
  if (out.targets.length === 0) throw new UserError('--lora: no targets');
  return out;
}

export class Lora {
  /** module name -> { A [r, in], B [out, r] } */
  readonly adapters = new Map<string, { A: Tensor; B: Tensor }>();
  /** The folder the adapters were read from (their identity for caches); null when built in memory. */
  source: { dir: string; weights: string; config: string; ftlab: string } | null = null;
  /** True once merge() folded the adapters into the base weights. */
  merged = false;

  constructor(readonly config: LoraConfig) {}

  get scale(): number {
    return this.config.alpha / this.config.r;
  }

  /** Modules of `bert` whose last name part is a target (e.g. encoder.layer.3.attention.self.query). */
  static targetModules(bert: Bert, targets: string[]): string[] {
    return targetModules(new Map([...bert.params].map(([k, t]) => [k, t.shape])), targets);
  }

  /** Fresh adapters (B = 0) on every target module; attaches them to the model. */
  static create(bert: Bert, config: LoraConfig): Lora {
    const lora = new Lora(config);
    for (const m of Lora.targetModules(bert, config.targets)) {
      const [out, inp] = bert.p(`${m}.weight`).shape as [number, number];
      const bound = 1 / Math.sqrt(inp);
      const u = rand([config.r, inp], { device: bert.device });
      const A = u.mul(2 * bound).sub(bound); // U(-1/sqrt(in), 1/sqrt(in))
      u.dispose();
      const B = zeros([out, config.r], { device: bert.device });
      lora.adapters.set(m, { A: A.setRequiresGrad(true), B: B.setRequiresGrad(true) });
    }
    lora.attach(bert);
    return lora;
  }

  attach(bert: Bert): void {
    for (const [m, { A, B }] of this.adapters) {
      bert.adapters.set(m, (x) => {
        const h = bert.training && this.config.dropout > 0 ? dropout(x, this.config.dropout, true) : x;
        return linear(linear(h, A), B).mul(this.scale); // [.., r] -> [.., out]
      });
    }
  }

  /** Trainable parameters, named as PEFT saves them. */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [m, { A, B }] of this.adapters) {
      out.set(`base_model.model.${m}.lora_A.weight`, A);
      out.set(`base_model.model.${m}.lora_B.weight`, B);
    }
    return out;
  }

  /** Folds the adapters into the weights (W += scale * B A) and detaches them: inference then costs exactly the base model's. */
  merge(bert: Bert): void {
    noGrad(() => {
      for (const [m, { A, B }] of this.adapters) {
        const delta = B.matmul(A).mul(this.scale);
        bert.p(`${m}.weight`).addInPlace(delta);
        delta.dispose();
        bert.adapters.delete(m);
      }
    });
    this.merged = true;
  }

  save(dir: string, baseModel: string): void {
    saveSafetensors(join(dir, 'adapter_model.safetensors'), this.parameters(), { format: 'pt' });
    writeFileSync(
      join(dir, 'adapter_config.json'),
      `${JSON.stringify(
        {
          peft_type: 'LORA',
          task_type: 'FEATURE_EXTRACTION',
          base_model_name_or_path: baseModel,
          r: this.config.r,
          lora_alpha: this.config.alpha,
          lora_dropout: this.config.dropout,
          target_modules: this.config.targets,
          bias: 'none',
          fan_in_fan_out: false,
          inference_mode: true,
          init_lora_weights: true,
          modules_to_save: null,
        },
        null,
        2,
      )}\n`,
    );
  }

  static load(dir: string, bert: Bert): Lora {
    const cfgPath = join(dir, 'adapter_config.json');
    if (!existsSync(cfgPath)) throw new UserError(`${dir}: no adapter_config.json`);
    const lora = new Lora(adapterConfig(cfgPath));
    const weights = join(dir, 'adapter_model.safetensors');
    const w = loadSafetensors(weights, { as: 'float32' });
    lora.source = { dir, weights, config: cfgPath, ftlab: join(dir, 'ftlab.json') };
    let modules: string[];
    try {
      modules = Lora.targetModules(bert, lora.config.targets);
    } catch (e) {
      throw new InputError(cfgPath, null, (e as Error).message.replace(/^--lora /, ''));
    }
    for (const m of modules) {
      const A = w.get(`base_model.model.${m}.lora_A.weight`);
      const B = w.get(`base_model.model.${m}.lora_B.weight`);
      if (!A || !B) throw new UserError(`${dir}/adapter_model.safetensors: no adapter for ${m}`);
      if (A.shape[0] !== lora.config.r || B.shape[1] !== lora.config.r)
        throw new InputError(
          weights,
          null,
          `${m}: adapters of rank ${A.shape[0]}/${B.shape[1]}, but ${cfgPath} says r=${lora.config.r}`,
        );
      lora.adapters.set(m, { A: A.to(bert.device), B: B.to(bert.device) });
    }
    lora.attach(bert);
    return lora;
  }
}

/** adapter_config.json (PEFT's names), every field checked. */
function adapterConfig(path: string): LoraConfig {
  const c = readJsonObject(path);
  const bad = (what: string): never => {
    throw new InputError(path, null, what);
  };
  if (!Number.isInteger(c.r) || (c.r as number) < 1) bad(`"r" must be a positive integer, got ${JSON.stringify(c.r)}`);
  if (typeof c.lora_alpha !== 'number' || !(c.lora_alpha > 0))
    bad(`"lora_alpha" must be a positive number, got ${JSON.stringify(c.lora_alpha)}`);
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    bad(`"lora_dropout" must be in [0, 1), got ${JSON.stringify(c.lora_dropout)}`);
  const t = c.target_modules;
  if (!Array.isArray(t) || t.length === 0 || !t.every((x) => typeof x === 'string'))
    bad(`"target_modules" must be a non-empty list of module names, got ${JSON.stringify(t)}`);
  return { r: c.r as number, alpha: c.lora_alpha as number, dropout: dropout as number, targets: t as string[] };
}

/**
 * The linear modules (2-D weights outside the embeddings) whose last name part is a target,
 * from a model's parameter shapes (name -> shape, as bertParameterShapes or a loaded model gives).
 */
export function targetModules(shapes: ReadonlyMap<string, readonly number[]>, targets: readonly string[]): string[] {
  const modules = [...shapes.keys()]
    .filter((k) => k.endsWith('.weight'))
    .map((k) => k.slice(0, -'.weight'.length))
    .filter((m) => shapes.get(`${m}.weight`)!.length === 2 && !m.includes('embeddings'));
  const out = modules.filter((m) => targets.some((t) => m === t || m.endsWith(`.${t}`)));
  for (const t of targets) {
    if (!out.some((m) => m === t || m.endsWith(`.${t}`))) {
      throw new UserError(
        `--lora target '${t}' matches no linear module (e.g. query, key, value, attention.output.dense, intermediate.dense, output.dense)`,
      );
    }
  }
  return out;
}

/** What LoRA trains on a model: A [r, in] and B [out, r] per target module, against the model's own weights. */
export interface LoraShare {
  trainable: number;
  total: number; // the model's parameters (without the adapters)
  share: number; // trainable / total
}

/**
 * Counted from the model's shapes, not typed in. Worked, all-MiniLM-L6-v2 (C = 384, 6 layers)
 * with r=16 on query and value: 6 layers x 2 modules x 16 x (384 + 384) = 147,456 of the
 * model's 22,713,216 parameters, 0.65%.
 */
export function loraShare(shapes: ReadonlyMap<string, readonly number[]>, config: Pick<LoraConfig, 'r' | 'targets'>) {
  let trainable = 0;
  for (const m of targetModules(shapes, config.targets)) {
    const [out, inp] = shapes.get(`${m}.weight`)! as [number, number];
    trainable += config.r * (inp + out);
  }
  let total = 0;
  for (const shape of shapes.values()) total += shape.reduce((a, b) => a * b, 1);
  return { trainable, total, share: trainable / total } satisfies LoraShare;
}

export function countParameters(params: Iterable<Tensor>): number {
  let n = 0;
  for (const p of params) n += p.size;
  return n;
}
