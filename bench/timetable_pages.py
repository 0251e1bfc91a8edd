"""Timetable pages under load over HTTP (issue 8 item 9): `ezh serve` (2 uvicorn workers) on
PostgreSQL with the L demo school and its year of lessons, wrk on the same 2 cores. A teacher's
own week (the subject teacher «uchitel»: /timetable) and a class's week (the class teacher's
class, /timetable/class/{id}) and its printable page.
Results: bench/results/timetable-pages.md. Needs Debian's wrk (apt-get install wrk).

    .venv/bin/python bench/timetable_pages.py [--seconds 10] [--connections 50] [--size L] [--out FILE]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.isolated import ROOT, SERVICE_LOG_ENV, TMP, service_log  # noqa: E402  (first: settings of its own)
from bench.pages import free_port, run_wrk  # noqa: E402
from tests.pg import Cluster  # noqa: E402

PASSWORD = "demo-ezh-2026"


def _sign_in(base: str, login: str) -> tuple[str, urllib.request.OpenerDirector]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)
    opener.open(base + "/login", urllib.parse.urlencode(
        {"login": login, "password": PASSWORD, "_csrf_token": token}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar), opener


def _pages(base: str) -> list[tuple[str, str, str]]:
    """(name, path, cookie) of the pages to load: found by following the pages a user sees."""
    teacher, opener = _sign_in(base, "uchitel")
    week = opener.open(base + "/timetable").read().decode()
    assert "/timetable/teacher/" in week or "урок" in week, "the teacher's week did not render"
    leader, opener = _sign_in(base, "klruk")
    home = opener.open(base + "/home").read().decode()
    class_id = re.search(r'href="/classes/(\d+)"', home).group(1)
    class_path = f"/timetable/class/{class_id}"
    assert opener.open(base + class_path).status == 200
    return [("teacher's own week", "/timetable", teacher),
            ("class's week (class teacher)", class_path, leader),
            ("class's week, printable", class_path + "/print", leader)]


def main(args) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cluster = Cluster()
    cluster.start()
    server = None
    try:
        cluster.psql("CREATE DATABASE timetable_pages")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_VAR_DIR": str(TMP / "var"),
                    "EZH_DATABASE_URL": cluster.url("timetable_pages"),
                    **SERVICE_LOG_ENV, "EZH_DATABASE_POOL_SIZE": "10"})
        cli = [sys.executable, "-m", "service.cli"]
        started = time.monotonic()
        for step in (["migrate"], ["demo-data", "--size", args.size, "--allow-postgresql"]):
            subprocess.run([*cli, *step], cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"migrate + demo-data --size {args.size}: {time.monotonic() - started:.1f} s", flush=True)
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=service_log())
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        results = []
        for name, path, cookie in _pages(base):
            run_wrk(base + path, cookie, 2, args.connections)  # warm up
            r = run_wrk(base + path, cookie, args.seconds, args.connections)
            results.append((name, path, r))
            print(f"{name:32} {r['rps']:8.0f} req/s  p50 {r['p50']}  p99 {r['p99']}  non-2xx {r['non2xx']}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        cluster.stop()
    rows = "\n".join(f"| {n} | `{p}` | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | {r['non2xx']} |"
                     for n, p, r in results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Timetable pages under load (HTTP, PostgreSQL, {args.size} demo school)\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/timetable_pages.py`: `ezh serve --workers 2` "
        f"(uvicorn) on {os.cpu_count()} CPUs, CPython {platform.python_version()}, PostgreSQL "
        "throwaway cluster (fsync off), pool of 10 per worker; the demo school with its two-week "
        "timetable and a year of dated lessons; load from "
        f"`wrk -t2 -c{args.connections} -d{args.seconds}s` on the same cores. The teacher's own "
        "week is the subject teacher's /timetable; the class's week is the class teacher's class "
        "(this week, with the demo's substitutions).\n\n"
        "| page | path | req/s | p50 | p90 | p99 | non-2xx |\n|---|---|---:|---:|---:|---:|---:|\n"
        + rows + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--size", choices=["S", "M", "L"], default="L")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/timetable-pages.md")
    main(parser.parse_args())
