// Provenance of the input files: role, path, sha256 and line count (results.config.data),
// hashed once per process (the full collection is read in one stream).
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataFile } from '../report/schema.ts';

const memo = new Map<string, { sha256: string; lines: number }>();

export async function hashFile(path: string): Promise<{ sha256: string; lines: number }> {
  const st = statSync(path);
  const id = `${resolve(path)}:${st.size}:${st.mtimeMs}`;
  const known = memo.get(id);
  if (known) return known;
  const h = createHash('sha256');
  let lines = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const out = { sha256: h.digest('hex'), lines };
  memo.set(id, out);
  return out;
}

export async function dataFile(role: string, path: string): Promise<DataFile> {
  return { role, path, ...(await hashFile(path)) };
}
