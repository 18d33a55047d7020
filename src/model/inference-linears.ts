// A BERT's linear layers prepared for inference in one precision (src/engine/prepared-linear.ts):
// the fused [3C, C] query/key/value projection and the three dense layers of every layer,
// packed once and reused across batches. The set is stale once a weight changes (training
// steps, a LoRA merge, a checkpoint load): it remembers each weight's tensor and version
// counter and is rebuilt when either moves.
import {
  cat,
  isGradEnabled,
  kernelName,
  linearKernelFor,
  PreparedLinear,
  tidy,
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
    const linears = new Map<string, PreparedLinear>();
    const sources: { name: string; t: Tensor; version: number }[] = [];
    const use = (name: string): Tensor => {
      const t = p(name);
      sources.push({ name, t, version: t.version });
      return t;
    };
    for (let l = 0; l < numLayers; l++) {
      const m = `encoder.layer.${l}.attention.self`;
      tidy(() => {
        const w = cat(
          QKV.map((n) => use(`${m}.${n}.weight`)),
          0,
        ); // [3C, C]
        const b = cat(
          QKV.map((n) => use(`${m}.${n}.bias`)),
          0,
        ); // [3C]
        linears.set(`${m}.qkv`, PreparedLinear.prepare(kernel, w, b));
      });
      for (const d of DENSE_MODULES) {
        const name = `encoder.layer.${l}.${d}`;
        linears.set(name, PreparedLinear.prepare(kernel, use(`${name}.weight`), use(`${name}.bias`)));
      }
    }
    return new InferenceLinears(precision, kernelName(kernel), linears, sources);
  }

  /**
   * Still what a forward in `precision` would build: the same kernel (the fp32 path can be
   * forced), and each weight the same tensor with no in-place change since.
   */
  fresh(precision: Precision, p: (name: string) => Tensor): boolean {
    return (
      precision === this.precision &&
      kernelName(linearKernelFor(precision)) === this.kernel &&
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
