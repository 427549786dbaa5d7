#!/usr/bin/env bash
#! The one test command: installs what the tests need, starts the local services, runs every test, stops them.
# Usage: bash tests/run-all.sh        (CI calls exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash tests/setup.sh

# ---- services on 127.0.0.1, stopped on exit -------------------------------------------------
MOTO_PORT=${FORMROUTE_MOTO_PORT:-5055}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/formroute-tests.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "tests: starting moto (S3 + SQS) on 127.0.0.1:$MOTO_PORT" >&2
target/test-venv/bin/moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null || { cat "$WORK/moto.log" >&2; echo "moto did not start" >&2; exit 1; }

export FORMROUTE_MOTO_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export CHROMIUM=/usr/bin/chromium
export PATH="$ROOT/target/test-venv/bin:$PATH"

# ---- static checks ------------------------------------------------------------------------
echo "tests: cargo fmt / clippy" >&2
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet

# ---- template.yaml: lint, security checks, SAM transform, then the stack on moto ---------------
# The stack's description (outputs, physical ids, function environments, ...) goes to
# FORMROUTE_E2E_STACK; the whole-system test in tests/e2e/ runs a second time on those resources.
echo "tests: template.yaml (cfn-lint, checkov, SAM transform, CreateStack on moto)" >&2
target/test-venv/bin/python -c "import sys; from cfnlint.runner import main; sys.exit(main())" template.yaml
target/checkov-venv/bin/python -m checkov.main -f template.yaml --framework cloudformation --compact --quiet --skip-download
target/test-venv/bin/python tests/deploy/stack.py check
AWS_ENDPOINT_URL="$FORMROUTE_MOTO_URL" target/test-venv/bin/python tests/deploy/stack.py create formroute-e2e "$WORK/stack.json" \
  EnvironmentName=e2e AlarmEmail=alarms@example.com
export FORMROUTE_E2E_STACK="$WORK/stack.json"
# The other branches of the template's conditions: custom domain, no WAF, no alarm topic, x86_64.
AWS_ENDPOINT_URL="$FORMROUTE_MOTO_URL" target/test-venv/bin/python tests/deploy/stack.py create formroute-domain "$WORK/stack-domain.json" \
  EnvironmentName=domain DomainName=routes.example.com CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/test \
  EnableWaf=false Architecture=x86_64 >/dev/null

# ---- Rust tests (unit, CLI, moto and runtime-emulator integration) --------------------------
echo "tests: cargo test" >&2
# `cargo test` also builds both binaries (the integration tests and the node tests below run them);
# a separate `cargo build` would compile the AWS stack twice, with and without the dev-dependencies' features.
# `fault-injection` compiles the test-only "kill the publish before write N" hook into the test
# binary (tests/publish.rs); release builds never have it.
# `--include-ignored`: CI runs every test, the ignored ones (they name what they need) too.
cargo test --locked --features formroute/fault-injection -- --include-ignored
cargo test --locked -p formroute-zipgen   # not a default member: it embeds the whole ZIP source
# The report readers' long fuzz run (issue 11): src/logs/proptests.rs with 800 cases (1,000 ran in 35 s on 2 cores), kept under ~30 s.
PROPTEST_CASES="${FORMROUTE_FUZZ_CASES:-800}" cargo test --locked --features formroute/fault-injection -p formroute --bin formroute logs::proptests

# ---- The archive as SQL users read it (DuckDB; the binaries `cargo test` built) ---------------
echo "tests: archive SQL (DuckDB)" >&2
target/test-venv/bin/python -m unittest tests/archive/test_archive_sql.py

# ---- JavaScript: unit, size budget, conformance with Rust, headless browser -----------------
echo "tests: client-js" >&2
(cd client-js && npm run --silent build)
# The snippet is committed so that `formroute serve` works on a fresh clone with Rust alone; the build is
# deterministic, so the committed copy must equal what the sources give.
if ! git diff --quiet -- client-js/dist; then
  echo "tests: client-js/dist differs from the committed snippet: commit the output of 'npm run build'" >&2
  [ -n "${CI:-}" ] && exit 1
fi
node --test client-js/test/ tests/conformance/ tests/deploy/ tests/e2e/
