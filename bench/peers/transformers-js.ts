// transformers.js peer for bench:encode: the same MiniLM as an ONNX model (exported from the
// same safetensors by bench/peers/minilm_torch.py, cached under .cache/bench-onnx), run by
// onnxruntime-node through @huggingface/transformers on the same token ids and batches.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasPythonModule, runPeer } from './python.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL_DIR = join(ROOT, '.cache', 'bench-onnx');

/** The ONNX model folder, exported once when PyTorch is importable; null when it cannot be had. */
export function onnxModel(files: { config: string; weights: string }): string | null {
  const onnx = join(MODEL_DIR, 'onnx', 'model.onnx');
  if (existsSync(onnx)) return MODEL_DIR;
  if (!['torch', 'numpy', 'onnx'].every(hasPythonModule)) return null;
  mkdirSync(dirname(onnx), { recursive: true });
  copyFileSync(files.config, join(MODEL_DIR, 'config.json'));
  runPeer('minilm_torch.py', ['onnx', files.weights, onnx]);
  return MODEL_DIR;
}

/** Real tokens/s of transformers.js's forward pass + mean pooling over the given batches. */
export async function transformersJsTokensPerSec(
  modelDir: string,
  batches: number[][][],
  threads: number,
  dtype: 'fp32' | 'q8' = 'fp32',
): Promise<{ tokensPerSec: number; version: string }> {
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = dirname(modelDir);
  const model = await tf.AutoModel.from_pretrained(modelDir.split('/').at(-1)!, {
    dtype,
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  const run = async (lists: number[][]): Promise<void> => {
    const T = Math.max(...lists.map((l) => l.length));
    const ids = new BigInt64Array(lists.length * T);
    const mask = new BigInt64Array(lists.length * T);
    lists.forEach((l, i) =>
      l.forEach((t, j) => {
        ids[i * T + j] = BigInt(t);
        mask[i * T + j] = 1n;
      }),
    );
    const out = await model({
      input_ids: new tf.Tensor('int64', ids, [lists.length, T]),
      attention_mask: new tf.Tensor('int64', mask, [lists.length, T]),
    });
    const h = (out.last_hidden_state as InstanceType<typeof tf.Tensor>).data as Float32Array;
    const C = h.length / (lists.length * T);
    const pooled = new Float32Array(lists.length * C); // mean pooling, as ftlab does
    lists.forEach((l, i) => {
      for (let j = 0; j < l.length; j++)
        for (let c = 0; c < C; c++) pooled[i * C + c]! += h[(i * T + j) * C + c]! / l.length;
    });
  };
  await run(batches[0]!);
  let tokens = 0;
  const t0 = performance.now();
  for (const b of batches) {
    await run(b);
    tokens += b.reduce((a, l) => a + l.length, 0);
  }
  await model.dispose();
  return { tokensPerSec: tokens / ((performance.now() - t0) / 1000), version: tf.env.version };
}
