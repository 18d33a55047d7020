// BERT encoder (Devlin et al. 2019), as all-MiniLM-L6-v2 runs it, written the way llm.c
// writes GPT-2: a parameter table named by checkpoint keys, one function per sublayer,
// forward composed in order.
//
// Legend: B batch, T tokens, C channels (hidden size), H heads, D = C/H head size,
// F feed-forward size (intermediate_size), V vocabulary, N packed tokens (a batch's real tokens, no padding).
import {
  attention,
  arange,
  cat,
  dropout,
  embedding,
  layerNorm,
  linear,
  packedAttention,
  type Precision,
  type Tensor,
} from '../engine/index.ts';
import { UserError } from '../errors.ts';
import type { BertConfig } from './config.ts';
import { InferenceLinears, isInference } from './inference-linears.ts';

/**
 * A batch's sequences without padding: their real tokens one after another. A sequence of
 * L tokens has positions 0..L-1. ids, positions [N] int64 (N = sum of lengths).
 */
export interface PackedTokens {
  ids: Tensor;
  positions: Tensor;
  lengths: number[];
}

/** A low-rank update added to a linear layer's output (LoRA); keyed by module name. */
export type LinearAdapter = (x: Tensor) => Tensor;

/** Every parameter BertModel has, with its shape, named exactly as in HF checkpoints. */
export function bertParameterShapes(c: BertConfig): Map<string, number[]> {
  const C = c.hiddenSize;
  const F = c.intermediateSize;
  const s = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocabSize, C]], // [V, C]
    ['embeddings.position_embeddings.weight', [c.maxPositions, C]], // [P, C]
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, C]],
    ['embeddings.LayerNorm.weight', [C]],
    ['embeddings.LayerNorm.bias', [C]],
  ]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) {
      s.set(`${p}.attention.self.${m}.weight`, [C, C]); // [C_out, C_in]
      s.set(`${p}.attention.self.${m}.bias`, [C]);
    }
    s.set(`${p}.attention.output.dense.weight`, [C, C]);
    s.set(`${p}.attention.output.dense.bias`, [C]);
    s.set(`${p}.attention.output.LayerNorm.weight`, [C]);
    s.set(`${p}.attention.output.LayerNorm.bias`, [C]);
    s.set(`${p}.intermediate.dense.weight`, [F, C]);
    s.set(`${p}.intermediate.dense.bias`, [F]);
    s.set(`${p}.output.dense.weight`, [C, F]);
    s.set(`${p}.output.dense.bias`, [C]);
    s.set(`${p}.output.LayerNorm.weight`, [C]);
    s.set(`${p}.output.LayerNorm.bias`, [C]);
  }
  return s;
}

/** Names that checkpoints carry but the encoder does not use. */
function ignorable(name: string): boolean {
  return name === 'embeddings.position_ids' || name.startsWith('pooler.') || name.startsWith('cls.');
}

export class Bert {
  readonly adapters = new Map<string, LinearAdapter>();
  /** Dropout active (training) or not (inference). */
  training = false;
  /**
   * The precision of the linear layers in inference (no grad, CPU): fp32 on the path the
   * engine's probe chose, bf16 or int8. Training and autograd always run fp32.
   */
  precision: Precision = 'fp32';
  private prepared: InferenceLinears | null = null;
  /** How many times the inference linears were prepared: once per weights and precision, not per batch. */
  preparedBuilds = 0;
  /** The prepared linears of this forward (null: plain fp32 linears with autograd). */
  private active: InferenceLinears | null = null;

  private constructor(
    readonly config: BertConfig,
    readonly params: Map<string, Tensor>,
  ) {}

  /**
   * Builds the model from checkpoint tensors; checks that every parameter is present with
   * the shape config.json implies. A `bert.` prefix (BertForX checkpoints) is stripped.
   */
  static fromWeights(config: BertConfig, weights: Map<string, Tensor>, source = 'weights'): Bert {
    const byName = new Map<string, Tensor>();
    for (const [k, t] of weights) byName.set(k.startsWith('bert.') ? k.slice(5) : k, t);
    const params = new Map<string, Tensor>();
    for (const [name, shape] of bertParameterShapes(config)) {
      const t = byName.get(name);
      if (!t)
        throw new UserError(
          `${source}: missing tensor '${name}' (is this a BERT checkpoint matching its config.json?)`,
        );
      if (t.shape.join(',') !== shape.join(',')) {
        throw new UserError(`${source}: tensor '${name}' has shape [${t.shape}] but config.json implies [${shape}]`);
      }
      if (!['float32', 'float16', 'bfloat16', 'float64'].includes(t.dtype))
        throw new UserError(`${source}: tensor '${name}' is ${t.dtype}, not a floating-point weight`);
      params.set(name, t);
    }
    for (const [name, t] of byName)
      if (!params.has(name)) {
        if (!ignorable(name)) throw new UserError(`${source}: unexpected tensor '${name}' (not part of a BertModel)`);
        t.dispose();
      }
    return new Bert(config, params);
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  }

