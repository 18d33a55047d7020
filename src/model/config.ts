// config.json of an HF BERT model, and ftlab's own ftlab.json beside it (pooling,
// normalisation, max length, how the model was trained).
import { existsSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { readJsonObject } from '../io/json-file.ts';

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number; // C
  numLayers: number; // L
  numHeads: number; // H
  intermediateSize: number; // 4C for BERT
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
  hiddenAct: 'gelu';
}

/** How two vectors are compared: cosine (vectors L2-normalised at scoring time when the model's are not) or the raw inner product. */
export type Similarity = 'cosine' | 'dot';
export const SIMILARITIES: readonly Similarity[] = ['cosine', 'dot'];

/**
 * How token vectors become one sentence vector (sentence-transformers' Pooling modes):
 * mean over real tokens, the [CLS] token, the element-wise max over real tokens, or the sum
 * over real tokens divided by sqrt(token count).
 */
export type Pooling = 'mean' | 'cls' | 'max' | 'mean-sqrt-len';
export const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'max', 'mean-sqrt-len'];

/** Which side of retrieval a text is on: it decides the prompt prepended to it. */
export type TextRole = 'query' | 'passage';

/** Text prepended to every query / passage before tokenizing ('' for none), as e5's "query: ". */
export interface Prompts {
  query: string;
  passage: string;
}
export const NO_PROMPTS: Prompts = { query: '', passage: '' };

export interface FtlabModelInfo {
  pooling: Pooling;
  normalize: boolean; // L2-normalise the pooled vector
  /** Scoring function. Default cosine: sentence-transformers' for this family, and the paper's eq. 2 (also for the unnormalised paper-run preset). */
  similarity: Similarity;
  maxLength: number;
  prompts: Prompts;
  base?: string; // LoRA folders: the base model the adapters apply to
  training?: unknown; // the training configuration that produced the model
}

export const DEFAULT_MAX_LENGTH = 256; // sentence-transformers' max_seq_length for all-MiniLM-L6-v2

function readJson(path: string): Record<string, unknown> {
  return readJsonObject(path); // one line naming the file (and the line of a syntax error)
}

/**
 * Only BERT runs here: RoBERTa, DistilBERT, XLM-R, MPNet, ... name their weights and
 * position ids differently, so loading them as BERT would give wrong vectors, not an error.
 */
function checkBertFamily(path: string, j: Record<string, unknown>): void {
  const archs = Array.isArray(j.architectures) ? j.architectures.map(String) : [];
  const foreign = archs.filter((a) => !a.startsWith('Bert'));
  if ((j.model_type !== undefined && j.model_type !== 'bert') || foreign.length > 0) {
    const what = [
      j.model_type !== undefined ? `model_type "${String(j.model_type)}"` : null,
      archs.length > 0 ? `architectures ${archs.join(', ')}` : null,
    ].filter((x) => x !== null);
    throw new InputError(path, null, `${what.join(', ')} is not a BERT model (ftlab runs BERT encoders only)`);
  }
}

export function readBertConfig(path: string): BertConfig {
  const j = readJson(path);
  const int = (key: string, fallback?: number): number => {
    const v = j[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) <= 0)
      throw new InputError(path, null, `"${key}" must be a positive integer, got ${JSON.stringify(j[key])}`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = j[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new InputError(path, null, `"${key}" must be a number >= 0`);
    return v;
  };
  checkBertFamily(path, j);
  const act = j.hidden_act ?? 'gelu';
  if (act !== 'gelu')
    throw new InputError(path, null, `hidden_act "${String(act)}" is not supported (only exact "gelu")`);
  if (j.position_embedding_type !== undefined && j.position_embedding_type !== 'absolute') {
    throw new InputError(path, null, `position_embedding_type "${String(j.position_embedding_type)}" is not supported`);
  }
  const cfg: BertConfig = {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    hiddenDropout: num('hidden_dropout_prob', 0.1),
    attentionDropout: num('attention_probs_dropout_prob', 0.1),
    hiddenAct: 'gelu',
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0)
    throw new InputError(
      path,
      null,
      `hidden_size ${cfg.hiddenSize} is not a multiple of num_attention_heads ${cfg.numHeads}`,
    );
  return cfg;
}

/** The HF config.json for a BertConfig (used when saving a trained model). */
export function bertConfigJson(c: BertConfig): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.hiddenDropout,
    attention_probs_dropout_prob: c.attentionDropout,
    hidden_act: c.hiddenAct,
    position_embedding_type: 'absolute',
    pad_token_id: 0,
  };
}

/** ftlab.json when present; otherwise the sentence-transformers defaults for this family. */
export function readFtlabInfo(path: string): FtlabModelInfo {
  const defaults: FtlabModelInfo = {
    pooling: 'mean',
    normalize: true,
    similarity: 'cosine',
    maxLength: DEFAULT_MAX_LENGTH,
    prompts: { ...NO_PROMPTS },
  };
  if (!existsSync(path)) return defaults;
  const j = readJson(path);
  if (j.pooling !== undefined && !POOLINGS.includes(j.pooling as Pooling))
    throw new InputError(path, null, `pooling "${String(j.pooling)}" is not supported (${POOLINGS.join(', ')})`);
  if (j.normalize !== undefined && typeof j.normalize !== 'boolean')
    throw new InputError(path, null, '"normalize" must be true or false');
  if (j.similarity !== undefined && !SIMILARITIES.includes(j.similarity as Similarity))
    throw new InputError(path, null, `"similarity" must be "cosine" or "dot", got ${JSON.stringify(j.similarity)}`);
  if (j.maxLength !== undefined && (!Number.isInteger(j.maxLength) || (j.maxLength as number) < 2))
    throw new InputError(path, null, '"maxLength" must be an integer >= 2');
  return {
    pooling: (j.pooling as Pooling | undefined) ?? 'mean',
    normalize: (j.normalize as boolean | undefined) ?? true,
    similarity: (j.similarity as Similarity | undefined) ?? 'cosine',
    maxLength: (j.maxLength as number | undefined) ?? DEFAULT_MAX_LENGTH,
    prompts: readPrompts(path, j.prompts),
    base: typeof j.base === 'string' ? j.base : undefined,
    training: j.training,
  };
}

/** ftlab.json "prompts": { query, passage } strings, both optional (absent: no prompt). */
function readPrompts(path: string, v: unknown): Prompts {
  if (v === undefined || v === null) return { ...NO_PROMPTS };
  const o = v as Record<string, unknown>;
  if (
    typeof v !== 'object' ||
    Array.isArray(v) ||
    !['query', 'passage'].every((k) => ['undefined', 'string'].includes(typeof o[k]))
  )
    throw new InputError(path, null, '"prompts" must be an object with optional string fields "query" and "passage"');
  return { query: (o.query as string | undefined) ?? '', passage: (o.passage as string | undefined) ?? '' };
}
