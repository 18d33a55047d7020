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

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Attr = InstanceType<typeof onnx.AttributeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;

export const ONNX_OPSET = 17;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** A weight's fp32 values and shape (row-major, as safetensors stores it). */
export interface Weight { data: Float32Array; shape: number[] }

function floatTensor(name: string, data: Float32Array, dims: number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

function int64Tensor(name: string, values: number[], dims: number[]): TensorProto {
  const b = new BigInt64Array(values.map((v) => BigInt(v)));
  return onnx.TensorProto.create({ name, dims, dataType: INT64, rawData: new Uint8Array(b.buffer) });
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
  return float ? onnx.AttributeProto.create({ name, type: T.FLOAT, f: v }) : onnx.AttributeProto.create({ name, type: T.INT, i: v });
}

/** Collects nodes and initializers; each op helper returns its output's name. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: TensorProto[] = [];
  #n = 0;

  op(opType: string, inputs: string[], attributes: Attr[] = [], name = `${opType.toLowerCase()}_${this.#n}`): string {
    this.#n++;
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [name], name, attribute: attributes }));
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

/**
 * The graph for BertModel's forward pass (eval mode: no dropout) as ftlab's Bert runs it.
 * `weights` maps HF checkpoint names to fp32 values. Returns the serialised ModelProto.
 */
export function bertOnnxModel(cfg: BertConfig, weights: Map<string, Weight>): Uint8Array {
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
    const name = g.float(`${m}.weight.T`, transposed(wt), [wt.shape[1]!, wt.shape[0]!]);
    return g.op('Add', [g.op('MatMul', [x, name]), param(`${m}.bias`)]);
  };
  const layerNorm = (m: string, x: string): string =>
    g.op('LayerNormalization', [x, param(`${m}.weight`), param(`${m}.bias`)], [attr('axis', -1), attr('epsilon', eps, true)]);

  // constants
  const zero = g.int64('const_0', [0], []);
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
  const word = g.op('Gather', [param('embeddings.word_embeddings.weight'), 'input_ids'], [attr('axis', 0)]);
  const pos = g.op('Gather', [param('embeddings.position_embeddings.weight'), positions], [attr('axis', 0)]); // [T, C]
  const type = g.op('Gather', [param('embeddings.token_type_embeddings.weight'), 'token_type_ids'], [attr('axis', 0)]);
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
    const a = layerNorm(`${p}.attention.output.LayerNorm`, g.op('Add', [x, dense(`${p}.attention.output.dense`, merged)]));
    const h = dense(`${p}.intermediate.dense`, a); // [B, T, F]
    const gelu = g.op('Mul', [g.op('Mul', [h, g.op('Add', [g.op('Erf', [g.op('Mul', [h, invSqrt2])]), oneF])]), half]); // 0.5 h (1 + erf(h / sqrt 2))
    const out = dense(`${p}.output.dense`, gelu); // [B, T, C]
    x = layerNorm(`${p}.output.LayerNorm`, g.op('Add', [a, out]));
  }
  g.op('Identity', [x], [], 'last_hidden_state');

  const dims = (...d: (number | string)[]) => ({ dim: d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })) });
  const io = (name: string, elemType: number, shape: ReturnType<typeof dims>) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape } } });
  const graph = onnx.GraphProto.create({
    name: 'ftlab_bert',
    node: g.nodes,
    initializer: g.initializers,
    input: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => io(n, INT64, dims('batch_size', 'sequence_length'))),
    output: [io('last_hidden_state', FLOAT, dims('batch_size', 'sequence_length', C))],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ftlab',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
