// The sentence-transformers pipeline: prompt + text -> tokenize -> BERT -> pooling (mean, CLS,
// max or mean-sqrt-len) -> (L2 normalise). Every text is a query or a passage (its role): the
// model's prompt for that role is prepended, as e5 wants "query: " / "passage: ".
// `encode` batches by length with dynamic padding: texts are sorted by token count, cut into
// batches bounded by a batch size and a token budget, padded to each batch's longest text,
// and the vectors are returned in input order.
import { cat, int64, noGrad, tensor, tidy, type Precision, type Tensor } from '../engine/index.ts';
import { Bert, type PackedTokens } from './bert.ts';
import { readBertConfig, readFtlabInfo, type FtlabModelInfo, type Prompts, type TextRole } from './config.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MODEL_NAME, resolveModelFiles, type ModelFiles } from './model-files.ts';
import { Lora } from './lora.ts';
import { checkPoolingWidth, readModelInfo } from './st-folder.ts';
import { UserError } from '../errors.ts';
import { readJsonObject } from '../io/json-file.ts';
import { pool, poolPacked, l2Normalize } from './pooling.ts';
import { loadSafetensors } from '../io/safetensors.ts';
import { BertTokenizer } from './tokenizer.ts';

export interface LoadOptions {
  device?: string;
  maxLength?: number; // overrides ftlab.json / the default 256
  prompts?: Partial<Prompts>; // override the folder's prompts (--query-prompt / --passage-prompt)
  precision?: Precision; // the linear layers' arithmetic in inference (default fp32)
}

export interface EncodeOptions {
  batchSize?: number; // texts per batch (default 64)
  maxTokens?: number; // padded tokens per batch, B * T_max (default 4096: activations stay under 32 MB)
  sort?: boolean; // length-sorted batching (default true); false keeps input order
  onProgress?: (done: number, total: number) => void;
}

export interface Batch {
  ids: Tensor; // [B, T] int64
  mask: Tensor; // [B, T] float32
  realTokens: number;
}

export class SentenceEncoder {
  /** Attached LoRA adapters (unmerged), when loaded from a LoRA folder. */
  lora: Lora | null = null;
  /** Inference batches run packed on CPU (false: padded, as training's embedBatch; benchmarks compare the two). */
  packedInference = true;

  constructor(
    readonly bert: Bert,
    readonly tokenizer: BertTokenizer,
    readonly info: FtlabModelInfo,
    readonly files: ModelFiles | null,
  ) {}

  static load(spec: string, opts: LoadOptions = {}): SentenceEncoder {
    if (spec !== 'default' && existsSync(join(spec, 'adapter_config.json')))
      return SentenceEncoder.loadLora(spec, opts);
    const files = resolveModelFiles(spec);
    const config = readBertConfig(files.config);
    const info = readModelInfo(files);
    if (opts.maxLength !== undefined) info.maxLength = opts.maxLength;
    info.prompts = { ...info.prompts, ...definedPrompts(opts.prompts) };
    if (info.maxLength > config.maxPositions) info.maxLength = config.maxPositions;
    checkPoolingWidth(files.dir, config.hiddenSize, files.config);
    const tokenizer = BertTokenizer.fromFile(files.tokenizer, info.maxLength);
    if (tokenizer.idLimit > config.vocabSize)
      throw new UserError(
        `${files.tokenizer}: token ids reach ${tokenizer.idLimit - 1}, beyond ${files.config}: "vocab_size" ${config.vocabSize}`,
      );
    const device = opts.device ?? 'cpu';
    const weights = loadSafetensors(files.weights, { as: 'float32' });
    if (device !== 'cpu') {
      for (const [k, t] of weights) {
        weights.set(k, t.to(device));
        t.dispose();
      }
    }
    const bert = Bert.fromWeights(config, weights, files.weights);
    bert.precision = opts.precision ?? 'fp32';
    return new SentenceEncoder(bert, tokenizer, info, files);
  }

