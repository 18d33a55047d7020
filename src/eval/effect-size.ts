// Per-query effect sizes of a paired comparison (arm - base), as equivalence and power
// analyses read them:
// - d_z (Cohen 1988; Lakens 2013, eq. 6): mean of the per-query differences over their sample
//   standard deviation (n - 1). The paired t statistic is d_z * sqrt(n).
// - win/tie/loss: how many queries the arm scores above, equal to, below the base; "equal"
//   means |arm - base| <= tolerance (default 1e-12: float noise only, a real tie of two
//   identical rankings stays a tie).

export interface WinTieLoss {
  wins: number; // arm - base > tolerance
  ties: number;
  losses: number; // arm - base < -tolerance
}

function differences(base: readonly number[], arm: readonly number[]): number[] {
  if (base.length !== arm.length) throw new Error(`paired scores differ in length: ${base.length} vs ${arm.length}`);
  if (base.length === 0) throw new Error('effect size of an empty sample');
  return arm.map((x, i) => x - base[i]!);
}

/** d_z of arm - base. Zero spread: 0 when every difference is 0, else +-Infinity; NaN for one query. */
export function cohensDz(base: readonly number[], arm: readonly number[]): number {
  const d = differences(base, arm);
  const n = d.length;
  if (n < 2) return NaN;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  if (sd === 0) return mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
  return mean / sd;
}

export function winTieLoss(base: readonly number[], arm: readonly number[], tolerance = 1e-12): WinTieLoss {
  const out: WinTieLoss = { wins: 0, ties: 0, losses: 0 };
  for (const x of differences(base, arm)) {
    if (x > tolerance) out.wins++;
    else if (x < -tolerance) out.losses++;
    else out.ties++;
  }
  return out;
}
