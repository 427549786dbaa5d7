#!/usr/bin/env bash
#! Installs everything the test suite needs on a fresh Debian machine with the Rust toolchain. Idempotent.
# Python tools (moto server, cargo-lambda) go into a venv under target/, Node packages into
# client-js/node_modules (from package-lock.json), Debian packages through apt.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "setup: $*" >&2; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v brotli >/dev/null || need_apt+=(brotli)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

VENV=target/test-venv
if [ ! -x "$VENV/bin/moto_server" ] || [ ! -x "$VENV/bin/cargo-lambda" ]; then
  log "python venv with moto and cargo-lambda in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
fi

if [ -f client-js/package-lock.json ]; then
  log "npm ci in client-js"
  (cd client-js && npm ci --no-audit --no-fund --loglevel=error)
fi
log "done"
