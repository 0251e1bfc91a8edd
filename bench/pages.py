"""Pages under load over HTTP: `ezh serve` (2 uvicorn workers) on PostgreSQL with the L demo
school, wrk on the same 2 cores (so the numbers are pessimistic). Signed in as the class
teacher: home page, their class page (≈ 30 pupils with parents), the login page.
Results: bench/results/pages.md. Needs Debian's wrk (apt-get install wrk).

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 50] [--size L] [--out FILE]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.isolated import ROOT, SERVICE_LOG_ENV, TMP, service_log  # noqa: E402  (first: settings of its own)
from tests.pg import Cluster  # noqa: E402


def wait_for(base: str, tries: int = 300, path: str = "/healthz") -> None:
    """Until the service at ``base`` answers its health check (a minute at most)."""
    for _ in range(tries):
        try:
            urllib.request.urlopen(base + path, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the service at {base} did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sign_in(base: str, login: str, password: str) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)
    opener.open(base + "/login", urllib.parse.urlencode(
        {"login": login, "password": password, "_csrf_token": token}).encode())
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    home = opener.open(base + "/home").read().decode()
    class_id = re.search(r'href="/classes/(\d+)"', home).group(1)
    return cookies, f"/classes/{class_id}"


def run_wrk(url: str, cookie: str, seconds: int, connections: int) -> dict:
    """One wrk run against ``url`` with the session ``cookie``: req/s, latency percentiles, errors."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat.get("50"), "p90": lat.get("90"), "p99": lat.get("99"),
            "non2xx": int(errors.group(1)) if errors else 0}


def main(args) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cluster = Cluster()
    cluster.start()
    server = None
    try:
        cluster.psql("CREATE DATABASE pages")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_VAR_DIR": str(TMP / "var"),
                    "EZH_DATABASE_URL": cluster.url("pages"),
                    **SERVICE_LOG_ENV, "EZH_DATABASE_POOL_SIZE": "10"})
        cli = [sys.executable, "-m", "service.cli"]
        for step in (["migrate"], ["demo-data", "--size", args.size, "--allow-postgresql"]):
            subprocess.run([*cli, *step], cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=service_log())
        base = f"http://127.0.0.1:{port}"
        wait_for(base)
        cookie, class_path = _sign_in(base, "klruk", "demo-ezh-2026")
        results = []
        for name, path, with_cookie in [("home (class teacher)", "/home", True),
                                        ("class page, ≈ 30 pupils + parents", class_path, True),
                                        ("login page", "/login", False)]:
            run_wrk(base + path, cookie if with_cookie else "", 2, args.connections)  # warm up
            r = run_wrk(base + path, cookie if with_cookie else "", args.seconds, args.connections)
            results.append((name, path, r))
            print(f"{name:40} {r['rps']:8.0f} req/s  p50 {r['p50']}  p99 {r['p99']}  non-2xx {r['non2xx']}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        cluster.stop()
    rows = "\n".join(f"| {n} | `{p}` | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | {r['non2xx']} |"
                     for n, p, r in results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Pages under load (HTTP, PostgreSQL, {args.size} demo school)\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/pages.py`: `ezh serve --workers 2` "
        f"(uvicorn, uvloop, httptools) on {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
        "PostgreSQL 15 throwaway cluster (fsync off), pool of 10 per worker; load from "
        f"`wrk -t2 -c{args.connections} -d{args.seconds}s` on the same cores. Signed in as the "
        "class teacher (every request resolves the session: 2 queries).\n\n"
        "| page | path | req/s | p50 | p90 | p99 | non-2xx |\n|---|---|---:|---:|---:|---:|---:|\n"
        + rows + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--size", choices=["S", "M", "L"], default="L")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/pages.md")
    main(parser.parse_args())
