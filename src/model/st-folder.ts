// A sentence-transformers folder (as the HF hub serves them, as sentence-transformers 6.x saves
// them, and as `ftlab export` writes them): modules.json lists Transformer -> Pooling ->
// (Normalize), under the older `sentence_transformers.models.*` type names or the 6.x module
// paths; the Transformer's folder (the root, or e.g. 0_Transformer/) holds the HF files;
// 1_Pooling/config.json says how token vectors are pooled (6.x: "pooling_mode"; older:
// boolean "pooling_mode_*_tokens" keys); the max length is sentence_bert_config.json's
// max_seq_length (older) or tokenizer_config.json's model_max_length (6.x);
// config_sentence_transformers.json has the similarity function and the prompts.
// ftlab.json, when present, wins: a folder ftlab wrote says exactly how it was trained.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_MAX_LENGTH,
  readFtlabInfo,
  type FtlabModelInfo,
  type Pooling,
  type Prompts,
  type Similarity,
} from './config.ts';
import type { ModelFiles } from './model-files.ts';
import { InputError, UserError } from '../errors.ts';

type ModuleKind = 'Transformer' | 'Pooling' | 'Normalize';

interface StModule {
  kind: ModuleKind | null; // null: a module ftlab does not run (Dense, LayerNorm, ...)
  type: string;
  path: string;
}

/** Both spellings of each module type ftlab runs: sentence-transformers < 6 and 6.x. */
const MODULE_TYPES: Record<string, ModuleKind> = {
  'sentence_transformers.models.Transformer': 'Transformer',
  'sentence_transformers.models.Pooling': 'Pooling',
  'sentence_transformers.models.Normalize': 'Normalize',
  'sentence_transformers.base.modules.transformer.Transformer': 'Transformer',
  'sentence_transformers.base.modules.Transformer': 'Transformer',
  'sentence_transformers.sentence_transformer.modules.pooling.Pooling': 'Pooling',
  'sentence_transformers.sentence_transformer.modules.Pooling': 'Pooling',
  'sentence_transformers.base.modules.normalize.Normalize': 'Normalize',
  'sentence_transformers.base.modules.Normalize': 'Normalize',
};

/** sentence-transformers' pooling mode names -> ftlab's. */
const POOLING_MODES: Record<string, Pooling> = {
  mean: 'mean',
  cls: 'cls',
  max: 'max',
  mean_sqrt_len_tokens: 'mean-sqrt-len',
};
/** The older boolean keys -> the mode names. */
const POOLING_KEYS: Record<string, string> = {
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_mean_sqrt_len_tokens: 'mean_sqrt_len_tokens',
  pooling_mode_weightedmean_tokens: 'weightedmean',
  pooling_mode_lasttoken: 'lasttoken',
};

