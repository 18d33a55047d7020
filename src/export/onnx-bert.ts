// An ONNX graph of BertModel (what transformers.js' feature-extraction pipeline runs),
// written node by node from the model's fp32 weights with the onnx-proto message types.
//
// Inputs input_ids / attention_mask / token_type_ids [batch, sequence] int64; output
// last_hidden_state [batch, sequence, C]. Standard opset-17 ops only: Gather, Add, Mul,
// MatMul, Reshape, Transpose, Softmax, LayerNormalization, Erf (exact GELU), Range, Shape.
//
// Legend: B batch, T tokens, C channels, H heads, D = C/H, F feed-forward size.
import onnxProto from 'onnx-proto';
import type { BertConfig } from '../model/config.ts';
import { FTLAB_VERSION } from '../version.ts';

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Attr = InstanceType<typeof onnx.AttributeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export const ONNX_OPSET = 17;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT8 = onnx.TensorProto.DataType.INT8;

/** A weight's fp32 values and shape (row-major, as safetensors stores it). */
export interface Weight {
  data: Float32Array;
  shape: number[];
}

function floatTensor(name: string, data: Float32Array, dims: number[]): TensorProto {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function int64Tensor(name: string, values: number[], dims: number[]): TensorProto {
  const b = new BigInt64Array(values.map((v) => BigInt(v)));
  return onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: new Uint8Array(b.buffer) });
}

/**
 * Symmetric int8 per row of a [rows, cols] matrix: q = round(w / s), s = max|w| / 127.
 * Rows are W^T's columns for dense layers (one scale per output), table rows for embeddings.
 */
export function quantizeRows(data: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(data[r * cols + c]!));
    const s = m > 0 ? m / 127 : 1;
    scale[r] = s;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(data[r * cols + c]! / s);
  }
  return { q, scale };
}

/** W [out, in] -> W^T [in, out], so the graph runs x @ W^T as one MatMul with no Transpose node. */
function transposed(w: Weight): Float32Array {
  const [rows, cols] = w.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w.data[r * cols + c]!;
  return out;
}

function attr(name: string, v: number | number[], float = false): Attr {
  const T = onnx.AttributeProto.AttributeType;
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  return float
    ? onnx.AttributeProto.create({ name, type: T.FLOAT, f: v })
    : onnx.AttributeProto.create({ name, type: T.INT, i: v });
}

/** Collects nodes and initializers; each op helper returns its output's name. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: TensorProto[] = [];
  #n = 0;

  op(opType: string, inputs: string[], attributes: Attr[] = [], name = `${opType.toLowerCase()}_${this.#n}`): string {
    return this.ops(opType, inputs, 1, attributes, name)[0]!;
  }

  /** A node with several outputs (DynamicQuantizeLinear): NAME, NAME_1, ... */
  ops(
    opType: string,
    inputs: string[],
    outputs: number,
    attributes: Attr[] = [],
    name = `${opType.toLowerCase()}_${this.#n}`,
  ): string[] {
    this.#n++;
    const out = Array.from({ length: outputs }, (_, i) => (i === 0 ? name : `${name}_${i}`));
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: out, name, attribute: attributes }));
    return out;
  }

  int8(name: string, data: Int8Array, dims: number[]): string {
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: INT8,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }),
    );
    return name;
  }

  float(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push(floatTensor(name, data, dims));
    return name;
  }

  int64(name: string, values: number[], dims: number[]): string {
    this.initializers.push(int64Tensor(name, values, dims));
    return name;
  }
}

export interface OnnxExportOptions {
  /**
   * int8 weights (as onnxruntime's quantize_dynamic does): every dense layer runs
   * DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_i8) -> * (x_scale * w_scale) + b, with
   * one weight scale per output; embedding tables are stored int8 per row and dequantised.
   */
  quantize?: boolean;
}

/**
 * The graph for BertModel's forward pass (eval mode: no dropout) as ftlab's Bert runs it.
 * `weights` maps HF checkpoint names to fp32 values. Returns the serialised ModelProto.
 */
