"""The archive as SQL users read it: a spool archived by `lambda-archiver drain --from-spool`, read by DuckDB with hive partitioning; docs/LOGS.md's dedupe query gives `formroute logs report`'s totals.

Run: target/test-venv/bin/python -m unittest tests/archive/test_archive_sql.py   (after `cargo build`;
tests/run-all.sh does both). DuckDB comes from tests/requirements.txt (bash tests/setup.sh).
"""

import json
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "target" / "debug"
DAY = 86_400_000
# 2026-11-02T10:00:00Z and the next day.
T0 = 1_793_613_600_000


def event(i, brand, received, kind, bot=False, **fields):
    e = {
        "id": f"ev{i:08d}",
        "type": kind,
        "ts": received - 50,
        "brand": brand,
        "page": f"https://www.{brand}.example/quote",
        "pv": f"pv{i // 3:08d}",
        "received": received,
        "request_id": f"req-{i}",
        "ua": "Googlebot/2.1" if bot else "Mozilla/5.0",
        "bot": bot,
    }
    if kind == "resolve":
        e.update({"zip": "10001", "product": "auto", "language": "en", "ms": 0.8})
    else:
        e.update({"ms": 40.0, "source": "network"})
    e.update(fields)
    return e


def spool_lines():
    """Two brands over two days; some events sent twice (redelivery), one broken line."""
    events = []
    for i in range(60):
        brand = "acme" if i % 3 else "solis"
        received = T0 + (i % 2) * DAY + i * 1000
        if i % 10 == 0:
            events.append(event(i, brand, received, "load"))
        elif i % 10 == 7:
            events.append(event(i, brand, received, "resolve", ok=False, error="unknown_zip"))
        elif i % 10 == 9:
            events.append(event(i, brand, received, "error"))
        else:
            events.append(event(i, brand, received, "resolve", ok=True, state="NY", form_type="agent", language_used="en"))
    lines = [json.dumps(e) for e in events]
    lines.insert(10, "{ not an event")
    # Redelivered: the same events again, handed to another archiver instance. One archiver process
    # drops copies it archived itself earlier that day; copies across instances reach the archive,
    # which is why SQL users dedupe on `id` (docs/LOGS.md).
    redelivered = [json.dumps(events[k]) for k in (1, 2, 5, 17, 33)]
    return lines, redelivered


def dedupe_query():
    text = (ROOT / "docs" / "LOGS.md").read_text()
    m = re.search(r"```sql\n(-- dedupe-query:.*?)```", text, re.S)
    if not m:
        raise AssertionError("docs/LOGS.md has no ```sql block starting with `-- dedupe-query:`")
    return m.group(1)


def view_sql():
    text = (ROOT / "docs" / "LOGS.md").read_text()
    m = re.search(r"```sql\n(CREATE VIEW events AS.*?)```", text, re.S)
    if not m:
        raise AssertionError("docs/LOGS.md has no DuckDB `CREATE VIEW events` block")
    return m.group(1)


class ArchiveSql(unittest.TestCase):
    def test_duckdb_over_the_archive_gives_the_reports_totals(self):
        for b in ("formroute", "lambda-archiver"):
            self.assertTrue((BIN / b).exists(), f"{BIN / b} is missing: run `cargo build` first")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            spool, again = tmp / "events.ndjson", tmp / "redelivered.ndjson"
            first, redelivered = spool_lines()
            spool.write_text("\n".join(first) + "\n")
            again.write_text("\n".join(redelivered) + "\n")
            archive = tmp / "archive"
            run = subprocess.run(
                [BIN / "lambda-archiver", "drain", "--from-spool", spool, "--to", archive, "--batch", "20"],
                capture_output=True, text=True, check=True,
            )
            summary = json.loads(run.stdout)
            self.assertEqual(summary["skipped"], 1, run.stderr)
            self.assertIn("line 11: skipped", run.stderr)
            objects = sorted(archive.glob("events/brand=*/dt=*/hour=*/*.ndjson.gz"))
            self.assertGreater(len(objects), 4)
            # Idempotent: a second run writes the same keys.
            subprocess.run(
                [BIN / "lambda-archiver", "drain", "--from-spool", spool, "--to", archive, "--batch", "20"],
                capture_output=True, check=True,
            )
            self.assertEqual(sorted(archive.glob("events/brand=*/dt=*/hour=*/*.ndjson.gz")), objects)
            # The redelivered copies, archived by another instance (another process).
            subprocess.run(
                [BIN / "lambda-archiver", "drain", "--from-spool", again, "--to", archive, "--batch", "20"],
                capture_output=True, check=True,
            )

            report = subprocess.run(
                [BIN / "formroute", "logs", "report", "--from", archive, "--format", "json"],
                capture_output=True, text=True, check=True,
            )
            totals = json.loads(report.stdout)["totals"]

            db = duckdb.connect()
            db.execute(view_sql().replace("archive/", f"{archive}/"))
            raw, distinct = db.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchone()
            self.assertEqual((raw, distinct), (65, 60), "the raw rows hold the redelivered copies")
            brands = [r[0] for r in db.execute("SELECT DISTINCT brand FROM events ORDER BY 1").fetchall()]
            self.assertEqual(brands, ["acme", "solis"], "brand comes from the hive path")
            q = dedupe_query().replace("'2026-11-01' AND '2026-11-30'", "'2026-11-01' AND '2026-11-03'")
            cur = db.execute(q)
            names = [d[0] for d in cur.description]
            got = dict(zip(names, cur.fetchone()))
            for k in ("resolves", "ok", "fallbacks", "loads", "load_errors"):
                self.assertEqual(got[k], totals[k], f"{k}: DuckDB {got}, report {totals}")
            for k in ("page_views", "visitors_to_form"):
                self.assertEqual(got[k], totals[k], f"{k}: DuckDB {got}, report {totals}")


if __name__ == "__main__":
    unittest.main()
