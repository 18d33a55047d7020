import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddingsWriter } from '../../src/io/embeddings-file.ts';
import { SafetensorsFile, loadSafetensors } from '../../src/io/safetensors.ts';
import { readNpyF32 } from '../../src/io/npy.ts';
import { tmpDir } from '../helpers/tiny-model.ts';

const rows = Float32Array.from({ length: 5 * 3 }, (_, i) => i / 10);
const ids = ['a', 'b', 'c', 'd', 'e'];

test('streamed in pieces, every format reads back whole', () => {
  const dir = tmpDir();
  for (const name of ['v.npy', 'v.safetensors', 'v.jsonl', 'n.safetensors']) {
    const idOf = name.startsWith('n') ? (i: number) => String(100 + i) : (i: number) => ids[i]!;
    const w = new EmbeddingsWriter(join(dir, name), 5, 3, idOf);
    w.append(rows.subarray(0, 6));
    w.append(rows.subarray(6));
    w.commit();
  }
  assert.deepEqual(Array.from(readNpyF32(join(dir, 'v.npy')).data), Array.from(rows));
  assert.equal(readFileSync(join(dir, 'v.npy.ids.txt'), 'utf8'), 'a\nb\nc\nd\ne\n');
  const f = SafetensorsFile.open(join(dir, 'v.safetensors'));
  assert.deepEqual(JSON.parse(f.metadata.ids!), ids);
  f.close();
  assert.deepEqual(Array.from(loadSafetensors(join(dir, 'v.safetensors')).get('embeddings')!.f32()), Array.from(rows));
  assert.deepEqual(Array.from(loadSafetensors(join(dir, 'n.safetensors')).get('ids')!.i64()), [
    100n,
    101n,
    102n,
    103n,
    104n,
  ]);
  const lines = readFileSync(join(dir, 'v.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; vector: number[] });
  assert.equal(lines[4]!.id, 'e');
  assert.ok(Math.abs(lines[4]!.vector[2]! - 1.4) < 1e-6);
});

test('an unfinished or aborted writer leaves no file', () => {
  const dir = tmpDir();
  const w = new EmbeddingsWriter(join(dir, 'x.npy'), 5, 3, (i) => ids[i]!);
  w.append(rows.subarray(0, 6));
  assert.throws(() => w.commit(), /got 2 of 5 rows/);
  w.abort();
  assert.deepEqual(readdirSync(dir), []);
});
