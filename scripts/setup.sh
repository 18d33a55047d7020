#!/usr/bin/env bash
# Sets ftlab up on Debian/Ubuntu (idempotent): system packages, npm packages, the native engine.
#
# The engine is built against libtorch 2.x taken from a torch wheel (its torch/lib and
# torch/include, unpacked into .cache/libtorch-<version>; no Python torch is installed):
#   FTLAB_TORCH=cpu (default)  the CPU wheel: pip's configured wheel sources first (offline),
#                              then download.pytorch.org/whl/cpu.
#   FTLAB_TORCH=cuda           the CUDA wheel with its NVIDIA libraries, pip-installed into
#                              .cache/torch-venv (several GB).
#   FTLAB_TORCH=debian         Debian/Ubuntu's libtorch-dev 1.13 (also the fallback when no wheel
#                              can be had), with the OpenMP OpenBLAS.
#   LIBTORCH=/path             an unpacked libtorch (include/, lib/) or a pip torch's package folder.
# FTLAB_NATIVE_DIR=dir builds the addon in another folder (a copy of native/), leaving native/build
# alone: the CI builds its second engine that way and selects it with FTLAB_ADDON.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
say() { echo "setup: $*"; }

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# pip download that never hangs: socket timeout, one retry, and a wall-clock limit.
pip_download() {
  timeout 1200 python3 -m pip download --no-deps --only-binary=:all: --timeout 15 --retries 1 \
    --disable-pip-version-check -q -d .cache/wheels "$@" 'torch==2.*' >/dev/null 2>&1
}

# Prints the path of a torch 2.x CPU wheel under .cache/wheels, fetching one if needed.
cpu_wheel() {
  mkdir -p .cache/wheels
  local found
  found="$(ls -1 .cache/wheels/torch-2.*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$found" ]; then
    # pip's configured local sources only (find-links): fast and offline. The configured indexes
    # are skipped here because PyPI's default torch wheel is the CUDA build.
    pip_download --no-index || true
    found="$(ls -1 .cache/wheels/torch-2.*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)"
  fi
  if [ -z "$found" ]; then
    pip_download --index-url https://download.pytorch.org/whl/cpu || true
    found="$(ls -1 .cache/wheels/torch-2.*+cpu-*.whl 2>/dev/null | sort -V | tail -1 || true)"
  fi
  echo "$found"
}

