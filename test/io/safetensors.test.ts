import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, int64, fromBytes } from '../../src/engine/index.ts';
import { SafetensorsFile, loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { tmpDir } from '../helpers/tiny-model.ts';

test('round-trips f32, f16, bf16, i64 with names, shapes and metadata', () => {
  const dir = tmpDir();
  const path = join(dir, 'a.safetensors');
  const tensors = new Map([
    ['w', tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])],
    ['h', tensor(new Uint16Array([0x3c00, 0x4000]), [2], 'float16')],
    ['b', fromBytes(new Uint8Array([0x80, 0x3f, 0x40, 0x40]), [2], 'bfloat16')],
    ['ids', int64([7, 8, 9], [3])],
  ]);
  saveSafetensors(path, tensors, { format: 'pt' });
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0, 'data section starts 8-byte aligned');
  const f = SafetensorsFile.open(path);
  assert.deepEqual(f.metadata, { format: 'pt' });
  assert.deepEqual([...f.tensors.keys()].sort(), ['b', 'h', 'ids', 'w']);
  assert.equal(f.tensors.get('h')!.dtype, 'float16');
  f.close();
  const back = loadSafetensors(path, { as: 'float32' });
  assert.deepEqual(back.get('w')!.toNested(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(Array.from(back.get('h')!.f32()), [1, 2]);
  assert.equal(back.get('h')!.dtype, 'float32', 'fp16 upcast on load');
  assert.deepEqual(Array.from(back.get('b')!.f32()), [1, 3]);
  assert.equal(back.get('ids')!.dtype, 'int64', 'integers are not converted');
  assert.deepEqual(Array.from(back.get('ids')!.i64()), [7n, 8n, 9n]);
  assert.deepEqual(readdirSync(dir), ['a.safetensors'], 'no temp file left');
});

test('corrupt files give one clear error naming the file', () => {
  const dir = tmpDir();
  const cases: [string, Buffer, RegExp][] = [
    ['short', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/],
    ['huge-len', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0]), Buffer.from('{}')]), /does not fit/],
    [
      'not-json',
      (() => {
        const h = Buffer.from('{nope');
        const l = Buffer.alloc(8);
        l.writeBigUInt64LE(BigInt(h.length));
        return Buffer.concat([l, h]);
      })(),
      /header is not JSON/,
    ],
    ['bad-dtype', header({ x: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype "Q7"/],
    [
      'bad-size',
      header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4),
      /has 4 bytes but shape \[2\] of F32 needs 8/,
    ],
    [
      'out-of-range',
      header({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 4),
      /outside the 4-byte data section/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    const p = join(dir, `${name}.safetensors`);
    writeFileSync(p, bytes);
    assert.throws(
      () => SafetensorsFile.open(p),
      (e: Error) => re.test(e.message) && e.message.includes(p) && !e.message.includes('\n'),
      name,
    );
  }
  assert.throws(() => SafetensorsFile.open(join(dir, 'missing.safetensors')), /cannot open .*ENOENT/);
});

function header(h: object, dataBytes: number): Buffer {
  const j = Buffer.from(JSON.stringify(h));
  const l = Buffer.alloc(8);
  l.writeBigUInt64LE(BigInt(j.length));
  return Buffer.concat([l, j, Buffer.alloc(dataBytes)]);
}

test('a failed save leaves no file', () => {
  const dir = tmpDir();
  const p = join(dir, 'x.safetensors');
  const t = tensor([1], [1]);
  t.dispose();
  assert.throws(() => saveSafetensors(p, new Map([['x', t]])));
  assert.equal(existsSync(p), false);
  assert.deepEqual(readdirSync(dir), []);
});