function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new InputError(path, null, `cannot read JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

function objectAt(path: string): Record<string, unknown> {
  const v = readJsonFile(path);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(path, null, 'not a JSON object');
  return v as Record<string, unknown>;
}

export function isSentenceTransformersFolder(dir: string): boolean {
  return existsSync(join(dir, 'modules.json'));
}

function readModules(dir: string): StModule[] {
  const modulesPath = join(dir, 'modules.json');
  const raw = readJsonFile(modulesPath);
  if (!Array.isArray(raw) || raw.length === 0)
    throw new InputError(modulesPath, null, 'expected a non-empty array of modules');
  const modules = raw.map((m, i): StModule => {
    const o = m as Partial<StModule> | null;
    if (!o || typeof o.type !== 'string' || typeof o.path !== 'string')
      throw new InputError(modulesPath, null, `module ${i} needs "type" and "path"`);
    return { kind: MODULE_TYPES[o.type] ?? null, type: o.type, path: o.path };
  });
  const unknown = modules.find((m) => m.kind === null);
  if (unknown)
    throw new InputError(
      modulesPath,
      null,
      `module type ${unknown.type} is not supported (ftlab runs Transformer -> Pooling -> optional Normalize)`,
    );
  const kinds = modules.map((m) => m.kind).join(',');
  if (kinds !== 'Transformer,Pooling' && kinds !== 'Transformer,Pooling,Normalize')
    throw new InputError(modulesPath, null, `modules ${kinds} are not Transformer -> Pooling -> optional Normalize`);
  return modules;
}

/** The folder holding the Transformer's HF files (config.json, weights, tokenizer): the root or a subfolder. */
export function transformerDir(dir: string): string {
  if (!isSentenceTransformersFolder(dir)) return dir;
  return join(dir, readModules(dir)[0]!.path);
}

/** The pipeline a sentence-transformers folder describes, when ftlab can run it. */
export function readSentenceTransformersInfo(dir: string): FtlabModelInfo {
  const modules = readModules(dir);
  const settings = readStSettings(dir);
  return {
    pooling: readPooling(join(dir, modules[1]!.path, 'config.json')),
    normalize: modules.length === 3,
    maxLength: readMaxSeqLength(join(dir, modules[0]!.path)),
    similarity: settings.similarity,
    prompts: settings.prompts,
  };
}

/** 1_Pooling/config.json: one supported mode, prompts included in the pooling. */
export function readPooling(path: string): Pooling {
  const c = objectAt(path);
  let modes: string[];
  if (c.pooling_mode !== undefined)
    modes = Array.isArray(c.pooling_mode) ? c.pooling_mode.map(String) : [String(c.pooling_mode)];
  else modes = Object.entries(POOLING_KEYS).flatMap(([k, mode]) => (c[k] === true ? [mode] : []));
  if (modes.length !== 1) {
    throw new InputError(
      path,
      null,
      `pooling ${modes.join('+') || 'none'} is not supported (one of mean, cls, max, mean_sqrt_len_tokens)`,
    );
  }
  const pooling = POOLING_MODES[modes[0]!];
  if (!pooling)
    throw new InputError(path, null, `pooling ${modes[0]} is not supported (mean, cls, max, mean_sqrt_len_tokens)`);
  if (c.include_prompt === false)
    throw new InputError(path, null, 'include_prompt false (prompt tokens left out of the pooling) is not supported');
  return pooling;
}

/**
 * 1_Pooling/config.json's width (older "word_embedding_dimension", 6.x "embedding_dimension")
 * must be config.json's hidden_size: a folder whose modules disagree is damaged, and
 * sentence-transformers itself would pool vectors of another width than it declares.
 */
export function checkPoolingWidth(dir: string, hiddenSize: number, configPath: string): void {
  if (!isSentenceTransformersFolder(dir)) return;
  const path = join(dir, readModules(dir)[1]!.path, 'config.json');
  const c = objectAt(path);
  for (const key of ['word_embedding_dimension', 'embedding_dimension']) {
    const v = c[key];
    if (v === undefined || v === null) continue;
    if (v !== hiddenSize)
      throw new UserError(
        `${path}: "${key}" ${JSON.stringify(v)} disagrees with ${configPath}: "hidden_size" ${hiddenSize}`,
      );
  }
}

/** The older sentence_bert_config.json's max_seq_length, else 6.x's tokenizer_config.json model_max_length. */
function readMaxSeqLength(dir: string): number {
  const st = join(dir, 'sentence_bert_config.json');
  const fromSt = existsSync(st) ? objectAt(st).max_seq_length : undefined;
  if (fromSt !== undefined && fromSt !== null) {
    if (!Number.isInteger(fromSt) || (fromSt as number) < 2)
      throw new InputError(st, null, '"max_seq_length" must be an integer >= 2');
    return fromSt as number;
  }
  const tok = join(dir, 'tokenizer_config.json');
  const fromTok = existsSync(tok) ? objectAt(tok).model_max_length : undefined;
  // transformers writes 1e30 for "no limit"
  if (Number.isInteger(fromTok) && (fromTok as number) >= 2 && (fromTok as number) <= 1 << 20) return fromTok as number;
  return DEFAULT_MAX_LENGTH;
}

/**
 * The prompt each role gets from config_sentence_transformers.json: queries "query", passages
 * the first non-empty of "document", "passage", "corpus" (the names encode_document looks for);
 * either falls back to default_prompt_name's prompt. sentence-transformers 6.0 fills an empty
 * "document" placeholder in first, which would hide an e5 folder's "passage: ", hence non-empty.
 */
export function rolePrompts(prompts: Record<string, string>, defaultName: string | null): Prompts {
  const pick = (names: string[]): string => {
    for (const n of names) if (prompts[n]) return prompts[n]!;
    return (defaultName !== null ? prompts[defaultName] : undefined) ?? '';
  };
  return { query: pick(['query']), passage: pick(['document', 'passage', 'corpus']) };
}

function readStSettings(dir: string): { similarity: Similarity; prompts: Prompts } {
  const path = join(dir, 'config_sentence_transformers.json');
  if (!existsSync(path)) return { similarity: 'cosine', prompts: { query: '', passage: '' } };
  const c = objectAt(path);
  const v = c.similarity_fn_name;
  let similarity: Similarity;
  if (v === undefined || v === null || v === 'cosine') similarity = 'cosine';
  else if (v === 'dot' || v === 'dot_product') similarity = 'dot';
  else throw new InputError(path, null, `similarity_fn_name ${JSON.stringify(v)} is not supported (cosine, dot)`);
  const raw = c.prompts ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputError(path, null, '"prompts" must be an object of name -> text');
  const prompts: Record<string, string> = {};
  for (const [k, t] of Object.entries(raw)) {
    if (t === null) continue; // a placeholder without text
    if (typeof t !== 'string') throw new InputError(path, null, `prompt "${k}" must be a string`);
    prompts[k] = t;
  }
  const d = c.default_prompt_name;
  if (d !== undefined && d !== null && (typeof d !== 'string' || !(d in prompts)))
    throw new InputError(path, null, `default_prompt_name ${JSON.stringify(d)} names no prompt in "prompts"`);
  return { similarity, prompts: rolePrompts(prompts, typeof d === 'string' ? d : null) };
}

/** ftlab.json when the folder has one, else its sentence-transformers files, else the defaults. */
export function readModelInfo(files: ModelFiles): FtlabModelInfo {
  if (existsSync(files.ftlab) || !isSentenceTransformersFolder(files.dir)) return readFtlabInfo(files.ftlab);
  return readSentenceTransformersInfo(files.dir);
}
