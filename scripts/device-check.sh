#!/usr/bin/env bash
# GPU check in one step, for a machine with an NVIDIA GPU and a pip torch CUDA wheel installed
# (python3 -c 'import torch' works) and no Node: NODE=/path/to/node (a Node 20+ binary from an
# official tarball, whose include/node has the N-API headers; NODE_INCLUDE=dir otherwise), else
# `node` on PATH. Builds the addon with g++ against python's torch into .cache/addon-device, then runs
# bench/device-check.ts: reference vector, 20 training steps device vs CPU, encode throughput,
# exact search of 10,000 queries against 1M and 8.8M synthetic vectors. Prints ONE JSON line.
#   bash scripts/device-check.sh                       # --device cuda, full sizes
#   bash scripts/device-check.sh --device cpu --steps 2 --passages 32 --queries 20 --docs 2000
# FTLAB_ADDON=file skips the build and uses that addon (the tests do, on CPU); FTLAB_BUILD_ONLY=1 stops
# after the build; DEVICE_CHECK_JS=file runs a pre-bundled check (no tsx needed on the machine).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE="${NODE:-$(command -v node || true)}"
[ -x "$NODE" ] || { echo "device-check: no Node binary (set NODE=/path/to/bin/node)" >&2; exit 1; }

if [ -z "${FTLAB_ADDON:-}" ]; then
  LIBTORCH="${LIBTORCH:-$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')}"
  export LIBTORCH
  dir=.cache/addon-device
  noderoot="$(cd "$(dirname "$(readlink -f "$NODE")")/.." && pwd)"
  nodeinc="${NODE_INCLUDE:-$noderoot/include/node}"
  [ -f "$nodeinc/node_api.h" ] || nodeinc=/usr/include/node
  # find-libtorch.cjs runs under this Node.
  cflags="$("$NODE" native/find-libtorch.cjs std) $("$NODE" native/find-libtorch.cjs cflags) $("$NODE" native/find-libtorch.cjs c10d)"
  incs="$("$NODE" native/find-libtorch.cjs include)"
  libdir="$("$NODE" native/find-libtorch.cjs libdir)"
  napi="$("$NODE" -p "require('node-addon-api').include_dir")"
  # The addon's sources: g++ directly (node-gyp would need npm and Node's headers from the net).
  mkdir -p "$dir/build/Release"
  echo "device-check: building the addon against libtorch in $libdir" >&2
  g++ -shared -fPIC -O3 -fopenmp -fexceptions -frtti -Wno-unused-parameter $cflags -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS \
    -I"$nodeinc" -I"$napi" $(for i in $incs; do printf -- '-I%s ' "$i"; done) native/ftlab_native.cc native/distributed.cc \
    -o "$dir/build/Release/ftlab_native.node" -L"$libdir" -Wl,-rpath,"$libdir" $("$NODE" native/find-libtorch.cjs libs) >&2
  export FTLAB_ADDON="$(pwd)/$dir/build/Release/ftlab_native.node"
fi
[ -z "${FTLAB_BUILD_ONLY:-}" ] || { echo "device-check: built $FTLAB_ADDON" >&2; exit 0; }
# --nccl: the distributed engine on the GPUs instead: a process group over NCCL of world size 1, and
# of 2 ranks when the machine has 2 GPUs (all-reduce, all-gather with gradients, broadcast); ONE JSON line.
if [ "${1:-}" = --nccl ]; then exec "$NODE" --import tsx bench/nccl-check.ts; fi
# DEVICE_CHECK_JS: the check pre-bundled with esbuild (a machine without node_modules' tsx).
if [ -n "${DEVICE_CHECK_JS:-}" ]; then exec "$NODE" --expose-gc "$DEVICE_CHECK_JS" "$@"; fi
exec "$NODE" --expose-gc --import tsx bench/device-check.ts "$@"