  get device(): string {
    return this.p('embeddings.LayerNorm.weight').device;
  }

  /**
   * y = x W^T + b (+ the adapter's low-rank term when one is attached to this module), then
   * gelu when asked (fused into the GEMM on oneDNN's path). `keepBf16`: a bf16 linear's output
   * stays bf16 (for the next linear only: everything else takes fp32).
   */
  dense(module: string, x: Tensor, activation: 'none' | 'gelu' = 'none', keepBf16 = false): Tensor {
    const adapter = this.adapters.get(module);
    if (this.active && !adapter) return this.active.get(module).apply(x, activation, keepBf16);
    const base = this.active
      ? this.active.get(module).apply(x)
      : linear(x, this.p(`${module}.weight`), this.p(`${module}.bias`));
    const y = adapter ? base.add(adapter(x)) : base;
    return activation === 'gelu' ? y.gelu() : y;
  }

  /** The prepared linears for an inference forward, rebuilt when the weights moved. */
  private inferenceLinears(): InferenceLinears | null {
    if (!isInference(this.training, this.device)) return null;
    const p = (name: string) => this.p(name);
    if (this.prepared?.fresh(this.precision, p)) return this.prepared;
    this.prepared?.dispose();
    this.prepared = InferenceLinears.build(this.precision, this.config.numLayers, p);
    this.preparedBuilds++;
    return this.prepared;
  }

  /** Frees the prepared inference copies of the weights (they come back at the next inference). */
  releaseInference(): void {
    this.prepared?.dispose();
    this.prepared = null;
  }

  layerNorm(module: string, x: Tensor): Tensor {
    return layerNorm(x, this.p(`${module}.weight`), this.p(`${module}.bias`), this.config.layerNormEps);
  }

  dropout(x: Tensor, p: number): Tensor {
    return this.training && p > 0 ? dropout(x, p, true) : x;
  }

  /** x = LN(E_word[ids] + E_pos[0..T) + E_type[0]); ids [B, T] int64 -> [B, T, C] */
  embeddings(ids: Tensor): Tensor {
    const T = ids.shape[1]!;
    if (T > this.config.maxPositions)
      throw new UserError(`sequence of ${T} tokens exceeds max_position_embeddings ${this.config.maxPositions}`);
    return this.embedTokens(ids, arange(0, T, 1, { device: ids.device })); // [B, T, C]
  }

  /** The same per token: ids [..] with positions broadcast to them -> [.., C] */
  private embedTokens(ids: Tensor, positions: Tensor): Tensor {
    const word = embedding(this.p('embeddings.word_embeddings.weight'), ids); // [B, T, C] or [N, C]
    const pos = embedding(this.p('embeddings.position_embeddings.weight'), positions); // [T, C] or [N, C]
    const type = this.p('embeddings.token_type_embeddings.weight').slice(0, 0, 1); // [1, C]: single segment
    const x = word.add(pos).add(type);
    return this.dropout(this.layerNorm('embeddings.LayerNorm', x), this.config.hiddenDropout);
  }

