#!/usr/bin/env bash
# Load benchmark of lambda-logger on loopback with wrk (apt-get install wrk): 10-event batches,
# spool sink at full load and at about half of it; then GET /v1/resolve (lookups of 2,000 queries
# drawn from data/, each logged as a server event on the spool) in the same run; SQS sink (moto)
# when FORMROUTE_MOTO_URL is set. The logger serves a build of data/.
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
# A build of data/ (the bytes do not depend on the builder's profile: any formroute binary will do).
formroute=$(ls target/release/formroute target/debug/formroute 2>/dev/null | head -1 || true)
if [ -z "$formroute" ]; then cargo build -q -p formroute; formroute=target/debug/formroute; fi
"$formroute" build --data data --out "$work/build" >/dev/null 2>&1
python3 - "$work/paths.txt" <<'PY'
import csv, random, sys, urllib.parse
random.seed(7)
rows = lambda f: [r for r in csv.DictReader(l for l in open(f"data/{f}") if not l.startswith("#"))]
zips = [r["zip"] for r in rows("zips.csv")]
products = {}
for r in rows("forms.csv"): products.setdefault(r["brand"], set()).add(r["product"])
with open(sys.argv[1], "w") as out:
    for _ in range(2000):
        brand = random.choice(sorted(products))
        q = {"brand": brand, "zip": random.choice(zips), "product": random.choice(sorted(products[brand])), "language": random.choice(["en", "es", ""])}
        out.write("/v1/resolve?" + urllib.parse.urlencode(q) + "\n")
PY

start_logger() { # sink args...
  "$bin" serve --listen 127.0.0.1:0 --artifacts "$work/build" --rate-limit 0 "$@" 2> "$work/log" &
  for _ in $(seq 100); do grep -q "listening on" "$work/log" 2>/dev/null && break; sleep 0.05; done
  base=$(grep -o 'http://[0-9.:]*' "$work/log" | tail -1)
  url=$base/v1/events
}

run() { # label, wrk args...   (SCRIPT=get.lua for lookups; default post.lua, beacons)
  local label=$1; shift
  local script=${SCRIPT:-post.lua} target=$url
  [ "$script" = get.lua ] && target=$base/v1/resolve
  echo "== $label: wrk $* -s $script $target" >&2
  BODY_FILE="$work/body.json" PATHS_FILE="$work/paths.txt" wrk "$@" --latency -s "lambda-logger/bench/$script" "$target" > "$work/wrk.out"
  grep -E "Non-2xx|Socket errors" "$work/wrk.out" >&2 || true
  echo "$label $(grep RESULT "$work/wrk.out")"
}

start_logger --spool "$work/spool.ndjson"
run "spool-full" -t1 -c32 -d"${secs}s"
# About half the full rate: each of 10 connections pauses HALF_DELAY_MS between requests.
DELAY_MS="${HALF_DELAY_MS:-2}" run "spool-half" -t1 -c10 -d"${secs}s"
SCRIPT=get.lua run "resolve-full" -t1 -c32 -d"${secs}s"
SCRIPT=get.lua run "resolve-c1" -t1 -c1 -d"${secs}s"
kill %1; wait %1 2>/dev/null || true
echo "spool lines written: $(wc -l < "$work/spool.ndjson")" >&2

if [ -n "${FORMROUTE_MOTO_URL:-}" ]; then
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$FORMROUTE_MOTO_URL"
  q=$(python3 -c "import boto3;print(boto3.client('sqs',endpoint_url='$FORMROUTE_MOTO_URL').create_queue(QueueName='bench-$$')['QueueUrl'])")
  start_logger --queue-url "$q"
  run "sqs-moto" -t1 -c16 -d"${secs}s"
  kill %1; wait %1 2>/dev/null || true
  # The refresh's cost: lookups from a build published on S3 (moto), revalidated at most every
  # 30 s (so never during the run) against every request (a conditional GET answered 304 each time).
  b=bench-$$
  python3 -c "import boto3;boto3.client('s3',endpoint_url='$FORMROUTE_MOTO_URL').create_bucket(Bucket='$b')"
  "$formroute" publish --artifacts "$work/build" --bucket "$b" --prefix routes >/dev/null 2>&1
  for r in 30 0; do
    "$bin" serve --listen 127.0.0.1:0 --artifacts "s3://$b/routes" --refresh-secs $r --spool "$work/s3.ndjson" 2> "$work/log" &
    for _ in $(seq 100); do grep -q "listening on" "$work/log" 2>/dev/null && break; sleep 0.05; done
    grep "build " "$work/log" >&2 || true
    base=$(grep -o 'http://[0-9.:]*' "$work/log" | tail -1)
    SCRIPT=get.lua run "resolve-s3-refresh$r-c1" -t1 -c1 -d"${secs}s"
    kill %1; wait %1 2>/dev/null || true
  done
fi
