// The only module that loads the addon (as transformers.js keeps onnxruntime behind one
// backend file). Everything else in ftlab goes through ./tensor.ts.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** An opaque libtorch tensor handle (a key into the addon's tensor table). */
export type Handle = number & { readonly __handle: unique symbol };
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
export type NativeArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;
type H = Handle;
type Opt<T> = T | null;

/** The addon's C-shaped surface: one entry per op, plain arguments (native/ftlab_native.cc). */
export interface NativeEngine {
  fromArray(data: ArrayBufferView, shape: number[], dtype: DType): H;
  toArray(t: H): NativeArray;
  item(t: H): number;
  zeros(shape: number[], dtype: DType, device: string): H;
  ones(shape: number[], dtype: DType, device: string): H;
  full(shape: number[], value: number, dtype: DType, device: string): H;
  randn(shape: number[], dtype: DType, device: string): H;
  rand(shape: number[], dtype: DType, device: string): H;
  arange(start: number, end: number, step: number, dtype: DType, device: string): H;
  randperm(n: number): H;
  to(t: H, device: string, dtype: DType): H;
  clone(t: H): H;
  detach(t: H): H;
  contiguous(t: H): H;
  shape(t: H): number[];
  dtype(t: H): DType;
  device(t: H): string;
  dispose(t: H): void;
  isDisposed(t: H): boolean;
  liveTensors(): number;
  add(a: H, b: H): H;
  sub(a: H, b: H): H;
  mul(a: H, b: H): H;
  div(a: H, b: H): H;
  addScalar(a: H, s: number): H;
  mulScalar(a: H, s: number): H;
  powScalar(a: H, s: number): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  clamp(a: H, min: Opt<number>, max: Opt<number>): H;
  neg(a: H): H;
  exp(a: H): H;
  log(a: H): H;
  sqrt(a: H): H;
  rsqrt(a: H): H;
  abs(a: H): H;
  tanh(a: H): H;
  sigmoid(a: H): H;
  relu(a: H): H;
  gelu(a: H): H;
  eq(a: H, b: H): H;
  gt(a: H, b: H): H;
  lt(a: H, b: H): H;
  gtScalar(a: H, s: number): H;
  where(cond: H, a: H, b: H): H;
  maskedFill(a: H, mask: H, value: number): H;
  isFinite(a: H): boolean;
  sum(a: H, dims: Opt<number[]>, keepdim: boolean): H;
  mean(a: H, dims: Opt<number[]>, keepdim: boolean): H;
  max(a: H, dim: number, keepdim: boolean): H;
  argmax(a: H, dim: number, keepdim: boolean): H;
  norm(a: H, p: number, dims: Opt<number[]>, keepdim: boolean): H;
  logsumexp(a: H, dims: number[], keepdim: boolean): H;
  reshape(a: H, shape: number[]): H;
  transpose(a: H, d0: number, d1: number): H;
  permute(a: H, dims: number[]): H;
  unsqueeze(a: H, dim: number): H;
  squeeze(a: H, dim: number): H;
  expand(a: H, shape: number[]): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  slice(a: H, dim: number, start: number, end: number): H;
  indexSelect(a: H, dim: number, index: H): H;
  gather(a: H, dim: number, index: H): H;
  matmul(a: H, b: H): H;
  linear(x: H, w: H, b: Opt<H>): H;
  embedding(weight: H, ids: H): H;
  layerNorm(x: H, shape: number[], w: Opt<H>, b: Opt<H>, eps: number): H;
  softmax(a: H, dim: number): H;
  logSoftmax(a: H, dim: number): H;
  dropout(a: H, p: number, train: boolean): H;
  normalize(a: H, p: number, dim: number, eps: number): H;
  crossEntropy(logits: H, target: H): H;
  topk(a: H, k: number, dim: number, largest: boolean): [H, H];
  topkUpdate(values: H, indices: H, scores: H, offset: number): void;
  attention(q: H, k: H, v: H, maskBias: H, scale: number, dropoutP: number, train: boolean): H;
  // native/packed-attention.cc
  packedAttention(
    q: H,
    k: H,
    v: H,
    lengths: number[],
    heads: number,
    scale: number,
    dropoutP: number,
    train: boolean,
  ): H;
  /** The attention forward by hand (native/attention-kernel.cc): on (default) or libtorch's ops. */
  setFusedAttention(on: boolean): void;
  /** The instruction set of the hand-written kernel for head size D: 'avx512' | 'avx2' | '' (libtorch's path). */
  fusedAttentionIsa(headSize: number): string;
  addInPlace(a: H, b: H, alpha: number): void;
  mulScalarInPlace(a: H, s: number): void;
  addcmulInPlace(a: H, b: H, c: H, value: number): void;
  geluInPlace(a: H): void;
  addcdivInPlace(a: H, b: H, c: H, value: number): void;
  copyInPlace(a: H, b: H): void;
  zeroInPlace(a: H): void;
  /** libtorch 2.4+ only (absent otherwise): params, grads, m, v, lr, beta1, beta2, weight decay, eps, step. */
  fusedAdamW?(
    params: H[],
    grads: H[],
    m: H[],
    v: H[],
    lr: number,
    beta1: number,
    beta2: number,
    weightDecay: number,
    eps: number,
    step: number,
  ): void;
  setRequiresGrad(a: H, on: boolean): void;
  requiresGrad(a: H): boolean;
  backward(a: H, grad: Opt<H>): void;
  grad(a: H): H | null;
  clearGrad(a: H): void;
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  manualSeed(seed: number): void;
  getRngState(): H;
  setRngState(state: H): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  synchronize(): void;
  version(): string;
  parallelInfo(): string;
  showConfig(): string;
  // native/search.cc: returns [gemm, select] seconds summed over threads
  searchFold(
    values: H,
    indices: H,
    queries: H,
    docs: H,
    offset: number,
    rowsPerBlock: number,
    docsPerTile: number,
    bf16: boolean,
  ): [number, number];
  // native/precision.cc
  hasOp(qualifiedName: string): boolean;
  setMatmulPrecision(mode: 'highest' | 'high' | 'medium'): void;
  matmulPrecision(): 'highest' | 'high' | 'medium';
  tensorVersion(t: H): number;
  packLinearWeight(w: H, batchHint: Opt<number>): H;
  packedLinear(x: H, packed: H, b: Opt<H>, activation: 'none' | 'gelu'): H;
  quantEngines(): string[];
  /** A packed-weight handle (its own table; free with disposePacked). */
  quantizeLinear(w: H, b: Opt<H>, engine: string, selfQuantized?: boolean, inverseScale?: H): number;
  quantizedLinear(x: H, packed: number, reduceRange: boolean, engine: string, weight?: H, outliers?: number): H;
  disposePacked(packed: number): void;
  livePacked(): number;
  // c10d (native/distributed.cc): one process group per process
  distributedInfo(): { gloo: boolean; nccl: boolean };
  distInit(
    backend: string,
    host: string,
    port: number,
    rank: number,
    size: number,
    timeoutMs: number,
    local: number,
  ): void;
  distDestroy(): void;
  distAllReduce(t: H, op: string): void;
  distAllReduceMany(ts: H[], op: string): void;
  distAllGather(t: H): H;
  distBroadcast(t: H, root: number): void;
  distBarrier(): void;
  storeSet(key: string, value: string): void;
  storeGet(key: string): string;
  storeAdd(key: string, by: number): number;
  storeCheck(key: string): boolean;
}

