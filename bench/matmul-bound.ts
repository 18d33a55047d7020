// The speed limit benchmarks compare against: float32 GEMM throughput of this libtorch on
// this machine, measured in the same process with MiniLM-shaped matrices.
import { noGrad, randn, synchronize, tidy } from '../src/engine/index.ts';

/** GFLOP/s of [M, K] x [K, N] (the shape of BERT's feed-forward), best of a few repeats. */
export function matmulGflops(M = 4096, K = 384, N = 1536, repeats = 8): number {
  return noGrad(() =>
    tidy(() => {
      const a = randn([M, K]);
      const b = randn([K, N]);
      a.matmul(b).dispose(); // warm-up
      let best = Infinity;
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        a.matmul(b).dispose();
        synchronize();
        best = Math.min(best, performance.now() - t0);
      }
      return (2 * M * K * N) / (best / 1000) / 1e9;
    }),
  );
}

/** Multiply-adds per token in MiniLM-L6's linear layers: 6 x (4 C^2 + 2 C F) = 10.6M. */
export function linearMacsPerToken(C = 384, F = 1536, L = 6): number {
  return L * (4 * C * C + 2 * C * F);
}
