// A sentence-transformers folder (as the HF hub serves them, and as `ftlab export` writes
// them): modules.json lists Transformer -> Pooling -> (Normalize); 1_Pooling/config.json
// says how token vectors are pooled, sentence_bert_config.json the max length, and
// config_sentence_transformers.json the similarity function. ftlab.json, when present,
// wins: a folder ftlab wrote says exactly how it was trained.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_LENGTH, readFtlabInfo, type FtlabModelInfo, type Similarity } from './config.ts';
import type { ModelFiles } from './model-files.ts';
import { InputError } from '../errors.ts';

interface StModule {
  type: string;
  path: string;
}

const TYPE = 'sentence_transformers.models.';

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

/** The pipeline a sentence-transformers folder describes, when ftlab can run it. */
export function readSentenceTransformersInfo(dir: string): FtlabModelInfo {
  const modulesPath = join(dir, 'modules.json');
  const raw = readJsonFile(modulesPath);
  if (!Array.isArray(raw) || raw.length === 0)
    throw new InputError(modulesPath, null, 'expected a non-empty array of modules');
  const modules = raw.map((m, i): StModule => {
    const o = m as Partial<StModule> | null;
    if (!o || typeof o.type !== 'string' || typeof o.path !== 'string')
      throw new InputError(modulesPath, null, `module ${i} needs "type" and "path"`);
    return { type: o.type.replace(TYPE, ''), path: o.path };
  });
  if (modules[0]!.type !== 'Transformer' || modules[0]!.path !== '') {
    throw new InputError(
      modulesPath,
      null,
      'ftlab reads folders whose first module is the Transformer at the folder root (path "")',
    );
  }
  let pooled = false;
  let normalize = false;
  for (const m of modules.slice(1)) {
    if (m.type === 'Pooling') {
      checkMeanPooling(join(dir, m.path, 'config.json'));
      pooled = true;
    } else if (m.type === 'Normalize') normalize = true;
    else
      throw new InputError(
        modulesPath,
        null,
        `module type ${m.type} is not supported (Transformer, Pooling, Normalize)`,
      );
  }
  if (!pooled) throw new InputError(modulesPath, null, 'no Pooling module');
  return { pooling: 'mean', normalize, maxLength: readMaxSeqLength(dir), similarity: readSimilarity(dir) };
}

/** Mean pooling is the only mode ftlab runs; anything else is refused rather than run wrong. */
function checkMeanPooling(path: string): void {
  const c = objectAt(path);
  const mode = typeof c.pooling_mode === 'string' ? c.pooling_mode : null;
  const others = Object.entries(c).filter(
    ([k, v]) => k.startsWith('pooling_mode_') && k !== 'pooling_mode_mean_tokens' && v === true,
  );
  if (mode !== null ? mode !== 'mean' : c.pooling_mode_mean_tokens !== true || others.length > 0) {
    throw new InputError(
      path,
      null,
      `pooling ${mode ?? (others.map(([k]) => k).join('+') || 'none')} is not supported (mean tokens only)`,
    );
  }
}

function readMaxSeqLength(dir: string): number {
  const path = join(dir, 'sentence_bert_config.json');
  if (!existsSync(path)) return DEFAULT_MAX_LENGTH;
  const v = objectAt(path).max_seq_length;
  if (v === undefined || v === null) return DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(v) || (v as number) < 2)
    throw new InputError(path, null, '"max_seq_length" must be an integer >= 2');
  return v as number;
}

function readSimilarity(dir: string): Similarity {
  const path = join(dir, 'config_sentence_transformers.json');
  if (!existsSync(path)) return 'cosine';
  const v = objectAt(path).similarity_fn_name;
  if (v === undefined || v === null || v === 'cosine') return 'cosine';
  if (v === 'dot' || v === 'dot_product') return 'dot';
  throw new InputError(path, null, `similarity_fn_name ${JSON.stringify(v)} is not supported (cosine, dot)`);
}

/** ftlab.json when the folder has one, else its sentence-transformers files, else the defaults. */
export function readModelInfo(files: ModelFiles): FtlabModelInfo {
  if (existsSync(files.ftlab) || !isSentenceTransformersFolder(files.dir)) return readFtlabInfo(files.ftlab);
  return readSentenceTransformersInfo(files.dir);
}
