// A linear layer prepared for inference in one numeric precision:
//   fp32-mkl     y = x W^T + b through libtorch's linear (MKL / OpenBLAS sgemm)
//   fp32-onednn  the same in fp32 on a weight prepacked in oneDNN's blocked layout
//   bf16         bf16 inputs and prepacked bf16 weight (fp32 accumulation), fp32 out
//   int8         int8 weight (symmetric per output channel) and activations quantized per call:
//                by ftlab for oneDNN's qlinear_pointwise where libtorch has it (selfQuantizes),
//                else by libtorch's quantized::linear_dynamic (fbgemm / oneDNN / x86)
// The prepared copies are owned here (kept out of tidy scopes) and freed by dispose().
import { native } from './native.ts';
import { keep, tidy } from './scope.ts';
import { linear, ones, type Tensor } from './tensor.ts';
import { Tensor as T } from './tensor.ts';

export type Precision = 'fp32' | 'bf16' | 'int8';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'int8'];

/** How one linear layer is computed. */
export type LinearKernel =
  | { kind: 'fp32-mkl' }
  | { kind: 'fp32-onednn' }
  | { kind: 'bf16' }
  | { kind: 'int8'; engine: string; reduceRange: boolean };

/** The kernel's name in path lines, probe figures and cache identities: int8 names its libtorch op's engine, and 'qlinear' where ftlab quantizes the activations. */
export function kernelName(k: LinearKernel): string {
  if (k.kind !== 'int8') return k.kind;
  return `int8-${k.engine}${selfQuantizes(k) ? '-qlinear' : ''}${k.reduceRange ? ' (7-bit activations)' : ''}`;
}

/**
 * Whether an int8 kernel quantizes the activations in ftlab (native/precision.cc,
 * selfQuantizedLinear) and runs libtorch's onednn::qlinear_pointwise on them: on oneDNN's engine
 * where libtorch has that op. Otherwise libtorch's quantized::linear_dynamic quantizes them.
 */
export function selfQuantizes(kernel: LinearKernel): boolean {
  if (kernel.kind !== 'int8' || kernel.engine !== 'onednn') return false;
  qlinearRuns ??= tryQlinear();
  return qlinearRuns;
}
let qlinearRuns: boolean | undefined;

/** One tiny call, once a process: the op's name alone does not say its arguments are the ones passed (2.13's). */
function tryQlinear(): boolean {
  if (!native.hasOp('onednn::qlinear_pointwise')) return false;
  return tidy(() => {
    let packed: number | null = null;
    try {
      packed = native.quantizeLinear(ones([4, 16]).handle, null, 'onednn', true);
      new T(native.quantizedLinear(ones([2, 16]).handle, packed, false, 'onednn')).dispose();
      return true;
    } catch {
      return false;
    } finally {
      if (packed !== null) native.disposePacked(packed);
    }
  });
}

export interface PrepareOptions {
  batchHint?: number;
  inputScale?: Tensor;
  outlierChannels?: number;
}

export class PreparedLinear {
  /** 1 / inputScale [in], applied to x before the GEMM (null: none). */
  private inverseScale: Tensor | null = null;
  /** int8: input channels per call computed in fp32, from this copy of the weight [out, in] (null: none). */
  private outliers: { channels: number; weight: Tensor } | null = null;

  private constructor(
    readonly kernel: LinearKernel,
    private readonly w: Tensor | null,
    private readonly b: Tensor | null,
    private readonly packedId: number | null,
  ) {}

  /**
   * w [out, in], b [out] | null. Options: `batchHint` rows per call for oneDNN's blocking;
   * `inputScale` [in] (SmoothQuant's migration): the weight's columns are multiplied by it before
   * packing and x divided by it per call, the same product with the input's outlier channels moved
   * into the weight, where int8's per-channel scales hold them better than a per-tensor activation
   * scale; `outlierChannels` (int8): that many input channels, those of largest |x| in each call,
   * are kept out of int8 and multiplied in fp32 (LLM.int8()'s decomposition; native/precision.cc
   * sets them to the zero point in its uint8 copy of x, or on libtorch's dynamic path zeroes them
   * in x during the call and restores them: x reads the same after it either way).
   */
  static prepare(kernel: LinearKernel, w: Tensor, b: Tensor | null, opts: PrepareOptions = {}): PreparedLinear {
    const { batchHint = 2048, inputScale, outlierChannels = 0 } = opts;
    if (outlierChannels > 0 && (kernel.kind !== 'int8' || inputScale))
      throw new Error('outlier channels apply to an int8 kernel without an input scale');
    if (!inputScale) {
      const lin = PreparedLinear.pack(kernel, w, b, batchHint);
      if (outlierChannels > 0) {
        const weight = keep(w.dtype === 'float32' ? w.clone() : w.cast('float32')); // a copy, as the other kernels keep
        lin.outliers = { channels: outlierChannels, weight };
      }
      return lin;
    }
    const row = inputScale.unsqueeze(0); // [1, in]
    const scaled = w.mul(row); // [out, in]
    const inverse = inputScale.pow(-1);
    // a self-quantizing int8 kernel divides x while it quantizes it; the others need x / scale first
    const folded = selfQuantizes(kernel);
    const lin = PreparedLinear.pack(kernel, scaled, b, batchHint, folded ? inverse : undefined);
    scaled.dispose();
    row.dispose();
    if (folded) inverse.dispose();
    else lin.inverseScale = keep(inverse);
    return lin;
  }