/** The addon file: $FTLAB_ADDON (another build, e.g. the CI's libtorch 1.13 one), else native/build. */
export function addonPath(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return process.env.FTLAB_ADDON || join(root, 'native', 'build', 'Release', 'ftlab_native.node');
}

function load(): NativeEngine {
  const path = addonPath();
  if (!existsSync(path)) {
    const hint = process.env.FTLAB_ADDON
      ? 'FTLAB_ADDON names no file'
      : 'run scripts/setup.sh, or npm run build:native';
    throw new Error(`the native engine is not built (${path} is missing): ${hint}`);
  }
  return createRequire(import.meta.url)(path) as NativeEngine;
}

let loaded: NativeEngine | null = null;
const onLoad: ((engine: NativeEngine) => void)[] = [];

/** Runs fn once the addon is loaded (at once when it already is). */
export function whenLoaded(fn: (engine: NativeEngine) => void): void {
  if (loaded) fn(loaded);
  else onLoad.push(fn);
}

function engine(): NativeEngine {
  if (loaded) return loaded;
  loaded = load();
  for (const fn of onLoad.splice(0)) fn(loaded);
  return loaded;
}

// The addon (libtorch: ~1 s and ~300 MB) loads at the first op, not at import: commands that
// need no tensors (report, eval, compare, --help) never load it.
export const native: NativeEngine = new Proxy({} as NativeEngine, {
  get: (_target, key) => engine()[key as keyof NativeEngine],
});
