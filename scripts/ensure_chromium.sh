#!/usr/bin/env bash
# Chromium for the browser tests (tests/browser): Playwright cannot download its own browsers
# here, so Debian's chromium-headless-shell is installed with apt when it is missing (as root,
# or with passwordless sudo). Used by scripts/test.sh (the README's test command) and .ci/run.
set -euo pipefail
if dpkg -s chromium-headless-shell >/dev/null 2>&1 || command -v chromium-headless-shell >/dev/null \
    || command -v chromium >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "chromium-headless-shell is missing and this user cannot apt-get install it (not root, no sudo):" >&2
  echo "install it (apt-get install chromium-headless-shell), then run this again" >&2
  exit 1
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null
