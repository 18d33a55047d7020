// ftlab doctor: what the engine runs on (libtorch, BLAS, threads, devices) and what looks wrong.
import type { Command } from '../command.ts';
import { int } from '../command.ts';
import { kernelLabel } from '../../model/inference-linears.ts';
import { engineReport, matmulPaths, pathLine, setThreads } from '../../engine/index.ts';

export const doctor: Command = {
  name: 'doctor',
  summary: "print the engine's libtorch, BLAS, threads and devices, with warnings",
  usage: `ftlab doctor [--threads N] [--probe] [--json]

Prints the libtorch version and addon file, its BLAS / MKL / oneDNN and OpenMP runtime as loaded
into this process, the thread count ftlab runs with (all cores unless --threads), and the CUDA
devices. Warns when the pthread OpenBLAS is loaded into an OpenMP libtorch (~60% speed) or when
libtorch runs one thread on a multi-core machine.

Also the CPU model and ISA (AVX2, AVX-512, BF16, VNNI, AMX), the GEMM path chosen for fp32
linear layers (MKL or oneDNN prepacked), bf16 and int8, and the probe figures behind the choice
(kept per machine in the cache folder; --probe measures again, best on an idle machine).`,
  options: { threads: { type: 'string' }, json: { type: 'boolean' }, probe: { type: 'boolean' } },
  async run(values) {
    setThreads(int(values, 'threads'));
    const r = engineReport();
    const paths = matmulPaths(values.probe === true);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...r, paths })}\n`);
      return;
    }
    const lines = [
      `libtorch   ${r.torch} (${r.addon})`,
      `parallel   ${r.parallel}, ${r.threads} threads on ${r.cores} cores`,
      `BLAS       ${r.blas}${r.mkl ? ', MKL' : ''}${r.onednn ? `, oneDNN ${r.onednn}` : ''}`,
      `libraries  ${r.loadedLibraries.join(', ') || '(none found in /proc/self/maps)'}`,
      `devices    cpu${r.cudaDevices > 0 ? `, ${r.cudaDevices} CUDA device(s)` : ' (no CUDA in this libtorch or no GPU visible)'}`,
      `paths      ${pathLine(paths)}`,
      ...(paths.int8 ? [`int8       ${kernelLabel('int8')}`] : []),
      ...r.warnings.map((w) => `warning: ${w}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
