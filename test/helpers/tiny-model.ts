// A tiny random BERT written as an HF-format model folder (the test fixture the project
// makes itself), plus helpers shared by tests.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, randn, type DType, type Tensor } from '../../src/engine/index.ts';
import { bertParameterShapes } from '../../src/model/bert.ts';
import { bertConfigJson, type BertConfig } from '../../src/model/config.ts';
import { saveSafetensors } from '../../src/io/safetensors.ts';
import { resolveModelFiles } from '../../src/model/model-files.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_MSMARCO = join(REPO, '..', 'shared', 'data', 'msmarco');
export const hasShared = existsSync(SHARED_MSMARCO);

export function tinyConfig(over: Partial<BertConfig> = {}): BertConfig {
  return {
    vocabSize: 30522,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 32,
    maxPositions: 512,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    hiddenDropout: 0.1,
    attentionDropout: 0.1,
    hiddenAct: 'gelu',
    ...over,
  };
}

/** Random weights for every BertModel parameter (LayerNorm weights near 1). */
export function randomWeights(cfg: BertConfig, seed = 0, dtype: DType = 'float32'): Map<string, Tensor> {
  manualSeed(seed);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of bertParameterShapes(cfg)) {
    const r = randn(shape, { dtype });
    out.set(name, name.endsWith('LayerNorm.weight') ? r.mul(0.1).add(1) : r.mul(0.2));
    r.dispose();
  }
  return out;
}

export function tmpDir(prefix = 'ftlab-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a tiny model folder (config.json, model.safetensors, tokenizer.json); returns its path. */
export function writeTinyModel(dir = tmpDir(), cfg = tinyConfig(), seed = 0): string {
  mkdirSync(dir, { recursive: true });
  const w = randomWeights(cfg, seed);
  saveSafetensors(join(dir, 'model.safetensors'), w);
  for (const t of w.values()) t.dispose();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(bertConfigJson(cfg), null, 2));
  copyFileSync(resolveModelFiles('default').tokenizer, join(dir, 'tokenizer.json'));
  return dir;
}
