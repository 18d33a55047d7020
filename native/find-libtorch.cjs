#!/usr/bin/env node
// Locates libtorch for binding.gyp, the way tch-rs does:
//   1. $LIBTORCH (an unpacked libtorch: include/ and lib/, e.g. a pip torch's package folder),
//   2. the libtorch scripts/setup.sh unpacked from a torch wheel (<project>/.cache/libtorch),
//   3. the system (Debian/Ubuntu `libtorch-dev`: /usr/include/torch, /usr/lib/<triplet>),
//   4. a pip-installed torch (python3 -c "import torch").
// FTLAB_TORCH=debian skips 1 and 2 (the CI's second engine).
// Usage: node find-libtorch.cjs include|libdir|libs|cflags|std|c10d|describe
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const PROJECT = path.resolve(__dirname, '..');

function fromRoot(root, source) {
  const lib = ['lib', 'lib64'].map((d) => path.join(root, d)).find((d) => fs.existsSync(path.join(d, 'libtorch.so')));
  if (!lib) return null;
  const include = [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  return {
    source,
    include,
    libdir: lib,
    abi: process.env.LIBTORCH_CXX11_ABI ?? detectAbi(lib),
    version: headerVersion(include[0]),
  };
}

// A libtorch built with the old C++ ABI exports std::string symbols without "cxx11".
function detectAbi(libdir) {
  try {
    const out = execFileSync('nm', ['-D', '--defined-only', path.join(libdir, 'libc10.so')], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.includes('__cxx11') ? '1' : '0';
  } catch {
    return '1';
  }
}

// "MAJOR.MINOR.PATCH" from the headers (2.x keeps it in torch/headeronly, 1.x in the C++ API).
function headerVersion(includeDir) {
  for (const rel of ['torch/headeronly/version.h', 'torch/csrc/api/include/torch/version.h']) {
    const file = path.join(includeDir, rel);
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const part = (name) => (text.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`)) ?? [])[1];
    if (part('MAJOR') !== undefined) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  }
  return '0.0.0';
}

function projectCache() {
  const link = path.join(PROJECT, '.cache', 'libtorch');
  return fs.existsSync(link) ? fromRoot(fs.realpathSync(link), 'wheel') : null;
}

function system() {
  for (const t of ['x86_64-linux-gnu', 'aarch64-linux-gnu']) {
    const libdir = `/usr/lib/${t}`;
    if (
      fs.existsSync(path.join(libdir, 'libtorch.so')) &&
      fs.existsSync('/usr/include/torch/csrc/api/include/torch/torch.h')
    ) {
      return {
        source: 'system',
        include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
        libdir,
        abi: '1',
        version: headerVersion('/usr/include'),
      };
    }
  }
  return null;
}

function pip() {
  try {
    const out = execFileSync(
      'python3',
      ['-c', 'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .trim()
      .split('\n');
    const found = fromRoot(out[0], 'pip');
    if (found) found.abi = out[1];
    return found;
  } catch {
    return null;
  }
}

function find() {
  const debianOnly = process.env.FTLAB_TORCH === 'debian';
  if (process.env.LIBTORCH && !debianOnly) {
    const found = fromRoot(process.env.LIBTORCH, 'LIBTORCH');
    if (!found)
      throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no lib/libtorch.so: point it at an unpacked libtorch`);
    return found;
  }
  const found = debianOnly ? system() : (projectCache() ?? system() ?? pip());
  if (!found) {
    throw new Error(
      "libtorch not found: run scripts/setup.sh (unpacks the torch wheel's libtorch into .cache/), " +
        'or install Debian/Ubuntu libtorch-dev, or set LIBTORCH to an unpacked libtorch',
    );
  }
  return found;
}

const t = find();
const major = Number(t.version.split('.')[0]);
// libtorch 2.x headers are written for C++20 (they test __cplusplus >= 202002L and warn or take
// slower paths below it); 1.x headers are C++14/17 and do not all compile as C++20.
const std = major >= 2 ? 'c++20' : 'c++17';
const libs = ['torch', 'torch_cpu', 'c10'];
for (const extra of ['torch_cuda', 'c10_cuda']) {
  if (fs.existsSync(path.join(t.libdir, `lib${extra}.so`))) libs.push(extra);
}
// c10d (native/distributed.cc) needs libtorch 2.x and Gloo's headers, which the wheel does not ship
// (Debian's libgloo-dev; $GLOO_INCLUDE for another copy); NCCL also needs a CUDA libtorch and nccl.h
// (the pip wheel's nvidia-nccl package, or $NCCL_INCLUDE).
function c10d() {
  const flags = [];
  const gloo = [process.env.GLOO_INCLUDE, '/usr/include', '/usr/local/include'].find(
    (d) => d && fs.existsSync(path.join(d, 'gloo', 'algorithm.h')),
  );
  if (major < 2) return { gloo: false, nccl: false, flags };
  if (gloo) flags.push('-DFTLAB_C10D_GLOO', '-DUSE_C10D_GLOO');
  if (gloo && !['/usr/include', '/usr/local/include'].includes(gloo)) flags.push(`-I${gloo}`);
  const ncclDirs = [
    process.env.NCCL_INCLUDE,
    path.join(t.libdir, '..', '..', 'nvidia', 'nccl', 'include'),
    '/usr/include',
  ];
  const nccl = libs.includes('torch_cuda')
    ? ncclDirs.find((d) => d && fs.existsSync(path.join(d, 'nccl.h')))
    : undefined;
  if (nccl) flags.push('-DFTLAB_C10D_NCCL', '-DUSE_C10D_NCCL', `-I${nccl}`);
  if (gloo || nccl) flags.push('-DFTLAB_C10D');
  return { gloo: Boolean(gloo), nccl: Boolean(nccl), flags };
}

switch (process.argv[2]) {
  case 'c10d':
    console.log(c10d().flags.join(' '));
    break;
  case 'include':
    console.log(t.include.join(' '));
    break;
  case 'libdir':
    console.log(t.libdir);
    break;
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is named: it registers the CUDA backend.
  case 'libs':
    console.log(['-Wl,--no-as-needed', ...libs.map((l) => `-l${l}`), '-Wl,--as-needed'].join(' '));
    break;
  case 'cflags':
    console.log(`-D_GLIBCXX_USE_CXX11_ABI=${t.abi}`);
    break;
  case 'std':
    console.log(`-std=${std}`);
    break;
  default:
    console.log(JSON.stringify({ ...t, std, libs, c10d: c10d() }, null, 2));
}
