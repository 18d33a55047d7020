// A model's identity for caches: a hash of every input that decides its vectors — the base
// weights, config, tokenizer and ftlab.json; for a LoRA model also its adapter weights,
// adapter config and ftlab.json, and whether the adapters are merged — plus the settings it
// runs with (pooling, normalisation, similarity, max length, query and passage prompts: a
// sentence-transformers folder's come from its own files, which the weights' hash does not cover). A LoRA folder used to hash as
// its base model, so the embedding cache handed it the base model's passage vectors.
import { createHash } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import type { SentenceEncoder } from './sentence-encoder.ts';
import { kernelLabel } from './inference-linears.ts';

/** sha256 of a file's bytes, or 'absent' (so a missing optional file and an empty one differ). */
function fileDigest(path: string): string {
  if (!existsSync(path)) return 'absent';
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Every input of the model's vectors, named: the fingerprint hashes this record. */
export function modelIdentity(encoder: SentenceEncoder): Record<string, unknown> {
  const f = encoder.files;
  if (!f) throw new Error('a model built in memory has no fingerprint; save it first');
  const lora = encoder.lora;
  if (lora && !lora.source) throw new Error('LoRA adapters built in memory have no fingerprint; save them first');
  // weights that train no longer match the files they were read from
  const training = [
    ...encoder.bert.params.values(),
    ...(lora ? [...lora.adapters.values()].flatMap((a) => [a.A, a.B]) : []),
  ].some((t) => t.requiresGrad);
  if (training)
    throw new Error(
      'a model being trained has no fingerprint (its weights differ from its files): save it and load the folder, or use no cache',
    );
  const { pooling, normalize, similarity, maxLength, prompts } = encoder.info;
  return {
    weights: fileDigest(f.weights),
    config: fileDigest(f.config),
    tokenizer: fileDigest(f.tokenizer),
    ftlab: fileDigest(f.ftlab),
    lora: lora
      ? {
          weights: fileDigest(lora.source!.weights),
          config: fileDigest(lora.source!.config),
          ftlab: fileDigest(lora.source!.ftlab),
          merged: lora.merged,
        }
      : null,
    pooling,
    normalize,
    similarity,
    maxLength,
    prompts,
    // fp32 on either GEMM path is one identity (vectors within 1e-5); bf16 and int8 are not
    ...(encoder.bert.precision !== 'fp32'
      ? { precision: encoder.bert.precision, kernels: kernelLabel(encoder.bert.precision) }
      : {}),
  };
}

export function modelFingerprint(encoder: SentenceEncoder): string {
  return createHash('sha256')
    .update(JSON.stringify(modelIdentity(encoder)))
    .digest('hex')
    .slice(0, 16);
}
