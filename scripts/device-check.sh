#!/usr/bin/env bash
# GPU check in one step, for a machine with an NVIDIA GPU and a pip torch CUDA wheel installed
# (python3 -c 'import torch' works) and no Node: NODE=/path/to/node (a Node 20+ binary from an
# official tarball, which carries npm's node-gyp and the headers, so nothing is downloaded), else
# `node` on PATH. Builds the addon against python's torch into .cache/addon-device, then runs
# bench/device-check.ts: reference vector, 20 training steps device vs CPU, encode throughput,
# exact search of 10,000 queries against 1M and 8.8M synthetic vectors. Prints ONE JSON line.
#   bash scripts/device-check.sh                       # --device cuda, full sizes
#   bash scripts/device-check.sh --device cpu --steps 2 --passages 32 --queries 20 --docs 2000
# FTLAB_ADDON=file skips the build and uses that addon (the tests do, on CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE="${NODE:-$(command -v node || true)}"
[ -x "$NODE" ] || { echo "device-check: no Node binary (set NODE=/path/to/bin/node)" >&2; exit 1; }

if [ -z "${FTLAB_ADDON:-}" ]; then
  LIBTORCH="${LIBTORCH:-$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')}"
  export LIBTORCH
  dir=.cache/addon-device
  mkdir -p "$dir"
  cp native/binding.gyp native/find-libtorch.cjs native/ftlab_native.cc "$dir/"
  noderoot="$(cd "$(dirname "$(readlink -f "$NODE")")/.." && pwd)"
  gyp="$noderoot/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  nodedir=()
  [ -f "$noderoot/include/node/node_api.h" ] && nodedir=(--nodedir="$noderoot")
  # find-libtorch.cjs and node-gyp run `node`: make it this one.
  export PATH="$(dirname "$(readlink -f "$NODE")"):$PATH"
  (cd "$dir" && "$NODE" "$gyp" rebuild --silent -j "$(nproc)" "${nodedir[@]}" >&2)
  export FTLAB_ADDON="$(pwd)/$dir/build/Release/ftlab_native.node"
fi
exec "$NODE" --expose-gc --import tsx bench/device-check.ts "$@"
