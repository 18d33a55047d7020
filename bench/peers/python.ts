// The Python peers (PyTorch, faiss) run from a venv under .cache when one is at hand: they are
// measured in the same run as ftlab, or not reported at all (no typed-in peer figures).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** BENCH_PYTHON, else .cache/bench-venv (PEER_SETUP_HINT makes one), else python3. */
export function peerPython(): string {
  return (
    process.env.BENCH_PYTHON ??
    (existsSync(join(ROOT, '.cache/bench-venv/bin/python')) ? join(ROOT, '.cache/bench-venv/bin/python') : 'python3')
  );
}

/** Whether `python -c "import <module>"` works. */
export function hasPythonModule(module: string): boolean {
  try {
    execFileSync(peerPython(), ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs bench/peers/<script> with args; parses the JSON line it prints. */
export function runPeer<T>(script: string, args: string[]): T {
  const out = execFileSync(peerPython(), [join(ROOT, 'bench', 'peers', script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

export const PEER_SETUP_HINT =
  'python3 -m venv .cache/bench-venv && .cache/bench-venv/bin/pip install numpy onnx faiss-cpu torch --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple';
