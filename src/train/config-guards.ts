// Hyperparameters that cannot train anything are refused before any work.
import { UserError } from '../errors.ts';
import type { TrainConfig } from './train-config.ts';

/** Throws a UserError naming the first nonsense setting (CLI flag names, since users see them). */
export function checkTrainConfig(cfg: TrainConfig, limits: { maxPositions?: number } = {}): void {
  const fail = (msg: string): never => {
    throw new UserError(msg);
  };
  const positiveInt = (v: number, flag: string): void => {
    if (!Number.isInteger(v) || v < 1) fail(`${flag} must be an integer >= 1, got ${v}`);
  };
  if (!(cfg.lr > 0) || !Number.isFinite(cfg.lr)) fail(`--lr must be a number > 0, got ${cfg.lr}`);
  if (!(cfg.margin >= 0)) fail(`--margin must be >= 0, got ${cfg.margin}`);
  if (!(cfg.weightDecay >= 0)) fail(`--weight-decay must be >= 0, got ${cfg.weightDecay}`);
  if (!(cfg.mnrlScale > 0)) fail(`--scale (MNRL) must be > 0, got ${cfg.mnrlScale}`);
  if (!(cfg.maxGradNorm > 0)) fail(`--max-grad-norm must be > 0, got ${cfg.maxGradNorm}`);
  if (!(cfg.warmup >= 0)) fail(`--warmup-steps / --warmup-ratio must be >= 0, got ${cfg.warmup}`);
  positiveInt(cfg.batchSize, '--batch-size');
  positiveInt(cfg.gradAccumulation, '--grad-accumulation');
  positiveInt(cfg.epochs, '--epochs');
  positiveInt(cfg.keepCheckpoints, '--keep-checkpoints');
  if (cfg.maxSteps !== null) positiveInt(cfg.maxSteps, '--max-steps');
  if (cfg.saveEveryMinutes !== undefined && !(cfg.saveEveryMinutes >= 0))
    fail(`--save-every-minutes must be >= 0, got ${cfg.saveEveryMinutes}`);
  if (cfg.lora) {
    const { r, alpha, dropout } = cfg.lora;
    if (!Number.isInteger(r) || r < 1) fail(`--lora: r must be an integer >= 1, got ${r}`);
    if (!(alpha > 0)) fail(`--lora: alpha must be > 0, got ${alpha}`);
    if (!(dropout >= 0 && dropout < 1)) fail(`--lora: dropout must be in [0, 1), got ${dropout}`);
  }
  if (cfg.maxLength !== undefined && limits.maxPositions !== undefined && cfg.maxLength > limits.maxPositions) {
    fail(`--max-length ${cfg.maxLength} exceeds the model's position limit of ${limits.maxPositions} tokens`);
  }
}
