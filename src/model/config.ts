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

export interface FtlabModelInfo {
  pooling: 'mean';
  normalize: boolean; // L2-normalise the pooled vector
  /** Scoring function. Default cosine: sentence-transformers' for this family, and the paper's eq. 2 (also for the unnormalised paper-run preset). */
  similarity: Similarity;
  maxLength: number;
  base?: string; // LoRA folders: the base model the adapters apply to
  training?: unknown; // the training configuration that produced the model
}

export const DEFAULT_MAX_LENGTH = 256; // sentence-transformers' max_seq_length for all-MiniLM-L6-v2

function readJson(path: string): Record<string, unknown> {
  return readJsonObject(path); // one line naming the file (and the line of a syntax error)
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
  if (j.model_type !== undefined && j.model_type !== 'bert') {
    throw new InputError(
      path,
      null,
      `model_type "${String(j.model_type)}" is not supported (ftlab runs BERT encoders)`,
    );
  }
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
  };
  if (!existsSync(path)) return defaults;
  const j = readJson(path);
  if (j.pooling !== undefined && j.pooling !== 'mean')
    throw new InputError(path, null, `pooling "${String(j.pooling)}" is not supported (mean)`);
  if (j.normalize !== undefined && typeof j.normalize !== 'boolean')
    throw new InputError(path, null, '"normalize" must be true or false');
  if (j.similarity !== undefined && !SIMILARITIES.includes(j.similarity as Similarity))
    throw new InputError(path, null, `"similarity" must be "cosine" or "dot", got ${JSON.stringify(j.similarity)}`);
  if (j.maxLength !== undefined && (!Number.isInteger(j.maxLength) || (j.maxLength as number) < 2))
    throw new InputError(path, null, '"maxLength" must be an integer >= 2');
  return {
    pooling: 'mean',
    normalize: (j.normalize as boolean | undefined) ?? true,
    similarity: (j.similarity as Similarity | undefined) ?? 'cosine',
    maxLength: (j.maxLength as number | undefined) ?? DEFAULT_MAX_LENGTH,
    base: typeof j.base === 'string' ? j.base : undefined,
    training: j.training,
  };
}