  /**
   * A LoRA folder (adapter_model.safetensors + adapter_config.json): the base model named by
   * ftlab.json (or adapter_config.json's base_model_name_or_path) with the adapters attached,
   * unmerged. ftlab.json's pooling, normalisation, similarity and prompts apply.
   */
  static loadLora(dir: string, opts: LoadOptions = {}): SentenceEncoder {
    const info = readFtlabInfo(join(dir, 'ftlab.json'));
    let base = info.base;
    if (!base) {
      const cfg = readJsonObject(join(dir, 'adapter_config.json')) as {
        base_model_name_or_path?: string;
      };
      base = cfg.base_model_name_or_path === DEFAULT_MODEL_NAME ? 'default' : cfg.base_model_name_or_path;
    }
    if (!base) throw new UserError(`${dir}: a LoRA folder needs its base model (ftlab.json "base")`);
    const enc = SentenceEncoder.load(base, { ...opts, maxLength: opts.maxLength ?? info.maxLength });
    enc.info.pooling = info.pooling;
    enc.info.normalize = info.normalize;
    enc.info.similarity = info.similarity;
    enc.info.prompts = { ...info.prompts, ...definedPrompts(opts.prompts) };
    enc.lora = Lora.load(dir, enc.bert);
    return enc;
  }

  get dim(): number {
    return this.bert.config.hiddenSize;
  }
  get device(): string {
    return this.bert.device;
  }

  /** Token ids of prompt + text for each text, the prompt being the model's for the role. */
  tokenize(texts: readonly string[], role: TextRole): number[][] {
    const prompt = this.info.prompts[role];
    return texts.map((t) => this.tokenizer.encode(prompt + t));
  }

  /** Pads token-id lists to the longest: ids [B, T] int64 and mask [B, T] float32. */
  pad(lists: readonly number[][]): Batch {
    const B = lists.length;
    const T = Math.max(1, ...lists.map((l) => l.length));
    const ids = new Array<number>(B * T).fill(this.tokenizer.padId);
    const mask = new Float32Array(B * T);
    let realTokens = 0;
    lists.forEach((l, b) => {
      for (let t = 0; t < l.length; t++) {
        ids[b * T + t] = l[t]!;
        mask[b * T + t] = 1;
      }
      realTokens += l.length;
    });
    const device = this.device;
    const idsT = int64(ids, [B, T]);
    const maskT = tensor(mask, [B, T]);
    if (device === 'cpu') return { ids: idsT, mask: maskT, realTokens };
    return { ids: idsT.to(device), mask: maskT.to(device), realTokens };
  }

  /** Sentence vectors for one padded batch: [B, C] (autograd follows the grad mode). */
  embedBatch(batch: Batch): Tensor {
    const hidden = this.bert.forward(batch.ids, batch.mask); // [B, T, C]
    const pooled = pool(this.info.pooling, hidden, batch.mask); // [B, C]
    return this.info.normalize ? l2Normalize(pooled) : pooled;
  }

  /** Token-id lists packed without padding: ids and positions [N] int64 (N = all their tokens). */
  pack(lists: readonly number[][]): PackedTokens {
    const lengths = lists.map((l) => l.length);
    if (lengths.some((L) => L === 0)) throw new Error('pack: an empty token list (the tokenizer adds [CLS] and [SEP])');
    const ids = int64(lists.flat());
    const positions = int64(lists.flatMap((l) => l.map((_, t) => t)));
    const device = this.device;
    if (device === 'cpu') return { ids, positions, lengths };
    return { ids: ids.to(device), positions: positions.to(device), lengths };
  }

  /**
   * Sentence vectors for token-id lists in their given order, [B, C], computed without padding
   * (Bert.forwardPacked): the same vectors as embedBatch(pad(lists)) up to summation order.
   */
  embedPacked(lists: readonly number[][]): Tensor {
    const tokens = this.pack(lists);
    const hidden = this.bert.forwardPacked(tokens); // [N, C]
    const pooled = poolPacked(this.info.pooling, hidden, tokens.lengths); // [B, C]
    return this.info.normalize ? l2Normalize(pooled) : pooled;
  }

