#!/usr/bin/env bash
# CI only: a Python venv with the reference libraries that load ftlab's exports
# (sentence-transformers, PEFT, onnxruntime, on the torch CPU wheel setup.sh fetched), for
# test/export/python-peers.test.ts. Without it that test skips with a message. Never hangs:
# short socket timeouts and a wall-clock limit; a failed install is reported, not fatal.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.cache/peers-venv
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import sentence_transformers, peft, onnxruntime" 2>/dev/null && { echo "peers: $venv ready"; exit 0; }
wheel="$(ls -1 .cache/wheels/torch-2.*+cpu-*.whl 2>/dev/null | sort -V | tail -1)"
[ -n "$wheel" ] || { echo "peers: no torch CPU wheel in .cache/wheels (run scripts/setup.sh); the Python peer test will skip"; exit 0; }
python3 -m venv "$venv" || { echo "peers: python3 -m venv failed; the Python peer test will skip"; exit 0; }
if timeout 900 "$venv/bin/pip" install -q --disable-pip-version-check --timeout 15 --retries 1 \
     "$wheel" sentence-transformers peft onnxruntime >/dev/null 2>.cache/peers-install.log; then
  echo "peers: $("$venv/bin/python" -c 'import torch, transformers, sentence_transformers as st, peft, onnxruntime as ort; print(f"torch {torch.__version__}, transformers {transformers.__version__}, sentence-transformers {st.__version__}, peft {peft.__version__}, onnxruntime {ort.__version__}")')"
else
  echo "peers: install failed (see .cache/peers-install.log); the Python peer test will skip"
  rm -rf "$venv"
fi
