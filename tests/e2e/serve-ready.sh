#!/usr/bin/env bash
#! Benchmark helper: starts `formroute serve` on a fixed port, waits until the demo page and acme's artifact answer, then stops it.
# Measure with: hyperfine --warmup 1 --runs 20 'bash tests/e2e/serve-ready.sh target/release/formroute'
set -u
BIN=${1:-target/debug/formroute}
PORT=${PORT:-18731}
WORK=$(mktemp -d)
"$BIN" serve --listen "127.0.0.1:$PORT" --work "$WORK" >/dev/null 2>&1 &
pid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && curl -sf -o /dev/null "http://127.0.0.1:$PORT/acme.frt"; do
  kill -0 "$pid" 2>/dev/null || { echo "formroute serve exited" >&2; exit 1; }
  sleep 0.01
done
kill "$pid"
wait "$pid" 2>/dev/null
rm -rf "$WORK"
exit 0
