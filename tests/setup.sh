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

# A venv is (re)filled when its requirements file changed since the last install (a copy is kept
# inside it). pip runs as `python -m pip`, which works in a venv that was moved or copied.
venv() {
  local dir=$1 req=$2
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$req" "$dir/installed-requirements.txt"; then
    log "python venv $dir from $req"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$dir/installed-requirements.txt"
  fi
}
VENV=target/test-venv
venv "$VENV" tests/requirements.txt          # moto, cargo-lambda, cfn-lint, aws-sam-translator
venv target/checkov-venv tests/requirements-checkov.txt

if [ -f client-js/package-lock.json ]; then
  log "npm ci in client-js"
  (cd client-js && npm ci --no-audit --no-fund --loglevel=error)
fi
log "done"
