// The safe side of the engine: one Tensor object per libtorch handle.
// Ops return new tensors (registered with the open tidy() scope); in-place ops end in `_`.
import { native, type DType, type Handle, type NativeArray } from './native.ts';
import { track, type Disposable } from './scope.ts';

export type { DType, NativeArray } from './native.ts';
export type Device = string; // 'cpu' | 'cuda' | 'cuda:N'

// Backstop only: a Tensor garbage-collected without dispose() releases its native memory.
// Deterministic release is tidy()/dispose(); the registry forgets disposed tensors.
const finalizer = new FinalizationRegistry<Handle>((h) => native.dispose(h));

export class Tensor implements Disposable {
  #h: Handle;
  #disposed = false;

  constructor(h: Handle) {
    this.#h = h;
    finalizer.register(this, h, this);
    track(this);
  }

  /** The raw handle, for src/engine only. */
  get handle(): Handle {
    if (this.#disposed) throw new Error('tensor used after dispose()');
    return this.#h;
  }
  get disposed(): boolean {
    return this.#disposed;
  }
  dispose(): void {
    if (!this.#disposed) {
      native.dispose(this.#h);
      finalizer.unregister(this);
      this.#disposed = true;
    }
  }

  get shape(): number[] {
    return native.shape(this.handle);
  }
  get dtype(): DType {
    return native.dtype(this.handle);
  }
  get device(): Device {
    return native.device(this.handle);
  }
  /** libtorch's version counter: moves with every in-place change of the data. */
  get version(): number {
    return native.tensorVersion(this.handle);
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  // ---- data out -------------------------------------------------------------------------
  /**
   * The data as a JS-owned typed array (one memcpy; moved to CPU first when needed). Data
   * is copied both ways across the boundary: Node defers native finalizers to the event
   * loop, so views into libtorch memory would outlive their tensors in synchronous loops.
   */
  data(): NativeArray {
    return native.toArray(this.handle);
  }
  /** Float32 data as a plain typed array. */
  f32(): Float32Array {
    if (this.dtype === 'float32' && this.device === 'cpu') return native.toArray(this.handle) as Float32Array;
    const t = new Tensor(native.to(this.handle, 'cpu', 'float32'));
    try {
      return native.toArray(t.handle) as Float32Array;
    } finally {
      t.dispose();
    }
  }
  f64(): Float64Array {
    const t = new Tensor(native.to(this.handle, 'cpu', 'float64'));
    try {
      return native.toArray(t.handle) as Float64Array;
    } finally {
      t.dispose();
    }
  }
  i64(): BigInt64Array {
    const t = new Tensor(native.to(this.handle, 'cpu', 'int64'));
    try {
      return native.toArray(t.handle) as BigInt64Array;
    } finally {
      t.dispose();
    }
  }
  item(): number {
    return native.item(this.handle);
  }
  /** Nested JS arrays, for tests and small outputs. */
  toNested(): unknown {
    const flat = Array.from(this.f64());
    const shape = this.shape;
    const build = (dim: number, offset: number): unknown => {
      if (dim === shape.length) return flat[offset];
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  // ---- conversion -------------------------------------------------------------------------
  to(device: Device, dtype: DType = this.dtype): Tensor {
    return new Tensor(native.to(this.handle, device, dtype));
  }
  cast(dtype: DType): Tensor {
    return new Tensor(native.to(this.handle, this.device, dtype));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.handle));
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.handle));
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.handle));
  }

  // ---- elementwise ------------------------------------------------------------------------
  add(b: Tensor | number): Tensor {
    return new Tensor(typeof b === 'number' ? native.addScalar(this.handle, b) : native.add(this.handle, b.handle));
  }
  sub(b: Tensor | number): Tensor {
    return new Tensor(typeof b === 'number' ? native.addScalar(this.handle, -b) : native.sub(this.handle, b.handle));
  }
  mul(b: Tensor | number): Tensor {
    return new Tensor(typeof b === 'number' ? native.mulScalar(this.handle, b) : native.mul(this.handle, b.handle));
  }
  div(b: Tensor | number): Tensor {
    return new Tensor(typeof b === 'number' ? native.mulScalar(this.handle, 1 / b) : native.div(this.handle, b.handle));
  }
  pow(e: number): Tensor {
    return new Tensor(native.powScalar(this.handle, e));
  }
  maximum(b: Tensor): Tensor {
    return new Tensor(native.maximum(this.handle, b.handle));
  }
  minimum(b: Tensor): Tensor {
    return new Tensor(native.minimum(this.handle, b.handle));
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return new Tensor(native.clamp(this.handle, min, max));
  }
  neg(): Tensor {
    return new Tensor(native.neg(this.handle));
  }
  exp(): Tensor {
    return new Tensor(native.exp(this.handle));
  }
  log(): Tensor {
    return new Tensor(native.log(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(native.rsqrt(this.handle));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.handle));
  }
  relu(): Tensor {
    return new Tensor(native.relu(this.handle));
  }
  /** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)), as BERT's "gelu". */
  gelu(): Tensor {
    return new Tensor(native.gelu(this.handle));
  }
  eq(b: Tensor): Tensor {
    return new Tensor(native.eq(this.handle, b.handle));
  }
  gt(b: Tensor | number): Tensor {
    return new Tensor(typeof b === 'number' ? native.gtScalar(this.handle, b) : native.gt(this.handle, b.handle));
  }
  lt(b: Tensor): Tensor {
    return new Tensor(native.lt(this.handle, b.handle));
  }
  /** Where `mask` is true, `value`; else this. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(native.maskedFill(this.handle, mask.handle, value));
  }
  allFinite(): boolean {
    return native.isFinite(this.handle);
  }

  // ---- reductions -------------------------------------------------------------------------
  sum(dims: number | number[] | null = null, keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle, dimList(dims), keepdim));
  }
  mean(dims: number | number[] | null = null, keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle, dimList(dims), keepdim));
  }
  max(dim: number, keepdim = false): Tensor {
    return new Tensor(native.max(this.handle, dim, keepdim));
  }
  argmax(dim: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim, keepdim));
  }
  norm(p = 2, dims: number | number[] | null = null, keepdim = false): Tensor {
    return new Tensor(native.norm(this.handle, p, dimList(dims), keepdim));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor {
    return new Tensor(native.logsumexp(this.handle, dimList(dims)!, keepdim));
  }

  // ---- shape ------------------------------------------------------------------------------
  reshape(shape: number[]): Tensor {
    return new Tensor(native.reshape(this.handle, shape));
  }
  transpose(d0: number, d1: number): Tensor {
    return new Tensor(native.transpose(this.handle, d0, d1));
  }
  permute(dims: number[]): Tensor {
    return new Tensor(native.permute(this.handle, dims));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle, dim));
  }
  squeeze(dim: number): Tensor {
    return new Tensor(native.squeeze(this.handle, dim));
  }
  expand(shape: number[]): Tensor {
    return new Tensor(native.expand(this.handle, shape));
  }
  slice(dim: number, start: number, end: number): Tensor {
    return new Tensor(native.slice(this.handle, dim, start, end));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle, dim, index.handle));
  }

  // ---- linear algebra and nn --------------------------------------------------------------
  matmul(b: Tensor): Tensor {
    return new Tensor(native.matmul(this.handle, b.handle));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.handle, dim));
  }
  /** x / max(||x||_p, eps) along dim, as torch.nn.functional.normalize. */
  normalize(p = 2, dim = -1, eps = 1e-12): Tensor {
    return new Tensor(native.normalize(this.handle, p, dim, eps));
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }

  // ---- in-place (optimisers) ----------------------------------------------------------------
  /** this += alpha * b */
  addInPlace(b: Tensor, alpha = 1): this {
    native.addInPlace(this.handle, b.handle, alpha);
    return this;
  }
  mulInPlace(s: number): this {
    native.mulScalarInPlace(this.handle, s);
    return this;
  }
  /** this = gelu(this) (exact), for a fresh activation nothing else reads. */
  geluInPlace(): this {
    native.geluInPlace(this.handle);
    return this;
  }
  /** this += value * b * c */
  addcmulInPlace(b: Tensor, c: Tensor, value: number): this {
    native.addcmulInPlace(this.handle, b.handle, c.handle, value);
    return this;
  }
  /** this += value * b / c */
  addcdivInPlace(b: Tensor, c: Tensor, value: number): this {
    native.addcdivInPlace(this.handle, b.handle, c.handle, value);
    return this;
  }
  copyFrom(b: Tensor): this {
    native.copyInPlace(this.handle, b.handle);
    return this;
  }
  zeroInPlace(): this {
    native.zeroInPlace(this.handle);
    return this;
  }

  // ---- autograd -----------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  setRequiresGrad(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  backward(grad?: Tensor): void {
    native.backward(this.handle, grad ? grad.handle : null);
  }
  /** The accumulated gradient (a new handle on it), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  clearGrad(): void {
    native.clearGrad(this.handle);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device})`;
  }
}

function dimList(dims: number | number[] | null): number[] | null {
  return dims === null ? null : typeof dims === 'number' ? [dims] : dims;
}

// ---- creation -----------------------------------------------------------------------------

type Numeric = ArrayLike<number> | Float32Array | Float64Array;

function inferShape(data: ArrayLike<unknown>, shape?: number[]): number[] {
  return shape ?? [data.length];
}

export function tensor(
  data: Numeric | BigInt64Array | Int32Array | Uint8Array | Uint16Array,
  shape?: number[],
  dtype?: DType,
): Tensor {
  const s = inferShape(data, shape);
  let view: ArrayBufferView;
  let dt: DType;
  if (data instanceof Float32Array) {
    view = data;
    dt = 'float32';
  } else if (data instanceof Float64Array) {
    view = data;
    dt = 'float64';
  } else if (data instanceof BigInt64Array) {
    view = data;
    dt = 'int64';
  } else if (data instanceof Int32Array) {
    view = data;
    dt = 'int32';
  } else if (data instanceof Uint16Array) {
    view = data;
    dt = dtype ?? 'float16';
  } else if (data instanceof Uint8Array) {
    view = data;
    dt = dtype === 'bool' ? 'bool' : 'uint8';
  } else {
    view = Float32Array.from(data as ArrayLike<number>);
    dt = 'float32';
  }
  const t = new Tensor(native.fromArray(view, s, dt));
  if (dtype && dtype !== dt && !(dt === 'float16' && dtype === 'bfloat16') && !(dt === 'uint8' && dtype === 'bool')) {
    const c = t.cast(dtype);
    t.dispose();
    return c;
  }
  return t;
}

/** A tensor from raw little-endian bytes (safetensors payloads, .npy bodies). */
export function fromBytes(bytes: Uint8Array, shape: number[], dtype: DType): Tensor {
  return new Tensor(native.fromArray(bytes, shape, dtype));
}

