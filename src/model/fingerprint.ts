// A model's identity for caches: a hash of the files that decide its vectors (weights,
// config, tokenizer, ftlab.json) and the max length it runs at.
import { createHash } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import type { SentenceEncoder } from './sentence-encoder.ts';

function hashFile(h: ReturnType<typeof createHash>, path: string): void {
  if (!existsSync(path)) return;
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
}

export function modelFingerprint(encoder: SentenceEncoder): string {
  const f = encoder.files;
  if (!f) throw new Error('a model built in memory has no fingerprint; save it first');
  const h = createHash('sha256');
  for (const p of [f.weights, f.config, f.tokenizer, f.ftlab]) hashFile(h, p);
  h.update(JSON.stringify({ maxLength: encoder.info.maxLength, normalize: encoder.info.normalize }));
  return h.digest('hex').slice(0, 16);
}