  /**
   * Multi-head self-attention: softmax(Q K^T / sqrt(D) + M) V, heads concatenated.
   * Q, K and V come from one fused [3C, C] projection (one GEMM instead of three); a LoRA
   * adapter on query or value adds its low-rank term to that slice.
   * x [B, T, C], maskBias [B, 1, 1, T] (0 for tokens, a large negative for padding) -> [B, T, C]
   */
  selfAttention(l: number, x: Tensor, maskBias: Tensor): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const H = this.config.numHeads;
    const D = C / H;
    const heads = (y: Tensor) => y.reshape([B, T, H, D]).permute([0, 2, 1, 3]); // [B, H, T, D]
    const [q, k, v] = this.queryKeyValue(l, x); // [B, T, C] each
    const ctx = attention(
      heads(q),
      heads(k),
      heads(v),
      maskBias,
      1 / Math.sqrt(D),
      this.config.attentionDropout,
      this.training,
    ); // [B, H, T, D]
    return ctx.permute([0, 2, 1, 3]).reshape([B, T, C]); // [B, T, C]
  }

  /** Self-attention over packed sequences: x [N, C] -> [N, C], each sequence attending to itself. */
  packedSelfAttention(l: number, x: Tensor, lengths: readonly number[]): Tensor {
    const H = this.config.numHeads;
    // bf16 linears: Q, K, V stay bf16 and so does the context, which only the next linear reads
    // (no casts; attention's matmuls in bf16 with fp32 accumulation, logits scaled in bf16, then softmax)
    const [q, k, v] = this.queryKeyValue(l, x, this.adapters.size === 0); // [N, C] each
    const D = x.shape[1]! / H;
    return packedAttention(q, k, v, lengths, H, 1 / Math.sqrt(D), this.config.attentionDropout, this.training);
  }

  /**
   * Q, K, V [.., C] of x [.., C] from the fused projection, with the LoRA terms on query / value
   * (`keepBf16`: bf16 out of a bf16 linear, for callers without adapters).
   */
  private queryKeyValue(l: number, x: Tensor, keepBf16 = false): [Tensor, Tensor, Tensor] {
    const C = x.shape[x.rank - 1]!;
    const m = `encoder.layer.${l}.attention.self`;
    const qkv = this.active ? this.active.get(`${m}.qkv`).apply(x, 'none', keepBf16) : this.qkvLinear(m, x); // [.., 3C]
    const part = (i: number, name: string): Tensor => {
      const y = qkv.slice(x.rank - 1, i * C, (i + 1) * C); // [.., C]
      const adapter = this.adapters.get(`${m}.${name}`);
      return adapter ? y.add(adapter(x)) : y;
    };
    return [part(0, 'query'), part(1, 'key'), part(2, 'value')];
  }

  /** x [.., C] -> [.., 3C] through the fused query/key/value weight [3C, C] (autograd path). */
  private qkvLinear(m: string, x: Tensor): Tensor {
    const w = cat([this.p(`${m}.query.weight`), this.p(`${m}.key.weight`), this.p(`${m}.value.weight`)], 0); // [3C, C]
    const b = cat([this.p(`${m}.query.bias`), this.p(`${m}.key.bias`), this.p(`${m}.value.bias`)], 0); // [3C]
    return linear(x, w, b);
  }

  /** One transformer layer (post-LN): a = LN(x + Attn(x)); y = LN(a + W2 gelu(W1 a)). */
  layer(l: number, x: Tensor, maskBias: Tensor): Tensor {
    return this.afterAttention(l, x, this.selfAttention(l, x, maskBias));
  }

  /** The layer from its attention context on: token-wise, so the same for [B, T, C] and packed [N, C]. */
  private afterAttention(l: number, x: Tensor, context: Tensor): Tensor {
    const p = `encoder.layer.${l}`;
    const attn = this.dense(`${p}.attention.output.dense`, context); // [B, T, C]
    const a = this.layerNorm(`${p}.attention.output.LayerNorm`, x.add(this.dropout(attn, this.config.hiddenDropout)));
    // h stays bf16 on the bf16 path when no adapter sits on output.dense (its only reader)
    const h = this.dense(`${p}.intermediate.dense`, a, 'gelu', !this.adapters.has(`${p}.output.dense`)); // [B, T, F]
    const out = this.dense(`${p}.output.dense`, h); // [B, T, C]
    return this.layerNorm(`${p}.output.LayerNorm`, a.add(this.dropout(out, this.config.hiddenDropout)));
  }

  /** ids [B, T] int64, mask [B, T] float (1 token, 0 padding) -> hidden states [B, T, C] */
  forward(ids: Tensor, mask: Tensor): Tensor {
    const [B, T] = ids.shape as [number, number];
    // 0 where attended, -1e30 where padded: exp() of it is exactly 0 after softmax.
    const maskBias = mask.sub(1).mul(1e30).reshape([B, 1, 1, T]);
    this.active = this.inferenceLinears();
    try {
      let x = this.embeddings(ids);
      for (let l = 0; l < this.config.numLayers; l++) x = this.layer(l, x, maskBias);
      return x;
    } finally {
      this.active = null;
    }
  }

  /**
   * The same encoder without padding: every token-wise step (embeddings, linear layers, layer
   * norms, FFN) runs on the batch's real tokens only, attention per sequence. -> [N, C]
   */
  forwardPacked(tokens: PackedTokens): Tensor {
    const longest = Math.max(...tokens.lengths);
    if (longest > this.config.maxPositions)
      throw new UserError(`sequence of ${longest} tokens exceeds max_position_embeddings ${this.config.maxPositions}`);
    this.active = this.inferenceLinears();
    try {
      let x = this.embedTokens(tokens.ids, tokens.positions); // [N, C]
      for (let l = 0; l < this.config.numLayers; l++)
        x = this.afterAttention(l, x, this.packedSelfAttention(l, x, tokens.lengths));
      return x;
    } finally {
      this.active = null;
    }
  }
}
