"""The journal grid's speed (issue 9 item 12) on PostgreSQL with the L demo school:

(a) server time to build a 35 × quarter grid in-process (``grid.load`` — every query — plus the
    table's HTML built in Python), median of many runs on a warm connection pool;
(b) `ezh serve --workers 2` under `wrk -c50` on the same 2 cores: the grid page as one who may
    edit it, with the plain framework ceiling (/healthz) measured in the same run.

Bench-only setup, clearly not demo data: the chosen class is topped up to 35 pupils (persons
and enrolments written directly) and the chosen quarter's cells are filled with grades (a
контрольная every 8th lesson, a comment now and then) and ~5 % absences by one INSERT … SELECT
each — unless the demo already holds grades there. Results: bench/results/journal-grid.md.

    .venv/bin/python bench/journal_grid.py [--seconds 10] [--connections 50] [--runs 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.isolated import ROOT, SERVICE_LOG_ENV, TMP, service_log  # noqa: E402  (first: settings of its own)
from bench.pages import free_port, run_wrk  # noqa: E402
from bench.timetable_pages import _sign_in  # noqa: E402
from tests.pg import Cluster  # noqa: E402

DB = "journal_grid"
PUPILS = 35


def cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of a process tree so far: each live process's own, plus what
    its reaped children used. Read before and after a run, it tells how much CPU the run cost the
    service or the database — a figure that drifts less than requests per second when other work
    shares this machine's cores."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def steal_seconds() -> float:
    """CPU seconds the hypervisor gave to others while this machine wanted them (``steal`` of
    /proc/stat, all cores): when it grows during a run, every figure of that run is pessimistic."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def with_cpu(run, seconds: int, server: int, postmaster: int, count: str = "rps") -> dict:
    """``run()`` (one wrk run of ``seconds``) with what each request cost: the CPU the service's
    and PostgreSQL's process trees used during it, per request answered (``count``: the result's
    key of requests per second, or of all requests), and the hypervisor's steal in per cent."""
    before = cpu_seconds(server), cpu_seconds(postmaster), steal_seconds()
    r = run()
    done = r[count] * seconds if count == "rps" else r[count]
    r["steal"] = (steal_seconds() - before[2]) / (seconds * (os.cpu_count() or 1)) * 100
    r["service_ms"] = (cpu_seconds(server) - before[0]) / done * 1000 if done else 0.0
    r["database_ms"] = (cpu_seconds(postmaster) - before[1]) / done * 1000 if done else 0.0
    return r


def _rows(cluster: Cluster, sql: str) -> list[list[str]]:
    out = cluster.psql(sql, DB)
    return [line.split("|") for line in out.strip().splitlines() if line]


def _choose(cluster: Cluster) -> dict:
    """The largest class's journal with the most hours a week, its first quarter, and who opens
    it: the demo class teacher «klruk» when it is theirs to teach, else the deputy head «zavuch»
    (``journal.edit``: the same editable grid)."""
    r = _rows(cluster, """
        SELECT t.school_class, t.subject, c.grade, c.year, t.teacher,
               (SELECT COUNT(*) FROM enrolment e WHERE e.school_class = c.id AND e.ends_on IS NULL) AS pupils,
               COALESCE((SELECT a.login FROM account a WHERE a.person = t.teacher AND a.login = 'klruk'), 'zavuch')
        FROM teaching_load t
        JOIN school_class c ON c.id = t.school_class
        JOIN academic_year y ON y.id = c.year AND y.is_current
        ORDER BY pupils DESC, t.hours_per_week DESC, t.id LIMIT 1""")[0]
    school_class, subject, grade, year, teacher, pupils = (int(x) for x in r[:6])
    login = r[6]
    person = int(_rows(cluster, f"SELECT person FROM account WHERE login = '{login}'")[0][0])
    period = _rows(cluster, f"""
        SELECT id, starts_on, ends_on FROM study_period WHERE year = {year} AND grade_from <= {grade}
        AND grade_to >= {grade} ORDER BY starts_on LIMIT 1""")[0]
    return {"class": school_class, "subject": subject, "person": person, "login": login, "pupils": pupils,
            "period": int(period[0]), "start": period[1], "end": period[2], "ref": f"c{school_class}-s{subject}"}