  private static pack(
    kernel: LinearKernel,
    w: Tensor,
    b: Tensor | null,
    batchHint: number,
    inverseScale?: Tensor,
  ): PreparedLinear {
    switch (kernel.kind) {
      case 'fp32-mkl':
        return new PreparedLinear(kernel, keep(w.clone()), b ? keep(b.clone()) : null, null);
      case 'fp32-onednn':
        return new PreparedLinear(
          kernel,
          keep(new T(native.packLinearWeight(w.handle, batchHint))),
          b ? keep(b.clone()) : null,
          null,
        );
      case 'bf16': {
        const wb = w.cast('bfloat16');
        const packed = keep(new T(native.packLinearWeight(wb.handle, batchHint)));
        wb.dispose();
        return new PreparedLinear(kernel, packed, b ? keep(b.cast('bfloat16')) : null, null);
      }
      case 'int8':
        return new PreparedLinear(
          kernel,
          null,
          null,
          native.quantizeLinear(
            w.handle,
            b?.handle ?? null,
            kernel.engine,
            selfQuantizes(kernel),
            inverseScale?.handle,
          ),
        );
    }
  }

  /**
   * y = x W^T + b, then gelu when asked (fused into the GEMM where oneDNN does it); x [.., in] fp32
   * (or bf16 for the bf16 kernel). `keepBf16`: the bf16 kernel returns its bf16 output as is, for
   * a next bf16 linear to take without two casts (bf16 -> fp32 -> bf16 is exact, so the same numbers).
   * Rows go in as they are: length-sorted batches give oneDNN a new row count almost every batch,
   * and compiling its kernel for each costs less than copying the rows into a padded buffer
   * (measured 2026-12-06, first pass over 2,000 pool passages, tokens/s without the padding: bf16 +5%,
   * int8 +2-7%, fp32 +1.5%).
   */
  apply(x: Tensor, activation: 'none' | 'gelu' = 'none', keepBf16 = false): Tensor {
    if (this.inverseScale) {
      const scaled = x.mul(this.inverseScale);
      const y = this.applyUnscaled(scaled, activation, keepBf16);
      scaled.dispose(); // never returned: freed now, not at the batch's end
      return y;
    }
    return this.applyUnscaled(x, activation, keepBf16);
  }

  private applyUnscaled(x: Tensor, activation: 'none' | 'gelu', keepBf16: boolean): Tensor {
    if (this.kernel.kind === 'fp32-mkl' || x.shape.length === 2) return this.run(x, activation, keepBf16);
    const shape = x.shape;
    const y = this.run(x.reshape([-1, shape[shape.length - 1]!]), activation, keepBf16); // [rows, out]
    return y.reshape([...shape.slice(0, -1), y.shape[1]!]);
  }

  private run(x: Tensor, activation: 'none' | 'gelu', keepBf16: boolean): Tensor {
    const k = this.kernel;
    if (k.kind === 'int8') {
      const o = this.outliers;
      const y = new T(
        native.quantizedLinear(x.handle, this.packedId!, k.reduceRange, k.engine, o?.weight.handle, o?.channels ?? 0),
      );
      // in place: y is this call's own output (inference only), and a second [rows, out] buffer cost
      // ~0.6 ms a layer for the FFN's input layer (bench/encode-parts, int8, 2026-12-06); same numbers
      return activation === 'gelu' ? y.geluInPlace() : y;
    }
    if (k.kind === 'fp32-mkl') {
      const y = linear(x, this.w!, this.b);
      return activation === 'gelu' ? y.geluInPlace() : y;
    }
    if (k.kind === 'fp32-onednn')
      return new T(native.packedLinear(x.handle, this.w!.handle, this.b?.handle ?? null, activation));
    const xb = x.dtype === 'bfloat16' ? x : x.cast('bfloat16');
    const y = new T(native.packedLinear(xb.handle, this.w!.handle, this.b?.handle ?? null, activation));
    return keepBf16 ? y : y.cast('float32');
  }

  dispose(): void {
    this.inverseScale?.dispose();
    this.outliers?.weight.dispose();
    this.w?.dispose();
    this.b?.dispose();
    if (this.packedId !== null) native.disposePacked(this.packedId);
  }
}