export function int64(values: ArrayLike<number>, shape?: number[]): Tensor {
  const a = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]!);
  return new Tensor(native.fromArray(a, inferShape(values, shape), 'int64'));
}

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
}
export function zeros(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(native.zeros(shape, o.dtype ?? 'float32', o.device ?? 'cpu'));
}
export function ones(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(native.ones(shape, o.dtype ?? 'float32', o.device ?? 'cpu'));
}
export function full(shape: number[], value: number, o: CreateOptions = {}): Tensor {
  return new Tensor(native.full(shape, value, o.dtype ?? 'float32', o.device ?? 'cpu'));
}
export function randn(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(native.randn(shape, o.dtype ?? 'float32', o.device ?? 'cpu'));
}
export function rand(shape: number[], o: CreateOptions = {}): Tensor {
  return new Tensor(native.rand(shape, o.dtype ?? 'float32', o.device ?? 'cpu'));
}
export function arange(start: number, end: number, step = 1, o: CreateOptions = {}): Tensor {
  return new Tensor(native.arange(start, end, step, o.dtype ?? 'int64', o.device ?? 'cpu'));
}
/**
 * Running top-k in place (CPU, float32): folds each row of `scores` [Q, N] into `values` [Q, k]
 * (descending) and `indices` [Q, k] (int64), column j counting as index `offset + j`.
 */