def _fill(cluster: Cluster, j: dict) -> str:
    """Bench-only: top the class up to 35 pupils and fill the quarter's cells (one statement each)."""
    notes = []
    missing = PUPILS - j["pupils"]
    if missing > 0:
        cluster.psql(f"""
            WITH p AS (
              INSERT INTO person (last_name, first_name, middle_name, sex, created_at, snils, phone, email)
              SELECT 'Добавленный' || g, 'Ученик', '', '', now(), '', '', '' FROM generate_series(1, {missing}) g
              RETURNING id)
            INSERT INTO enrolment (student, school_class, starts_on, order_ref)
            SELECT id, {j['class']}, DATE '{j['start']}' - 30, 'bench' FROM p""", DB)
        notes.append(f"{missing} pupils added to reach {PUPILS}")
    lessons = f"""l.school_class = {j['class']} AND l.subject = {j['subject']} AND NOT l.cancelled
                  AND l.on_date BETWEEN DATE '{j['start']}' AND DATE '{j['end']}'"""
    members = """JOIN enrolment e ON e.school_class = l.school_class AND e.starts_on <= l.on_date
                 AND (e.ends_on IS NULL OR e.ends_on >= l.on_date)"""
    existing = int(_rows(cluster, f"SELECT COUNT(*) FROM grade g JOIN lesson l ON l.id = g.lesson WHERE {lessons}")[0][0])
    if existing:
        notes.append(f"the demo's own {existing} grades used")
        return "; ".join(notes)
    cluster.psql(f"""
        INSERT INTO grade (lesson, student, system, work_kind, mark, value, weight, position, comment,
                           created_at, updated_at)
        SELECT l.id, e.student, s.id, w.id, m.mark, m.mark::numeric, w.weight, 0,
               CASE WHEN (l.id * 7 + e.student) % 40 = 0 THEN 'Аккуратно оформлено' ELSE '' END, now(), now()
        FROM lesson l {members}
        JOIN grading_system s ON s.code = '5'
        JOIN work_kind w ON w.name = CASE WHEN l.id % 8 = 0 THEN 'Контрольная работа' ELSE 'Ответ на уроке' END
        CROSS JOIN LATERAL (SELECT CASE WHEN (l.id * 31 + e.student * 17) % 20 = 0 THEN '2'
                                        WHEN (l.id * 31 + e.student * 17) % 20 < 6 THEN '3'
                                        WHEN (l.id * 31 + e.student * 17) % 20 < 14 THEN '4' ELSE '5' END AS mark) m
        WHERE {lessons} AND ((l.id * 13 + e.student * 7) % 10 < 6 OR l.id % 8 = 0)""", DB)
    cluster.psql(f"""
        INSERT INTO attendance (lesson, student, kind, note, updated_at)
        SELECT l.id, e.student, CASE WHEN e.student % 3 = 0 THEN 'ill' ELSE 'absent' END, '', now()
        FROM lesson l {members} WHERE {lessons} AND (l.id * 11 + e.student * 5) % 20 = 0""", DB)
    cluster.psql(f"UPDATE lesson l SET has_records = TRUE WHERE {lessons}", DB)
    notes.append("grades and absences of the quarter written by the bench")
    return "; ".join(notes)


async def _in_process(url: str, j: dict, runs: int) -> dict:
    from service.accounts.viewer import Viewer
    from service.db import start_pool, use_database
    from service.journal import access, grid

    use_database(url)
    await start_pool(4)
    rights = {"journal.teach", "journal.class"} if j["login"] == "klruk" else {"journal.view", "journal.edit"}
    viewer = Viewer(0, j["login"], j["person"], j["login"], ("teacher",), frozenset(rights))
    ref = access.parse_ref(j["ref"])
    loads, htmls, totals = [], [], []
    g = None
    for i in range(runs + 10):
        t0 = time.perf_counter()
        g = await grid.load(viewer, ref, j["period"])
        t1 = time.perf_counter()
        html = grid.head_html(g) + grid.body_html(g)
        t2 = time.perf_counter()
        if i >= 10:  # the first runs warm the pool and the caches
            loads.append(t1 - t0)
            htmls.append(t2 - t1)
            totals.append(t2 - t0)
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    cells = sum(1 for s in g.students for le in g.lessons if (le.id, s.id) in g.marks or (le.id, s.id) in g.attendance)
    return {"students": len(g.students), "lessons": len(g.lessons), "filled": cells, "bytes": len(html.encode()),
            "load": ms(loads), "html": ms(htmls), "total": ms(totals),
            "p90": sorted(totals)[int(len(totals) * 0.9)] * 1000}


