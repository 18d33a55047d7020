// Writes a sentence-transformers folder with the files and fields the HF hub serves for
// sentence-transformers/all-MiniLM-L6-v2: the transformer at the root (config.json,
// model.safetensors fp32 under HF names, tokenizer files), modules.json,
// sentence_bert_config.json, 1_Pooling/config.json (the model's pooling mode), 2_Normalize/
// (when normalising) and config_sentence_transformers.json (similarity, the query and passage
// prompts). The older `sentence_transformers.models.*` names and boolean pooling keys are
// written: sentence-transformers 2.x to 6.x all read them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertConfigJson } from '../model/config.ts';
import { saveSafetensors } from '../io/safetensors.ts';
import type { SentenceEncoder } from '../model/sentence-encoder.ts';
import type { Pooling, Prompts, Similarity } from '../model/config.ts';
import { InputError } from '../errors.ts';

const SPECIAL_TOKENS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** modules.json: Transformer at the root, Pooling, then Normalize when the model normalises. */
export function modulesJson(normalize: boolean): { idx: number; name: string; path: string; type: string }[] {
  const m = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (normalize) m.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  return m;
}

export function poolingConfig(dim: number, pooling: Pooling): Record<string, unknown> {
  return {
    word_embedding_dimension: dim,
    pooling_mode_cls_token: pooling === 'cls',
    pooling_mode_mean_tokens: pooling === 'mean',
    pooling_mode_max_tokens: pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: pooling === 'mean-sqrt-len',
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
}

/**
 * tokenizer.json with truncation at the model's max length and no fixed padding (the
 * package's file says 128 and pads to 128, which no runtime should apply), the matching
 * vocab.txt (ids in order), tokenizer_config.json and special_tokens_map.json.
 */
function writeTokenizerFiles(dir: string, tokenizerPath: string, maxLength: number): void {
  const tok = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as Record<string, unknown> & {
    model?: { vocab?: Record<string, number> };
  };
  const vocab = tok.model?.vocab;
  if (!vocab || typeof vocab !== 'object')
    throw new InputError(tokenizerPath, null, 'no model.vocab (a WordPiece tokenizer is needed for vocab.txt)');
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(vocab)) tokens[id] = t;
  if (tokens.length !== Object.keys(vocab).length || tokens.some((t) => t === undefined))
    throw new InputError(tokenizerPath, null, 'vocabulary ids are not 0..V-1');
  const normalizer = (tok.normalizer ?? {}) as {
    lowercase?: boolean;
    strip_accents?: boolean | null;
    handle_chinese_chars?: boolean;
  };
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      ...tok,
      truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
      padding: null,
    }),
  );
  writeFileSync(join(dir, 'vocab.txt'), `${tokens.join('\n')}\n`);
  writeJson(join(dir, 'special_tokens_map.json'), SPECIAL_TOKENS);
  writeJson(join(dir, 'tokenizer_config.json'), {
    ...SPECIAL_TOKENS,
    clean_up_tokenization_spaces: true,
    do_basic_tokenize: true,
    do_lower_case: normalizer.lowercase ?? true,
    never_split: null,
    strip_accents: normalizer.strip_accents ?? null,
    tokenize_chinese_chars: normalizer.handle_chinese_chars ?? true,
    model_max_length: maxLength, // transformers.js truncates here: the length the model runs at
    tokenizer_class: 'BertTokenizer',
  });
}

/**
 * The prompts under the names encode_query / encode_document look up: "query", and the
 * passage prompt as "document" (the first name encode_document tries) and "passage" (e5's).
 */
export function stPrompts(p: Prompts): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.query) out.query = p.query;
  if (p.passage) {
    out.document = p.passage;
    out.passage = p.passage;
  }
  return out;
}

/** Writes the whole folder into `dir` (which exists and is empty). The encoder must hold merged weights. */
export function writeSentenceTransformersFolder(dir: string, encoder: SentenceEncoder, similarity: Similarity): void {
  if (encoder.lora) throw new Error('writeSentenceTransformersFolder: merge the LoRA adapters first');
  if (!encoder.files) throw new Error('writeSentenceTransformersFolder: the encoder has no tokenizer file');
  const { info } = encoder;
  writeJson(join(dir, 'config.json'), { ...bertConfigJson(encoder.bert.config), torch_dtype: 'float32' });
  saveSafetensors(join(dir, 'model.safetensors'), encoder.bert.params, { format: 'pt' });
  writeTokenizerFiles(dir, encoder.files.tokenizer, info.maxLength);
  writeJson(join(dir, 'modules.json'), modulesJson(info.normalize));
  writeJson(join(dir, 'sentence_bert_config.json'), { max_seq_length: info.maxLength, do_lower_case: false });
  mkdirSync(join(dir, '1_Pooling'));
  writeJson(join(dir, '1_Pooling', 'config.json'), poolingConfig(encoder.dim, info.pooling));
  if (info.normalize) mkdirSync(join(dir, '2_Normalize'));
  writeJson(join(dir, 'config_sentence_transformers.json'), {
    __version__: { sentence_transformers: '3.0.1', transformers: '4.41.2', pytorch: '2.3.0' }, // the format version the fields follow
    model_type: 'SentenceTransformer',
    prompts: stPrompts(info.prompts),
    default_prompt_name: null,
    similarity_fn_name: similarity,
  });
}
