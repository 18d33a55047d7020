// LoRA's trainable share, counted from a model's shapes: the paper says "3.9%"; r=16 on query
// and value of all-MiniLM-L6-v2 is 147,456 weights, 0.65%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bertParameterShapes } from '../../src/model/bert.ts';
import { loraShare, PAPER_LORA } from '../../src/model/lora.ts';
import { tinyConfig } from '../helpers/tiny-model.ts';

// all-MiniLM-L6-v2's config.json: hidden 384, 6 layers, 12 heads, intermediate 1536
const MINILM = tinyConfig({ hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536 });

test('LoRA r=16 on query/value of MiniLM-L6 shapes: 147,456 weights, 0.65% of the encoder', () => {
  const s = loraShare(bertParameterShapes(MINILM), PAPER_LORA);
  assert.equal(s.trainable, 6 * 2 * 16 * (384 + 384)); // 147,456
  assert.equal(s.trainable, 147_456);
  // embeddings (30522 + 512 + 2) x 384 + 2 x 384 = 11,918,592; a layer: 4 x (384^2 + 384) + 2 x (384 x 1536)
  // + 1536 + 384 + 4 x 384 = 1,774,464; 11,918,592 + 6 x 1,774,464 = 22,565,376
  assert.equal(s.total, 22_565_376);
  assert.equal((100 * s.share).toFixed(2), '0.65');
});

test('the count follows the model and the targets: r x (in + out) per matched module', () => {
  const tiny = tinyConfig(); // hidden 16, 2 layers, intermediate 32
  assert.equal(loraShare(bertParameterShapes(tiny), { r: 4, targets: ['query'] }).trainable, 2 * 4 * (16 + 16));
  // intermediate.dense is [32, 16]: 2 layers x 4 x (16 + 32)
  assert.equal(loraShare(bertParameterShapes(tiny), { r: 4, targets: ['intermediate.dense'] }).trainable, 2 * 4 * 48);
  assert.throws(() => loraShare(bertParameterShapes(tiny), { r: 4, targets: ['nope'] }), /matches no linear module/);
});