export function topkUpdate(values: Tensor, indices: Tensor, scores: Tensor, offset: number): void {
  native.topkUpdate(values.handle, indices.handle, scores.handle, offset);
}
/** How searchFold computes scores: GEMM tile sizes and the optional bf16 scan. */
export interface SearchFoldOptions {
  rowsPerBlock: number; // query rows per GEMM
  docsPerTile: number; // documents per GEMM (a [rowsPerBlock, docsPerTile] score tile stays in cache)
  /** Score in bf16; documents within the bf16 error bound of a query's k-th best are re-scored in fp32. */
  bf16: boolean;
}

/**
 * Fused exact search step (CPU, float32): folds documents `docs` [N, C] (index offset + j)
 * into each query's running top-k `values` / `indices` [Q, k], in place; see native/search.cc.
 * Returns the seconds summed over threads spent in the GEMMs and in selection.
 */
export function searchFold(
  values: Tensor,
  indices: Tensor,
  queries: Tensor,
  docs: Tensor,
  offset: number,
  o: SearchFoldOptions,
): { gemmSeconds: number; selectSeconds: number } {
  const [gemm, select] = native.searchFold(
    values.handle,
    indices.handle,
    queries.handle,
    docs.handle,
    offset,
    o.rowsPerBlock,
    o.docsPerTile,
    o.bf16,
  );
  return { gemmSeconds: gemm, selectSeconds: select };
}
export function cat(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(
    native.cat(
      ts.map((t) => t.handle),
      dim,
    ),
  );
}
export function stack(ts: Tensor[], dim = 0): Tensor {
  return new Tensor(
    native.stack(
      ts.map((t) => t.handle),
      dim,
    ),
  );
}
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return new Tensor(native.where(cond.handle, a.handle, b.handle));
}

