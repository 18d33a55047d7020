#!/usr/bin/env node
// Locates libtorch for binding.gyp, the way tch-rs does:
//   1. $LIBTORCH (an unpacked libtorch distribution: include/ and lib/),
//   2. the system (Debian/Ubuntu `libtorch-dev`: /usr/include/torch, /usr/lib/<triplet>),
//   3. a pip-installed torch (python3 -c "import torch").
// Usage: node find-libtorch.js include|libdir|libs|cflags|describe
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function fromRoot(root, source) {
  const lib = ['lib', 'lib64'].map((d) => path.join(root, d)).find((d) => fs.existsSync(path.join(d, 'libtorch.so')));
  if (!lib) return null;
  return {
    source,
    include: [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')],
    libdir: lib,
    abi: process.env.LIBTORCH_CXX11_ABI ?? detectAbi(lib),
  };
}

// A libtorch built with the old C++ ABI exports std::string symbols without "cxx11".
function detectAbi(libdir) {
  try {
    const out = execFileSync('nm', ['-D', '--defined-only', path.join(libdir, 'libc10.so')], {
      encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.includes('__cxx11') ? '1' : '0';
  } catch {
    return '1';
  }
}

function system() {
  const triplets = ['x86_64-linux-gnu', 'aarch64-linux-gnu'];
  for (const t of triplets) {
    const libdir = `/usr/lib/${t}`;
    if (fs.existsSync(path.join(libdir, 'libtorch.so')) && fs.existsSync('/usr/include/torch/csrc/api/include/torch/torch.h')) {
      return { source: 'system', include: ['/usr/include', '/usr/include/torch/csrc/api/include'], libdir, abi: '1' };
    }
  }
  return null;
}

function pip() {
  try {
    const out = execFileSync('python3', ['-c',
      'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    const found = fromRoot(out[0], 'pip');
    if (found) found.abi = out[1];
    return found;
  } catch {
    return null;
  }
}

function find() {
  if (process.env.LIBTORCH) {
    const found = fromRoot(process.env.LIBTORCH, 'LIBTORCH');
    if (!found) throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no lib/libtorch.so: point it at an unpacked libtorch`);
    return found;
  }
  const found = system() ?? pip();
  if (!found) {
    throw new Error('libtorch not found: install Debian/Ubuntu libtorch-dev (scripts/setup.sh), '
      + 'or set LIBTORCH to an unpacked libtorch, or pip install torch');
  }
  return found;
}

const t = find();
const libs = ['torch', 'torch_cpu', 'c10'];
for (const extra of ['torch_cuda', 'c10_cuda']) {
  if (fs.existsSync(path.join(t.libdir, `lib${extra}.so`))) libs.push(extra);
}
switch (process.argv[2]) {
  case 'include': console.log(t.include.join(' ')); break;
  case 'libdir': console.log(t.libdir); break;
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is named: it registers the CUDA backend.
  case 'libs': console.log(['-Wl,--no-as-needed', ...libs.map((l) => `-l${l}`), '-Wl,--as-needed'].join(' ')); break;
  case 'cflags': console.log(`-D_GLIBCXX_USE_CXX11_ABI=${t.abi}`); break;
  default: console.log(JSON.stringify({ ...t, libs }, null, 2));
}
