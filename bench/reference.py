"""The reference experiment of `../shared/perf-notes.md`, measured again on this machine: bare
Litestar + asyncpg + a Jinja page shell (`bench/reference_app.py`, no ezh code), a school of
88 classes × 30 pupils, 59,400 lessons and ≈ 1.19 M grades in a throwaway PostgreSQL, served by
uvicorn (2 workers, uvloop + httptools) and driven by wrk on the same 2 cores.

The journal's speed targets (grid ≥ 350 req/s, saves ≥ 1,000/s) were set from that experiment's
figures on the machine where it ran (hello 25,258 req/s, grid 426, save 771 at 50 connections
and 1,132 at 10). Run here, beside the service's own benches, it tells how much of a gap is the
machine and how much is ezh: the same bare code, on the cores the service is measured on.

Results: bench/results/reference.md and reference.json.

    .venv/bin/python bench/reference.py [--seconds 10] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import figures as bench_figures  # noqa: E402
from bench.isolated import ROOT, TMP  # noqa: E402  (first: settings of its own)
from bench.journal_grid import with_cpu  # noqa: E402
from bench.pages import free_port, run_wrk, wait_for  # noqa: E402
from tests.pg import Cluster  # noqa: E402

DB = "reference"
CLASSES, PUPILS, SUBJECTS, LESSONS = 88, 30, 15, 45  # lessons per class and subject
# the figures of ../shared/perf-notes.md, measured where the targets were set
NOTES = {"hello": 25258, "grid": 426, "save_50": 771, "save_10": 1132}

SCHEMA = f"""
CREATE TABLE klass (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE subject (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE student (id int PRIMARY KEY, klass_id int NOT NULL REFERENCES klass, name text NOT NULL);
CREATE TABLE lesson (id int PRIMARY KEY, klass_id int NOT NULL REFERENCES klass,
                     subject_id int NOT NULL REFERENCES subject, day date NOT NULL, topic text NOT NULL);
CREATE TABLE grade (lesson_id int NOT NULL REFERENCES lesson, student_id int NOT NULL REFERENCES student,
                    value smallint, weight smallint NOT NULL, PRIMARY KEY (lesson_id, student_id));
CREATE TABLE audit (seq bigint PRIMARY KEY, payload bytea NOT NULL, prev bytea NOT NULL, hash bytea NOT NULL);
CREATE TABLE chain_head (id int PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL);
INSERT INTO klass SELECT k, ((k - 1) / 8 + 1) || substr('АБВГДЕЖЗ', (k - 1) % 8 + 1, 1)
  FROM generate_series(1, {CLASSES}) k;
INSERT INTO subject SELECT s, 'Предмет ' || s FROM generate_series(1, {SUBJECTS}) s;
INSERT INTO student SELECT p, (p - 1) / {PUPILS} + 1, 'Ученик ' || lpad(p::text, 5, '0') || ' Фамилия'
  FROM generate_series(1, {CLASSES * PUPILS}) p;
INSERT INTO lesson SELECT ((k - 1) * {SUBJECTS} + s - 1) * {LESSONS} + n, k, s,
       date '2025-09-01' + (n * 2 + s % 2), 'Тема урока номер ' || n
  FROM generate_series(1, {CLASSES}) k, generate_series(1, {SUBJECTS}) s, generate_series(1, {LESSONS}) n;
-- two pupils in three have a mark in each lesson, one mark in twenty of them an absence
INSERT INTO grade SELECT l.id, p.id, CASE WHEN (p.id * 7 + l.id) % 20 = 0 THEN NULL ELSE 2 + (p.id + l.id) % 4 END,
       CASE WHEN l.id % 8 = 0 THEN 2 ELSE 1 END
  FROM lesson l JOIN student p ON p.klass_id = l.klass_id WHERE (p.id + l.id) % 3 <> 0;
CREATE INDEX ON lesson (klass_id, subject_id, day);
CREATE INDEX ON student (klass_id, name);
INSERT INTO chain_head VALUES (1, 0, '\\x{"00" * 32}');
"""

LUA = f"""
function request()
  local k = math.random(1, {CLASSES})
  local lesson = (k - 1) * {SUBJECTS * LESSONS} + math.random(1, {SUBJECTS * LESSONS})
  local student = (k - 1) * {PUPILS} + math.random(1, {PUPILS})
  local body = "lesson=" .. lesson .. "&student=" .. student .. "&value=" .. math.random(1, 5)
  return wrk.format("POST", "/save", {{["Content-Type"] = "application/x-www-form-urlencoded"}}, body)
end
"""


def _chain_verifies(cluster: Cluster) -> tuple[bool, int]:
    """Walks the audit chain the saves appended: every row's hash is sha256(previous hash +
    payload) and the head is the last row's."""
    out = cluster.psql("SELECT encode(prev, 'hex') || ' ' || encode(payload, 'hex') || ' ' || "
                       "encode(hash, 'hex') FROM audit ORDER BY seq", DB)
    prev, count = bytes(32), 0
    for line in out.splitlines():
        if not line.strip():
            continue
        was, payload, digest = (bytes.fromhex(x) for x in line.split())
        if was != prev or hashlib.sha256(prev + payload).digest() != digest:
            return False, count
        prev, count = digest, count + 1
    head = cluster.psql("SELECT encode(hash, 'hex') FROM chain_head", DB).strip()
    return head == prev.hex(), count


def main(args) -> dict:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cluster = Cluster()
    cluster.start()
    server = None
    results: dict[str, dict] = {}
    try:
        cluster.psql(f"CREATE DATABASE {DB}")
        started = time.monotonic()
        cluster.psql(SCHEMA, DB)
        cluster.psql("VACUUM ANALYZE", DB)
        counts = cluster.psql("SELECT (SELECT count(*) FROM lesson) || ' ' || (SELECT count(*) FROM grade)", DB)
        lessons, grades = (int(x) for x in counts.split())
        print(f"reference school: {lessons} lessons, {grades} grades in {time.monotonic() - started:.0f} s", flush=True)
        port = free_port()
        env = {**os.environ, "REFERENCE_DSN": cluster.url(DB)}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.reference_app:app", "--port", str(port), "--workers", "2",
             "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_for(base, path="/hello")
        page = urllib.request.urlopen(base + "/grid/1/1").read()
        size = len(page)
        assert page.count(b"<td") == PUPILS * LESSONS, "the grid is not 30 × 45"
        script = TMP / "reference-save.lua"
        script.write_text(LUA)
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        runs = [("hello", "/hello", 50, None), ("grid", "/grid/1/1", 50, None),
                ("save_50", "/save", 50, script), ("save_10", "/save", 10, script)]
        for name, path, connections, lua in runs:
            _wrk(base + path, 2, connections, lua)  # warm up
            r = with_cpu(lambda path=path, connections=connections, lua=lua: _wrk(
                base + path, args.seconds, connections, lua), args.seconds, server.pid, postmaster)
            r.update(connections=connections, service_ms=round(r["service_ms"], 2),
                     database_ms=round(r["database_ms"], 2), steal=round(r["steal"], 1))
            results[name] = r
            print(f"{name:8} {r['rps']:8.0f} req/s  p50 {r['p50']}  p99 {r['p99']}  non-2xx {r['non2xx']}  "
                  f"CPU/request: service {r['service_ms']:.2f} ms, database {r['database_ms']:.2f} ms, "
                  f"steal {r['steal']:.1f} %", flush=True)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
    try:
        verified, chained = _chain_verifies(cluster)
    finally:
        cluster.stop()
    figures = {"page_bytes": size,
               "lessons": lessons, "grades": grades, "chain_verified": verified, "chained": chained,
               "runs": results, "notes": NOTES,
               # how this machine compares with the one the targets came from, run by run
               "ratio_to_notes": {k: round(results[k]["rps"] / NOTES[k], 3) for k in NOTES}}
    _write(args, figures)
    return figures


def _wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict:
    if script is None:
        return run_wrk(url, "", seconds, connections)
    from bench.load import wrk
    r = wrk(url, "", seconds, connections, script)
    return {"rps": r["rps"], "p50": f"{r['p50_ms']}ms", "p90": f"{r['p90_ms']}ms", "p99": f"{r['p99_ms']}ms",
            "non2xx": r["errors"]}


def _write(args, f: dict) -> None:
    rows = "\n".join(
        f"| {name} | {r['connections']} | {r['rps']:.0f} | {NOTES[name]:,} | {f['ratio_to_notes'][name]:.2f} | "
        f"{r['p50']} | {r['p99']} | {r['non2xx']} | {r['service_ms']:.2f} | {r['database_ms']:.2f} | {r['steal']:.1f} |"
        for name, r in f["runs"].items())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    bench_figures.save(args.out, f)
    args.out.write_text(
        "# The reference experiment on this machine\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `bench/reference.py` on {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}, PostgreSQL throwaway cluster (fsync off). The experiment of "
        "`../shared/perf-notes.md` rebuilt without any ezh code (`bench/reference_app.py`: Litestar + asyncpg + "
        "a Jinja page shell, cells built in Python, no sessions, rights or forms), on a school of "
        f"{f['lessons']:,} lessons and {f['grades']:,} grades; the grid is 30 pupils × 45 lessons "
        f"({f['page_bytes'] / 1024:.0f} KB), the save writes a grade and chains its audit row inside the "
        "transaction under an advisory lock. uvicorn, 2 workers, uvloop + httptools; "
        f"`wrk -t2 -d{args.seconds}s` on the same cores.\n\n"
        "«notes»: the figure `../shared/perf-notes.md` gives for the same route, measured on the machine the "
        "targets were set on; «ratio»: this run's over that one's. CPU per request as in "
        "`bench/journal_grid.py` (both process trees, wrk's own not counted).\n\n"
        "| route | connections | req/s | notes | ratio | p50 | p99 | non-2xx | CPU ms/request: service | "
        "database | steal % |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + rows + f"\n\nAudit chain after the run: {f['chained']:,} rows, "
        + ("verified" if f["chain_verified"] else "**broken**") + ".\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/reference.md")
    main(parser.parse_args())
