"""Cold start of the logger function on cargo-lambda's runtime emulator: time from starting the process to the first answer of GET /v1/resolve.

Usage: FORMROUTE_MOTO_URL=http://127.0.0.1:5101 python3 lambda-logger/bench/coldstart.py [RUNS]
Needs `cargo lambda` on PATH (bash tests/setup.sh: target/test-venv/bin), moto, boto3, and
target/release/lambda-logger + a formroute binary (cargo build --release -p lambda-logger).
Three cases, RUNS times each (default 15), printing one RESULT line per case with the median:
  s3       FORMROUTE_ARTIFACTS=s3://BUCKET/routes after `formroute publish` (manifest + 3 artifacts fetched)
  no-s3    the same bucket without any manifest (the first load fails: 503, fallback)
  folder   FORMROUTE_ARTIFACTS=a local build folder (what a manifest baked into the zip cost)
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
MOTO = os.environ["FORMROUTE_MOTO_URL"]
BIN = os.path.join(ROOT, "target/release/lambda-logger")
FORMROUTE = next(p for p in (os.path.join(ROOT, "target", d, "formroute") for d in ("release", "debug")) if os.path.exists(p))
AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": MOTO}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


work = tempfile.mkdtemp(prefix="coldstart-")
build = os.path.join(work, "build")
subprocess.run([FORMROUTE, "build", "--data", os.path.join(ROOT, "data"), "--out", build], check=True, capture_output=True)
s3 = boto3.client("s3", endpoint_url=MOTO, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
bucket, empty = f"coldstart-{os.getpid()}", f"coldstart-empty-{os.getpid()}"
s3.create_bucket(Bucket=bucket)
s3.create_bucket(Bucket=empty)
subprocess.run([FORMROUTE, "publish", "--artifacts", build, "--bucket", bucket, "--prefix", "routes"], check=True, capture_output=True,
               env={**os.environ, **AWS})

port = free_port()
emulator = subprocess.Popen(["cargo", "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
                            cwd=os.path.join(ROOT, "lambda-logger"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/lambda-url/_/v1/resolve?brand=acme&zip=10001&product=auto"
for _ in range(600):  # until the emulator accepts connections (at most a minute)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)

cases = {
    "s3": f"s3://{bucket}/routes",
    "no-s3": f"s3://{empty}/routes",
    "folder": build,
}
try:
    for name, artifacts in cases.items():
        times, statuses = [], set()
        for _ in range(RUNS + 1):
            env = {**os.environ, **AWS, "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{port}/.rt", "AWS_LAMBDA_FUNCTION_NAME": "_",
                   "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                   "FORMROUTE_ARTIFACTS": artifacts, "FORMROUTE_SPOOL": os.path.join(work, "spool.ndjson"),
                   "FORMROUTE_FALLBACK_URL": "https://www.example.com/"}
            t0 = time.perf_counter()
            fn = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                status = urllib.request.urlopen(url, timeout=60).status
            except urllib.error.HTTPError as e:
                status = e.code
            times.append((time.perf_counter() - t0) * 1000)
            if os.environ.get("DEBUG"): print(name, status, round(times[-1], 1), flush=True)
            statuses.add(status)
            fn.kill()
            fn.wait()
        times = times[1:]  # the first run warms the emulator and the page cache
        print(f"RESULT coldstart {name}: median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}, "
              f"{RUNS} runs, first answer {sorted(statuses)})", flush=True)
finally:
    emulator.kill()
