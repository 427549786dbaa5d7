"""Checks that event.schema.json accepts every examples/valid/*.json and refuses every examples/invalid/*.json.

Run: python3 client-js/schema/check_examples.py   (needs `pip install jsonschema`)
The Rust type formroute_core::beacon::Event is checked against the same examples by
`cargo test -p formroute-core beacon`, so the two definitions cannot drift apart unnoticed.
"""
import json
import pathlib
import sys

import jsonschema

here = pathlib.Path(__file__).parent
schema = json.loads((here / "event.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = []
counts = {}
for kind, want_valid in (("valid", True), ("invalid", False)):
    files = sorted((here / "examples" / kind).glob("*.json"))
    counts[kind] = len(files)
    for path in files:
        event = json.loads(path.read_text())
        ok = validator.is_valid(event)
        if ok != want_valid:
            failures.append(f"{kind}/{path.name}: schema says {'valid' if ok else 'invalid'}")
for f in failures:
    print(f, file=sys.stderr)
print(f"schema: {counts['valid']} valid and {counts['invalid']} invalid examples checked, {len(failures)} disagreements")
sys.exit(1 if failures else 0)
