#!/usr/bin/env bash
# Debian Chromium for the dashboard's browser tests (playwright-core drives /usr/bin/chromium).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "[setup-chromium] installing chromium with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version