# Unpacks the wheel's libtorch (lib/ and include/ only) into .cache/libtorch-<version>; prints it.
unpack_wheel() {
  local wheel="$1" version dir tmp
  version="$(basename "$wheel" | cut -d- -f2)"
  dir=".cache/libtorch-${version}"
  if [ ! -e "$dir/lib/libtorch_cpu.so" ]; then
    tmp="$(mktemp -d .cache/unpack.XXXXXX)"
    python3 - "$wheel" "$tmp" <<'EOF'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
keep = ('torch/include/', 'torch/lib/libtorch.so', 'torch/lib/libtorch_cpu.so', 'torch/lib/libc10.so',
        'torch/lib/libgomp', 'torch/lib/libtorch_global_deps.so')
with zipfile.ZipFile(wheel) as z:
    z.extractall(out, [n for n in z.namelist() if n.startswith(keep)])
EOF
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/torch/lib" "$tmp/torch/include" "$dir/"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# The OpenMP OpenBLAS for libtorch 1.13: libblas/liblapack (via libblas.so.3) and libopenblas.so.0,
# which Debian's libtorch links directly and which otherwise stays on the pthread build whenever
# libopenblas0-pthread is installed too (numpy or scipy from Debian pull it in): ~60% speed.
openmp_openblas() {
  local arch
  arch="$(gcc -print-multiarch)"
  for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    alt="/usr/lib/${arch}/openblas-openmp/${lib}"
    if [ -e "$alt" ] && update-alternatives --query "${lib}-${arch}" >/dev/null 2>&1; then
      $sudo update-alternatives --set "${lib}-${arch}" "$alt" >/dev/null 2>&1 || say "could not point ${lib} at the OpenMP OpenBLAS"
    fi
  done
}

engine="${FTLAB_TORCH:-cpu}"
apt_install g++ make python3 pkg-config
# tcmalloc: ftlab restarts itself with it preloaded (src/engine/allocator.ts); training ~25% faster than glibc's malloc
apt_install libtcmalloc-minimal4 || say "libtcmalloc-minimal4 could not be installed: ftlab runs on glibc's malloc (slower training)"
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
unset libtorch
if [ -n "${LIBTORCH:-}" ]; then
  libtorch="$LIBTORCH"
elif [ "$engine" = cpu ]; then
  wheel="$(cpu_wheel)"
  if [ -n "$wheel" ]; then
    libtorch="$(unpack_wheel "$wheel")"
  else
    say "no torch 2.x CPU wheel could be had (offline, no local wheel): falling back to Debian's libtorch 1.13"
    engine=debian
  fi
elif [ "$engine" = cuda ]; then
  [ -x .cache/torch-venv/bin/python ] || python3 -m venv .cache/torch-venv
  timeout 3600 .cache/torch-venv/bin/python -m pip install -q --timeout 15 --retries 1 'torch==2.*'
  libtorch="$(.cache/torch-venv/bin/python -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
elif [ "$engine" != debian ]; then
  echo "setup: FTLAB_TORCH must be cpu, cuda or debian, got '$engine'" >&2
  exit 1
fi

# Gloo's headers for the distributed engine (native/distributed.cc; the torch wheel ships c10d's
# headers but not Gloo's). Without them the addon builds, and distributed ops say they are not available.
if [ "$engine" != debian ]; then
  apt_install libgloo-dev || say "libgloo-dev could not be installed: distributed ops (ftlab launch) will not be available"
fi

if [ "$engine" = debian ] && [ -z "${LIBTORCH:-}" ]; then
  apt_install libtorch-dev libopenblas0-openmp
  openmp_openblas
  export FTLAB_TORCH=debian
  unset LIBTORCH
else
  # The project's libtorch: find-libtorch.cjs takes .cache/libtorch when LIBTORCH is unset.
  case "$libtorch" in .cache/*) ln -sfn "${libtorch#.cache/}" .cache/libtorch ;; esac
  export LIBTORCH="$(cd "$libtorch" && pwd)"
fi

# npm packages: installed once from the lockfile; skipped when node_modules already holds it
# (npm ci would delete and refetch everything).
if ! node -e '
  const fs = require("fs");
  const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
  const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
  for (const [k, v] of Object.entries(want)) if (k && !v.optional && have[k]?.version !== v.version) process.exit(1);
' 2>/dev/null; then
  if [ -L node_modules ]; then
    echo "setup: node_modules is a link to another checkout's packages and does not match package-lock.json: run npm ci there" >&2
    exit 1
  fi
  # onnxruntime-node (under transformers.js, the encode benchmark's peer) uses the binary its
  # package ships; its postinstall would otherwise download CUDA binaries from outside npm.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi

native_dir="${FTLAB_NATIVE_DIR:-native}"
if [ "$native_dir" != native ]; then
  mkdir -p "$native_dir"
  # every source the addon builds from (binding.gyp lists them)
  cp native/binding.gyp native/find-libtorch.cjs native/*.cc native/*.h native/*.inc "$native_dir/"
fi
say "building the engine against $(node native/find-libtorch.cjs describe | node -e 'const t = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`libtorch ${t.version} (${t.source}: ${t.libdir})`)')"
FTLAB_NATIVE_DIR="$native_dir" npm run --silent build:native
FTLAB_ADDON="$(pwd)/$native_dir/build/Release/ftlab_native.node" node --import tsx -e "
import('./src/engine/index.ts').then((e) => {
  e.setThreads(); // as every ftlab command does
  const r = e.engineReport();
  console.log('setup: ftlab engine ready, libtorch ' + r.torch + ', ' + r.blas + ', ' + r.threads + ' threads');
  for (const w of r.warnings) console.log('setup: warning: ' + w);
})"