def main(args) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cluster = Cluster()
    cluster.start()
    server = None
    try:
        cluster.psql(f"CREATE DATABASE {DB}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_VAR_DIR": str(TMP / "var"),
                    "EZH_DATABASE_URL": cluster.url(DB), **SERVICE_LOG_ENV,
                    "EZH_DATABASE_POOL_SIZE": "10"})
        cli = [sys.executable, "-m", "service.cli"]
        for step in (["migrate"], ["demo-data", "--size", args.size, "--allow-postgresql"]):
            subprocess.run([*cli, *step], cwd=ROOT, env=env, check=True, capture_output=True)
        j = _choose(cluster)
        setup = _fill(cluster, j)
        cluster.psql("VACUUM ANALYZE", DB)
        load_before = os.getloadavg()[0]
        inproc = asyncio.run(_in_process(cluster.url(DB), j, args.runs))
        print(f"grid {inproc['students']} × {inproc['lessons']} ({inproc['filled']} filled cells, "
              f"{inproc['bytes']} B): queries {inproc['load']:.2f} ms + HTML {inproc['html']:.2f} ms = "
              f"{inproc['total']:.2f} ms median (p90 {inproc['p90']:.2f})", flush=True)
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
        cookie, opener = _sign_in(base, j["login"])
        path = f"/journal/{j['ref']}?period={j['period']}"
        page = opener.open(base + path).read()
        assert b'data-save="/journal/cell"' in page, "the grid did not render editable"
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        results = []
        for name, url, with_cookie in [("framework ceiling: /healthz", "/healthz", False),
                                       (f"journal grid {inproc['students']} × {inproc['lessons']} ({j['login']})", path, True),
                                       ("grid as JSON (API)", f"/journal/api/grid/{j['ref']}?period={j['period']}", True)]:
            run_wrk(base + url, cookie if with_cookie else "", 2, args.connections)  # warm up
            r = with_cpu(lambda url=url, with_cookie=with_cookie: run_wrk(
                base + url, cookie if with_cookie else "", args.seconds, args.connections),
                args.seconds, server.pid, postmaster)
            results.append((name, url, r))
            print(f"{name:40} {r['rps']:8.0f} req/s  p50 {r['p50']}  p99 {r['p99']}  non-2xx {r['non2xx']}  "
                  f"CPU/request: service {r['service_ms']:.2f} ms, database {r['database_ms']:.2f} ms, "
                  f"steal {r['steal']:.1f} %", flush=True)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        cluster.stop()
    rows = "\n".join(f"| {n} | `{p}` | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | {r['non2xx']} | "
                     f"{r['service_ms']:.2f} | {r['database_ms']:.2f} | {r['steal']:.1f} |" for n, p, r in results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Journal grid speed (PostgreSQL, {args.size} demo school)\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `bench/journal_grid.py` on {os.cpu_count()} CPUs, "
        f"CPython {platform.python_version()}, PostgreSQL throwaway cluster (fsync off); load average "
        f"{load_before:.1f} when the run began (other work on the machine shares the cores: above ~2 every "
        "number here is pessimistic). The journal: the "
        f"largest class's journal with the most hours a week (`{j['ref']}`), its first quarter. Bench-only "
        f"setup: {setup}.\n\n"
        "## (a) Server time to build the grid, in-process (target < 8 ms)\n\n"
        f"`grid.load` (every query of the grid on a warm pool of 4) + the table's HTML built in Python; "
        f"median of {args.runs} runs. The page shell (Jinja) and the session are not included; (b) includes "
        "everything.\n\n"
        "| pupils × lessons | filled cells | table HTML | queries (load) | HTML | total (median) | total p90 |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {inproc['students']} × {inproc['lessons']} | {inproc['filled']} | {inproc['bytes'] / 1024:.0f} KB | "
        f"{inproc['load']:.2f} ms | {inproc['html']:.2f} ms | **{inproc['total']:.2f} ms** | {inproc['p90']:.2f} ms |\n\n"
        "## (b) Over HTTP under load (target ≥ 350 req/s)\n\n"
        f"`ezh serve --workers 2` (uvicorn), pool of 10 per worker, `wrk -t2 -c{args.connections} "
        f"-d{args.seconds}s` on the same cores, signed in as «{j['login']}», who may edit the grid.\n\n"
        "CPU per request: the CPU time (user + system) the service's processes and PostgreSQL's used "
        "during the run, divided by the requests answered; wrk's own is not counted. At 350 requests a "
        "second on 2 cores the service and the database together may spend 5.7 ms per request, less "
        "what wrk uses. Steal: the share of the cores' time during the run that the hypervisor gave "
        "to other machines (/proc/stat); above a few per cent the run is pessimistic.\n\n"
        "| page | path | req/s | p50 | p90 | p99 | non-2xx | CPU ms/request: service | database | steal % |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + rows + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--size", choices=["S", "M", "L"], default="L")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/journal-grid.md")
    main(parser.parse_args())
