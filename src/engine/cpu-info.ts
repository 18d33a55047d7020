// The CPU the engine runs on, from /proc/cpuinfo: model name and the ISA extensions that
// decide which GEMM kernels are fast (a benchmark line names them so a ratio can be read
// on another machine).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuInfo {
  model: string;
  /** ISA extensions that matter for GEMM: AVX2, AVX-512, AVX512-BF16, AVX-VNNI, AVX512-VNNI, AMX-BF16, AMX-INT8. */
  isa: string[];
}

// /proc/cpuinfo flag -> the name printed.
const ISA_FLAGS: [string, string][] = [
  ['avx2', 'AVX2'],
  ['avx512f', 'AVX-512'],
  ['avx512_bf16', 'AVX512-BF16'],
  ['avx_vnni', 'AVX-VNNI'],
  ['avx512_vnni', 'AVX512-VNNI'],
  ['amx_bf16', 'AMX-BF16'],
  ['amx_int8', 'AMX-INT8'],
];

/** Parses /proc/cpuinfo text (pure, for tests); the first processor's entry. */
export function parseCpuInfo(text: string): CpuInfo {
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown CPU';
  const family = /^cpu family\s*:\s*(\d+)$/m.exec(text)?.[1];
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const isa = ISA_FLAGS.filter(([flag]) => flags.has(flag)).map(([, name]) => name);
  return { model: family ? `${model} (family ${family})` : model, isa };
}

let cached: CpuInfo | null = null;

export function cpuInfo(): CpuInfo {
  if (cached) return cached;
  try {
    cached = parseCpuInfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    cached = { model: cpus()[0]?.model ?? 'unknown CPU', isa: [] }; // not Linux
  }
  return cached;
}

/** True when the CPU computes bf16 natively (else oneDNN emulates it, slower than fp32). */
export function hasBf16(info: CpuInfo = cpuInfo()): boolean {
  return info.isa.includes('AVX512-BF16') || info.isa.includes('AMX-BF16');
}
