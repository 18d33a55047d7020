// A BERT's linear layers prepared for inference in one precision (src/engine/prepared-linear.ts):
// the fused [3C, C] query/key/value projection and the three dense layers of every layer,
// packed once and reused across batches.
// int8 is a recipe, chosen by cosine to fp32 over the 30k pool (never by test nDCG):
//   - the FFN's output layer (its input is GELU's output, whose outlier channels a per-tensor
//     activation scale cannot hold) runs bf16 where the CPU has it, else fp32: cosine mean
//     0.9945 -> 0.9975, min 0.964 -> 0.986;
//   - the layers fed by a LayerNorm (query/key/value, the FFN's input layer) take SmoothQuant's
//     migration (alpha 0.5) with each channel's range read off the LayerNorm, |gamma| 3 + |beta|
//     (a heuristic: LayerNorm's normalised values are of order 1), so no calibration data:
//     0.9975 -> 0.9979.
//
// The set is stale once a weight changes (training steps, a LoRA merge, a checkpoint load): it
// remembers each weight's tensor and version counter and is rebuilt when either moves.
import {
  cat,
  int8CompanionKernel,
  isGradEnabled,
  kernelName,
  linearKernelFor,
  PreparedLinear,
  tidy,
  type LinearKernel,
  type Precision,
  type Tensor,
} from '../engine/index.ts';

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
    /** A module's kernel and, for int8's LayerNorm-fed layers, the LayerNorm its smoothing reads. */
    const plan = (module: string, l: number): { k: LinearKernel; ln?: string } => {
      if (!int8) return { k: kernel };
      if (module === 'qkv')
        return { k: kernel, ln: l === 0 ? 'embeddings.LayerNorm' : `encoder.layer.${l - 1}.output.LayerNorm` };
      if (module === 'intermediate.dense') return { k: kernel, ln: `encoder.layer.${l}.attention.output.LayerNorm` };
      return { k: module === 'output.dense' ? int8CompanionKernel() : kernel };
    };
    const prepare = (module: string, l: number, w: Tensor, b: Tensor): PreparedLinear => {
      const { k, ln } = plan(module, l);
      return PreparedLinear.prepare(k, w, b, undefined, ln ? smoothing(ln, w) : undefined);
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
 * missing): part of a cached embedding's identity, since each gives other numbers. "recipe 2"
 * is the int8 above (before it, 2026-12-06, every layer was int8).
 */
export function kernelLabel(precision: Precision): string {
  let k: LinearKernel;
  try {
    k = linearKernelFor(precision);
  } catch {
    return precision; // refused where it would run: nothing to tell apart
  }
  return precision === 'int8' ? `${kernelName(k)}+${kernelName(int8CompanionKernel())}, recipe 2` : kernelName(k);
}
