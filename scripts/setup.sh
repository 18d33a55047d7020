#!/usr/bin/env bash
# Sets ftlab up on Debian/Ubuntu (idempotent): system packages, npm packages, the native
# engine. With LIBTORCH set (another libtorch, e.g. a CUDA build) the Debian libtorch is
# not installed and the addon is built against $LIBTORCH instead.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packages=(g++ make python3 pkg-config)
if [ -z "${LIBTORCH:-}" ]; then
  # libtorch 1.13 from Debian; OpenBLAS's OpenMP build is ~1.4x faster with it than the pthread one.
  packages+=(libtorch-dev libopenblas0-openmp)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Make the OpenMP OpenBLAS the system BLAS/LAPACK even if the pthread build is also installed.
if [ -z "${LIBTORCH:-}" ]; then
  arch="$(gcc -print-multiarch)"
  for lib in libblas.so.3 liblapack.so.3; do
    alt="/usr/lib/${arch}/openblas-openmp/${lib}"
    if [ -e "$alt" ]; then $sudo update-alternatives --set "${lib}-${arch}" "$alt" >/dev/null 2>&1 || true; fi
  done
fi

# onnxruntime-node (under transformers.js, a test peer) uses the binary its package ships; its
# postinstall would otherwise try to download CUDA binaries from outside the npm registry.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
npm run --silent build:native
node --import tsx -e "import('./src/engine/index.ts').then((e) => console.log('setup: ftlab engine ready, libtorch ' + e.engineInfo().torch))"
