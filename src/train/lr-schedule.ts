// Linear warm-up then linear decay to zero, as transformers' get_linear_schedule_with_warmup:
//   factor(s) = s / warmup                          for s < warmup
//             = max(0, (total - s) / (total - warmup)) otherwise
// where s counts optimizer steps already taken (so the very first step has factor 0 when
// warm-up is on, exactly as in Hugging Face).
export function linearWarmupDecay(step: number, warmup: number, total: number): number {
  if (step < warmup) return step / Math.max(1, warmup);
  return Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/** Warm-up given as steps (>= 1) or as a ratio of the total (< 1). */
export function warmupSteps(warmup: number, total: number): number {
  return warmup < 1 ? Math.ceil(warmup * total) : Math.round(warmup);
}
