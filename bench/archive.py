"""The archive on the L demo school (issue 12): the whole school's year transcripts in one
command (target: 2,500 pupils in under 3 minutes) and the year's seal (target: under 10
minutes), each as the administrator runs it — `ezh transcripts issue` and `ezh archive seal` as
child processes on a throwaway PostgreSQL cluster, with the school's real seal.

Order: the seal first, from nothing (it issues every year transcript itself, then builds the
package: the worst case), then `ezh transcripts issue` for the whole school again (a re-issue:
every pupil gets version 2), then `ezh archive verify`. Results go to bench/results/archive.md.

    .venv/bin/python bench/archive.py [--size L]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import figures  # noqa: E402
from bench.isolated import ROOT  # noqa: E402  (first: settings of its own)
from bench.isolated import TMP as _TMP
from service import db as dbmod  # noqa: E402
from tests.pg import Cluster  # noqa: E402

YEAR = "2025/2026"


async def _prepare(url: str, size: str) -> dict:
    from service.accounts.actions import do_sync_rights
    from service.audit.log import Actor
    from service.demo import generate_demo_school
    from service.timetable.tables import Lesson

    dbmod.use_database(url)
    await dbmod.migrate(out=open(os.devnull, "w"))  # noqa: ASYNC230
    await do_sync_rights(Actor.system("bench"))
    await generate_demo_school(size, 2026)
    counts = (await Lesson.raw(
        "SELECT COUNT(DISTINCT e.student) AS pupils, COUNT(DISTINCT c.id) AS classes FROM enrolment e "
        "JOIN school_class c ON c.id = e.school_class JOIN academic_year y ON y.id = c.year WHERE y.name = {}",
        YEAR).run())[0]
    await dbmod.close_pool()
    return counts


CPU: dict[str, float] = {}  # CPU seconds of each command with its worker processes


def _ezh(env: dict, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = " ".join(args[:2])
    CPU[command] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"ezh {' '.join(args)}: {seconds:.1f} s, CPU {CPU[command]:.0f} s, exit {done.returncode}", flush=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return seconds, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L", choices=("S", "M", "L"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/archive.md")
    args = parser.parse_args()

    site = _TMP / "site"
    cluster = Cluster()
    cluster.start()
    try:
        cluster.psql("CREATE DATABASE ezh_bench")
        url = cluster.url("ezh_bench")
        counts = asyncio.run(_prepare(url, args.size))
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_LOG_JSON": "false", "EZH_DATABASE_URL": url,
                    "EZH_VAR_DIR": str(site / "var"), "EZH_KEY_DIR": str(site / "keys"),
                    "EZH_SCHOOL_NAME": "Бенчмарк"})
        _, keys = _ezh(env, "keys", "init")
        seal_s, seal = _ezh(env, "archive", "seal", "--year", YEAR)
        issue_s, issue = _ezh(env, "transcripts", "issue", "--year", YEAR)
        verify_s, verify = _ezh(env, "archive", "verify")
    finally:
        cluster.stop()
    ok = all(p.returncode == 0 for p in (keys, seal, issue, verify))
    issued = re.search(r"Выпущено выписок: (\d+)", issue.stdout)
    files = re.search(r"файлов (\d+), (\d+) байт", seal.stdout)
    reissued = re.search(r"выпущено заново[^:]*: (\d+)", seal.stdout)
    n_issued = int(issued.group(1)) if issued else 0
    seal_cpu, issue_cpu = CPU.get("archive seal", 0.0), CPU.get("transcripts issue", 0.0)
    lines = [
        "# The archive: year transcripts and the year's seal (`bench/archive.py`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/archive.py`: {args.size} demo school (seed 2026), "
        f"its finished year {YEAR}: {counts['classes']} classes, {counts['pupils']} pupils (those without a single "
        "final — the first grade's marks-free year — get no transcript); PostgreSQL "
        "(throwaway cluster, fsync off); the school's seal made by `ezh keys init` (ECDSA P-256).",
        f"Machine: {os.cpu_count()} CPU (shared with other work), CPython {platform.python_version()}.",
        "",
        "| command | seconds | what it made | result |",
        "|---|---:|---|---|",
        f"| `ezh archive seal --year {YEAR}` (from nothing: issues every year transcript, then the "
        f"summary sheets, journals, movement and audit extracts, the package and the passport) | {seal_s:.0f} | "
        f"{reissued.group(1) if reissued else '?'} transcripts issued, package of "
        f"{files.group(1) if files else '?'} files, {int(files.group(2)) / 2**20 if files else 0:.0f} MiB | "
        f"{'OK' if seal.returncode == 0 else 'СБОЙ'} |",
        f"| `ezh transcripts issue --year {YEAR}` (the whole school again: version 2 of each) | {issue_s:.0f} | "
        f"{n_issued} transcripts ({issue_s / max(n_issued, 1) * 1000:.0f} ms each, on {os.cpu_count()} cores) | "
        f"{'OK' if issue.returncode == 0 else 'СБОЙ'} |",
        f"| `ezh archive verify` (folder and tar in full) | {verify_s:.0f} | — | "
        f"{'OK' if verify.returncode == 0 else 'СБОЙ'} |",
        "",
        f"CPU time of each command with its worker processes (the database's not included): seal "
        f"{seal_cpu:.0f} s, transcripts {issue_cpu:.0f} s "
        f"({issue_cpu / max(n_issued, 1) * 1000:.0f} ms a transcript). The machine's speed varies "
        "from hour to hour (docs/performance.md); CPU time varies less than the wall clock.",
        "",
        f"Targets: the whole school's transcripts in under 3 minutes for 2,500 (**{issue_s / 60:.1f} min** for "
        f"{n_issued}, {issue_s / max(n_issued, 1) * 2500 / 60:.1f} min at this rate for 2,500); "
        f"the year's seal in under 10 minutes (**{seal_s / 60:.1f} min**, transcripts included).",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    figures.save(args.out, {
        "school": args.size, "ok": ok, "transcripts": n_issued, "transcripts_seconds": round(issue_s, 1),
        "transcripts_seconds_per_2500": round(issue_s / max(n_issued, 1) * 2500, 1),
        "transcripts_target_seconds_per_2500": 180,
        "transcripts_met": issue_s / max(n_issued, 1) * 2500 <= 180,
        "seal_seconds": round(seal_s, 1), "seal_target_seconds": 600, "seal_met": seal_s <= 600,
        "verify_seconds": round(verify_s, 1), "seal_cpu_seconds": round(seal_cpu, 1),
        "transcripts_cpu_seconds": round(issue_cpu, 1)})
    print(f"→ {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
