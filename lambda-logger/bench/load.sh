#!/usr/bin/env bash
# Load benchmark of lambda-logger on loopback with wrk (apt-get install wrk): 10-event batches,
# spool sink at full load and at about half of it; SQS sink (moto) when FORMROUTE_MOTO_URL is set.
# Usage: bash lambda-logger/bench/load.sh [seconds]     Prints one RESULT line per run.
# Note: wrk's per-thread Lua state means `response()` counters are per thread; errors come from wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p lambda-logger
bin=target/release/lambda-logger
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work/body.json" <<'PY'
import json, sys, glob
ev = json.load(open("client-js/schema/examples/valid/resolve-ok.json"))
events = []
for i in range(10):
    e = dict(ev); e["id"] = f"bench_{i:08d}"; events.append(e)
open(sys.argv[1], "w").write(json.dumps({"events": events}))
PY
echo "body: $(wc -c < "$work/body.json") bytes, 10 events" >&2

start_logger() { # sink args...
  "$bin" serve --listen 127.0.0.1:0 --artifacts lambda-logger/tests/fixtures/artifacts --rate-limit 0 "$@" 2> "$work/log" &
  for _ in $(seq 100); do grep -q "listening on" "$work/log" 2>/dev/null && break; sleep 0.05; done
  url=$(grep -o 'http://[0-9.:]*' "$work/log" | head -1)/v1/events
}

run() { # label, wrk args...
  local label=$1; shift
  echo "== $label: wrk $* $url" >&2
  BODY_FILE="$work/body.json" wrk "$@" --latency -s lambda-logger/bench/post.lua "$url" > "$work/wrk.out"
  grep -E "Non-2xx|Socket errors" "$work/wrk.out" >&2 || true
  echo "$label $(grep RESULT "$work/wrk.out")"
}

start_logger --spool "$work/spool.ndjson"
run "spool-full" -t1 -c32 -d"${secs}s"
# About half the full rate: each of 10 connections pauses HALF_DELAY_MS between requests.
DELAY_MS="${HALF_DELAY_MS:-2}" run "spool-half" -t1 -c10 -d"${secs}s"
kill %1; wait %1 2>/dev/null || true
echo "spool lines written: $(wc -l < "$work/spool.ndjson")" >&2

if [ -n "${FORMROUTE_MOTO_URL:-}" ]; then
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$FORMROUTE_MOTO_URL"
  q=$(python3 -c "import boto3;print(boto3.client('sqs',endpoint_url='$FORMROUTE_MOTO_URL').create_queue(QueueName='bench-$$')['QueueUrl'])")
  start_logger --queue-url "$q"
  run "sqs-moto" -t1 -c16 -d"${secs}s"
fi
