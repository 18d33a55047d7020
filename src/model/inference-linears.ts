// A BERT's linear layers prepared for inference in one precision (src/engine/prepared-linear.ts):
// the fused [3C, C] query/key/value projection and the three dense layers of every layer,
// packed once and reused across batches.
// int8 is a recipe, chosen by cosine to fp32 over pool passages (never by test nDCG); every
// linear layer runs int8, and:
//   - the FFN's output layer keeps, per call, the OUTLIER_CHANNELS input channels of largest |x|
//     out of int8 and multiplies them in fp32 (LLM.int8()'s decomposition). Its input is GELU's
//     output, where one or two channels per layer reach 10-25 against ~2 for the median channel
//     (measured on 256 pool passages), and a per-tensor activation scale sized for them rounds the
//     rest away. Cosine mean over 1,000 pool passages: every layer plain int8 0.9951, this 0.9973
//     (recipe 2, that layer in bf16: 0.9979, but 1.4x its time); SmoothQuant's migration there made it
//     worse (0.983, calibrated), since one column's scale then sets every output row's weight scale;
//   - the layers fed by a LayerNorm (query/key/value, the FFN's input layer) take SmoothQuant's
//     migration (alpha 0.5) with each channel's range read off the LayerNorm, |gamma| 3 + |beta|
//     (a heuristic: LayerNorm's normalised values are of order 1), so no calibration data.
//
// The set is stale once a weight changes (training steps, a LoRA merge, a checkpoint load): it
// remembers each weight's tensor and version counter and is rebuilt when either moves.
import {
  cat,
  isGradEnabled,
  kernelName,
  linearKernelFor,
  PreparedLinear,
  tidy,
  type LinearKernel,
  type PrepareOptions,
  type Precision,
  type Tensor,
} from '../engine/index.ts';

/** The FFN output layer's input channels kept out of int8 per call (see above; 2: the most that were outliers in a layer). */
export const OUTLIER_CHANNELS = 2;
export const DENSE_MODULES = ['attention.output.dense', 'intermediate.dense', 'output.dense'] as const;
const QKV = ['query', 'key', 'value'] as const;

export class InferenceLinears {
  private constructor(
    readonly precision: Precision,
    private readonly kernel: string,
    private readonly linears: Map<string, PreparedLinear>,
    private readonly sources: { name: string; t: Tensor; version: number }[],
  ) {}

  /** Prepared copies of every layer's linears; `p` looks a parameter up by checkpoint key. */
  static build(precision: Precision, numLayers: number, p: (name: string) => Tensor): InferenceLinears {
    const kernel = linearKernelFor(precision);
    const int8 = precision === 'int8';
    const linears = new Map<string, PreparedLinear>();
    const sources: { name: string; t: Tensor; version: number }[] = [];
    const use = (name: string): Tensor => {
      const t = p(name);
      sources.push({ name, t, version: t.version });
      return t;
    };
    /** SmoothQuant's per-input-channel scale for a weight fed by LayerNorm `ln`: sqrt(range / max |w|). */
    const smoothing = (ln: string, w: Tensor): Tensor => {
      const range = use(`${ln}.weight`)
        .abs()
        .mul(3)
        .add(use(`${ln}.bias`).abs()); // [C]
      return range.div(w.abs().max(0).clamp(1e-8)).sqrt().clamp(1e-4); // [C]
    };
    /** What int8 adds to a module's kernel: the LayerNorm its smoothing reads, or its outlier channels. */
    const plan = (module: string, l: number): PrepareOptions & { ln?: string } => {
      if (!int8 || module === 'attention.output.dense') return {};
      if (module === 'qkv') return { ln: l === 0 ? 'embeddings.LayerNorm' : `encoder.layer.${l - 1}.output.LayerNorm` };
      if (module === 'intermediate.dense') return { ln: `encoder.layer.${l}.attention.output.LayerNorm` };
      if (module === 'output.dense') return { outlierChannels: OUTLIER_CHANNELS };
      throw new Error(`no int8 plan for ${module}`);
    };
    const prepare = (module: string, l: number, w: Tensor, b: Tensor): PreparedLinear => {
      const { ln, ...opts } = plan(module, l);
      return PreparedLinear.prepare(kernel, w, b, ln ? { ...opts, inputScale: smoothing(ln, w) } : opts);
    };
    for (let l = 0; l < numLayers; l++) {
      const m = `encoder.layer.${l}.attention.self`;
      // tidy: the fused weight and the smoothing scales are temporaries; PreparedLinear keeps its copies
      tidy(() => {
        const w = cat(
          QKV.map((n) => use(`${m}.${n}.weight`)),
          0,
        ); // [3C, C]
        const b = cat(
          QKV.map((n) => use(`${m}.${n}.bias`)),
          0,
        ); // [3C]
        linears.set(`${m}.qkv`, prepare('qkv', l, w, b));
        for (const d of DENSE_MODULES) {
          const name = `encoder.layer.${l}.${d}`;
          linears.set(name, prepare(d, l, use(`${name}.weight`), use(`${name}.bias`)));
        }
      });
    }
    return new InferenceLinears(precision, kernelLabel(precision), linears, sources);
  }

  /**
   * Still what a forward in `precision` would build: the same kernel (the fp32 path can be
   * forced), and each weight the same tensor with no in-place change since.
   */
  fresh(precision: Precision, p: (name: string) => Tensor): boolean {
    return (
      precision === this.precision &&
      kernelLabel(precision) === this.kernel &&
      this.sources.every((s) => !s.t.disposed && s.t.version === s.version && p(s.name) === s.t)
    );
  }

  get(module: string): PreparedLinear {
    const l = this.linears.get(module);
    if (!l) throw new Error(`no prepared linear ${module}`);
    return l;
  }

  dispose(): void {
    for (const l of this.linears.values()) l.dispose();
    this.linears.clear();
  }
}

/** Inference (no autograd, no dropout) on CPU: where prepared linears apply. */
export function isInference(training: boolean, device: string): boolean {
  return !training && device === 'cpu' && !isGradEnabled();
}

/**
 * What a precision's linears are computed with now (the fp32 path can be forced, bf16 may be
 * missing): part of a cached embedding's identity, since each gives other numbers. The int8
 * recipe's number moves with its arithmetic: 2 had the FFN output layers in bf16 (2026-12-06),
 * 3 is the above; the kernel's name says who quantizes the activations (int8-onednn-qlinear: ftlab).
 */
export function kernelLabel(precision: Precision): string {
  let k: LinearKernel;
  try {
    k = linearKernelFor(precision);
  } catch {
    return precision; // refused where it would run: nothing to tell apart
  }
  return precision === 'int8' ? `${kernelName(k)}, recipe 3 (${OUTLIER_CHANNELS} outlier channels)` : kernelName(k);
}