// ---- nn functions (the ops a BERT forward and backward need) -------------------------------

/** y = x w^T + b; x [.., in], w [out, in], b [out] */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  return new Tensor(native.linear(x.handle, w.handle, b ? b.handle : null));
}
/** rows of weight [V, C] picked by integer ids [..] -> [.., C] */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return new Tensor(native.embedding(weight.handle, ids.handle));
}
export function layerNorm(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  const last = x.shape[x.rank - 1]!;
  return new Tensor(native.layerNorm(x.handle, [last], w ? w.handle : null, b ? b.handle : null, eps));
}
export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  return new Tensor(native.dropout(x.handle, p, train));
}
/** Mean cross-entropy of logits [N, K] against class indices [N] (int64). */
export function crossEntropy(logits: Tensor, target: Tensor): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle));
}

/**
 * Scaled dot-product attention, fused: softmax(Q K^T * scale + maskBias) V, with dropout p on
 * the probabilities when training. q, k, v [B, H, T, D]; maskBias [B, 1, 1, T] -> [B, H, T, D]
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  maskBias: Tensor,
  scale: number,
  dropoutP = 0,
  train = false,
): Tensor {
  return new Tensor(native.attention(q.handle, k.handle, v.handle, maskBias.handle, scale, dropoutP, train));
}

/**
 * Attention over packed sequences: q, k, v [N, C] hold the real tokens of sequences of the given
 * lengths one after another (sum = N); each sequence attends only to its own tokens, per head
 * (H heads of C/H channels): softmax(Q_s K_s^T * scale) V_s, dropout p on the probabilities
 * when training. No padding, no mask. -> [N, C]
 */
export function packedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  lengths: readonly number[],
  heads: number,
  scale: number,
  dropoutP = 0,
  train = false,
): Tensor {
  return new Tensor(native.packedAttention(q.handle, k.handle, v.handle, [...lengths], heads, scale, dropoutP, train));
}