export function bertOnnxModel(cfg: BertConfig, weights: Map<string, Weight>, opts: OnnxExportOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const w = (name: string): Weight => {
    const t = weights.get(name);
    if (!t) throw new Error(`ONNX export: no weight ${name}`);
    return t;
  };
  const param = (name: string): string => g.float(name, w(name).data, w(name).shape);
  const C = cfg.hiddenSize;
  const H = cfg.numHeads;
  const D = C / H;
  const eps = cfg.layerNormEps;

  /** x @ W^T + b for the linear module m; x [.., in] -> [.., out] */
  const dense = (m: string, x: string): string => {
    const wt = w(`${m}.weight`);
    const [out, inp] = wt.shape as [number, number];
    if (!opts.quantize)
      return g.op('Add', [
        g.op('MatMul', [x, g.float(`${m}.weight.T`, transposed(wt), [inp, out])]),
        param(`${m}.bias`),
      ]);
    const { q, scale } = quantizeRows(wt.data, out, inp); // per output row of W
    const qT = new Int8Array(inp * out); // W^T [in, out]
    for (let r = 0; r < out; r++) for (let c = 0; c < inp; c++) qT[c * out + r] = q[r * inp + c]!;
    const [xq, xs, xzp] = g.ops('DynamicQuantizeLinear', [x], 3) as [string, string, string]; // uint8, scalar scale, scalar zero point
    const acc = g.op('MatMulInteger', [xq, g.int8(`${m}.weight.T.int8`, qT, [inp, out]), xzp, int8Zero]); // int32 [.., out]
    const s = g.op('Mul', [xs, g.float(`${m}.weight.scale`, scale, [out])]); // [out]
    return g.op('Add', [g.op('Mul', [g.op('Cast', [acc], [attr('to', FLOAT)]), s]), param(`${m}.bias`)]);
  };
  /** An embedding table: fp32, or int8 rows dequantised in the graph (onnxruntime folds it at load). */
  const table = (name: string): string => {
    if (!opts.quantize) return param(name);
    const [rows, cols] = w(name).shape as [number, number];
    const { q, scale } = quantizeRows(w(name).data, rows, cols);
    return g.op(
      'DequantizeLinear',
      [
        g.int8(`${name}.int8`, q, [rows, cols]),
        g.float(`${name}.scale`, scale, [rows]),
        g.int8(`${name}.zero`, new Int8Array(rows), [rows]),
      ],
      [attr('axis', 0)],
    );
  };
  const layerNorm = (m: string, x: string): string =>
    g.op(
      'LayerNormalization',
      [x, param(`${m}.weight`), param(`${m}.bias`)],
      [attr('axis', -1), attr('epsilon', eps, true)],
    );

  // constants
  const zero = g.int64('const_0', [0], []);
  const int8Zero = g.int8('const_int8_0', new Int8Array(1), []);
  const one = g.int64('const_1', [1], []);
  const headsShape = g.int64('shape_heads', [0, 0, H, D], [4]); // Reshape: 0 copies the input's dim
  const mergedShape = g.int64('shape_merged', [0, 0, C], [3]);
  const axes12 = g.int64('axes_1_2', [1, 2], [2]);
  const scale = g.float('attention_scale', new Float32Array([1 / Math.sqrt(D)]), []);
  const maskBig = g.float('mask_scale', new Float32Array([1e30]), []); // exp(-1e30) is exactly 0 in softmax
  const oneF = g.float('const_1f', new Float32Array([1]), []);
  const half = g.float('const_half', new Float32Array([0.5]), []);
  const invSqrt2 = g.float('const_inv_sqrt2', new Float32Array([Math.SQRT1_2]), []);

  // embeddings: LN(E_word[ids] + E_pos[0..T) + E_type[type_ids])  -> [B, T, C]
  const T = g.op('Gather', [g.op('Shape', ['input_ids']), one], [attr('axis', 0)]); // scalar T
  const positions = g.op('Range', [zero, T, one]); // [T]
  const word = g.op('Gather', [table('embeddings.word_embeddings.weight'), 'input_ids'], [attr('axis', 0)]);
  const pos = g.op('Gather', [table('embeddings.position_embeddings.weight'), positions], [attr('axis', 0)]); // [T, C]
  const type = g.op('Gather', [table('embeddings.token_type_embeddings.weight'), 'token_type_ids'], [attr('axis', 0)]);
  let x = layerNorm('embeddings.LayerNorm', g.op('Add', [g.op('Add', [word, pos]), type]));

  // mask bias [B, 1, 1, T]: 0 where attended, -1e30 where padded
  const maskF = g.op('Cast', ['attention_mask'], [attr('to', FLOAT)]);
  const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [maskF, oneF]), maskBig]), axes12]);

  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const heads = (m: string, perm: number[]): string =>
      g.op('Transpose', [g.op('Reshape', [dense(`${p}.attention.self.${m}`, x), headsShape])], [attr('perm', perm)]);
    const q = heads('query', [0, 2, 1, 3]); // [B, H, T, D]
    const kT = heads('key', [0, 2, 3, 1]); // [B, H, D, T]
    const v = heads('value', [0, 2, 1, 3]); // [B, H, T, D]
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), maskBias]); // [B, H, T, T]
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], [attr('axis', -1)]), v]); // [B, H, T, D]
    const merged = g.op('Reshape', [g.op('Transpose', [ctx], [attr('perm', [0, 2, 1, 3])]), mergedShape]); // [B, T, C]
    const a = layerNorm(
      `${p}.attention.output.LayerNorm`,
      g.op('Add', [x, dense(`${p}.attention.output.dense`, merged)]),
    );
    const h = dense(`${p}.intermediate.dense`, a); // [B, T, F]
    const gelu = g.op('Mul', [g.op('Mul', [h, g.op('Add', [g.op('Erf', [g.op('Mul', [h, invSqrt2])]), oneF])]), half]); // 0.5 h (1 + erf(h / sqrt 2))
    const out = dense(`${p}.output.dense`, gelu); // [B, T, C]
    x = layerNorm(`${p}.output.LayerNorm`, g.op('Add', [a, out]));
  }
  g.op('Identity', [x], [], 'last_hidden_state');

  const dims = (...d: (number | string)[]) => ({
    dim: d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })),
  });
  const io = (name: string, elemType: number, shape: ReturnType<typeof dims>) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape } } });
  const graph = onnx.GraphProto.create({
    name: 'ftlab_bert',
    node: g.nodes,
    initializer: g.initializers,
    input: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) =>
      io(n, INT64, dims('batch_size', 'sequence_length')),
    ),
    output: [io('last_hidden_state', FLOAT, dims('batch_size', 'sequence_length', C))],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ftlab',
    producerVersion: FTLAB_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