  /**
   * Sentence vectors for token-id lists in their given order, [B, C], autograd on when the
   * grad mode is. Packed (`packed` true): no padding at all (embedPacked). Otherwise rows are sorted by length and run in chunks of `chunk` texts, each padded
   * only to its own longest, then put back in order (the same vectors as one padded batch,
   * with less padding: training batches of passages waste much of their compute on it).
   */
  embedLists(lists: readonly number[][], o: { chunk?: number; packed?: boolean } = {}): Tensor {
    if (o.packed) return this.embedPacked(lists);
    const chunk = o.chunk ?? 8;
    if (lists.length <= chunk) return this.embedBatch(this.pad(lists));
    const order = lists.map((_, i) => i).sort((a, b) => lists[b]!.length - lists[a]!.length || a - b);
    const parts: Tensor[] = [];
    for (let s = 0; s < order.length; s += chunk)
      parts.push(this.embedBatch(this.pad(order.slice(s, s + chunk).map((i) => lists[i]!))));
    const inverse = new Array<number>(order.length);
    order.forEach((i, k) => (inverse[i] = k));
    return cat(parts, 0).indexSelect(0, int64(inverse).to(this.device)); // [B, C] in input order
  }

  /** Tokenizes, pads and embeds: [B, C]. */
  embed(texts: readonly string[], role: TextRole): Tensor {
    return tidy(() => this.embedBatch(this.pad(this.tokenize(texts, role))));
  }

  /** Inference over any number of texts of one role: Float32Array [N * C], row i = texts[i]. */
  encode(texts: readonly string[], role: TextRole, opts: EncodeOptions = {}): Float32Array {
    return this.encodeTokenized(this.tokenize(texts, role), opts);
  }

  encodeTokenized(lists: readonly number[][], opts: EncodeOptions = {}): Float32Array {
    const C = this.dim;
    const out = new Float32Array(lists.length * C);
    const batches = planBatches(
      lists.map((l) => l.length),
      opts,
    );
    const wasTraining = this.bert.training;
    this.bert.training = false;
    let done = 0;
    try {
      for (const idx of batches) {
        const vecs = noGrad(() => tidy(() => this.embedInference(idx.map((i) => lists[i]!)).f32()));
        idx.forEach((i, row) => out.set(vecs.subarray(row * C, (row + 1) * C), i * C));
        done += idx.length;
        opts.onProgress?.(done, lists.length);
      }
    } finally {
      this.bert.training = wasTraining;
    }
    return out;
  }

  /**
   * One inference batch: packed (no compute on padding) on CPU, where attention per sequence
   * costs no more than per padded row; padded elsewhere (a GPU prefers one big batched kernel).
   */
  private embedInference(lists: readonly number[][]): Tensor {
    return this.device === 'cpu' && this.packedInference ? this.embedPacked(lists) : this.embedBatch(this.pad(lists));
  }

  dispose(): void {
    this.bert.releaseInference();
    for (const t of this.bert.params.values()) t.dispose();
  }
}

/** The prompts given (undefined fields dropped, so they do not override the folder's). */
function definedPrompts(p: Partial<Prompts> | undefined): Partial<Prompts> {
  const out: Partial<Prompts> = {};
  if (p?.query !== undefined) out.query = p.query;
  if (p?.passage !== undefined) out.passage = p.passage;
  return out;
}

/**
 * Groups item indices into batches: longest first when sorting (so the first batch shows
 * the peak memory at once), each batch at most batchSize items and maxTokens padded tokens.
 */
export function planBatches(lengths: readonly number[], opts: EncodeOptions = {}): number[][] {
  const batchSize = opts.batchSize ?? 64;
  const maxTokens = opts.maxTokens ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const order = lengths.map((_, i) => i);
  if (opts.sort ?? true) order.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  let curMax = 0;
  for (const i of order) {
    const len = Math.max(1, lengths[i]!);
    const newMax = Math.max(curMax, len);
    if (cur.length > 0 && (cur.length >= batchSize || newMax * (cur.length + 1) > maxTokens)) {
      batches.push(cur);
      cur = [];
      curMax = 0;
    }
    cur.push(i);
    curMax = Math.max(curMax, len);
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}
