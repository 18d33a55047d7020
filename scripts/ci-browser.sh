#!/usr/bin/env bash
# CI only (not the user's quick start): Debian's chromium for the report's browser test
# (test/report/browser.test.ts, driven by puppeteer-core; no browser download from npm).
# Without chromium that test skips with a message.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(chromium --version 2>/dev/null | tail -1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium
chromium --version 2>/dev/null | tail -1
