"""The load benchmark (issue 15 item 5; R-JOURNAL-2: ≤ 5 s per operation with all staff at once).

The L demo school in a real PostgreSQL; the service as in production (`ezh serve`, uvicorn, one
worker per core); the load from this separate process:

- *hello*: the plain framework ceiling (`/healthz`), wrk at 50 connections, in the same run;
- *saturation*: each hot page alone at 50 connections without think time (wrk): a teacher's
  day, a lesson, the journal grid, a cell save with its audit row, a family's home and diary week;
- *lesson break*: 180 teachers at once, each in a loop with 2–5 s of thought between steps:
  their day → a lesson → its attendance saved → the class's grid → three cells saved;
- *evening*: 1,000 parents and students at once, 5–20 s between steps: home → this week's
  diary → last week's → the finals → the timetable.

Afterwards: `ezh audit verify` (the chain must hold after thousands of concurrent saves), the
SQL queries each page costs (counted in-process on the same database, one request each), and
the peak memory of the service (RSS of uvicorn and its workers) and of PostgreSQL (PSS of its
processes: shared buffers counted once) sampled every half second through the whole run.

Bench-only setup, clearly not demo data: the demo school has one account per role, so the bench
gives each of the 180 teachers, 500 parents and 500 pupils an account of their role (the demo's
password hash copied) and a session written directly (1,180 argon2 logins would take minutes and
measure the login, which bench/pages.py measures on its own). The teachers write only cells of
their own lessons of the last school days (freely editable).

Writes bench/results/<date>.json, bench/results/latest.json (the keys below), bench/results/load.md
and the «Load benchmark» section of docs/performance.md, each figure beside the seed's 5-second
limit, its target and the previous run's value.

    .venv/bin/python bench/load.py [--size L] [--seconds 90] [--wrk-seconds 10] [--teachers 180] [--families 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import figures  # noqa: E402
from bench.isolated import ROOT, SERVICE_LOG_ENV, TMP, service_log  # noqa: E402  (first: settings of its own)
from bench.pages import free_port, wait_for  # noqa: E402
from tests.pg import Cluster  # noqa: E402

os.environ["EZH_LOG_LEVEL"] = "WARNING"  # the in-process query count logs no request lines

DB = "load"
RESULTS = ROOT / "bench" / "results"
PERFORMANCE = ROOT / "docs" / "performance.md"
SEED_LIMIT_MS = 5000  # R-JOURNAL-2: an operation takes at most 5 seconds
TARGETS = {"p95_ms": 100, "p99_ms": 300, "grid_rps": 350, "grade_save_rps": 1000, "rss_mb": 1024}
SESSION_DAYS = 1


# --- setup: accounts and sessions of the bench's users ---------------------------------------


def _rows(cluster: Cluster, sql: str) -> list[list[str]]:
    return [line.split("|") for line in cluster.psql(sql, DB).splitlines() if line]


def _accounts(cluster: Cluster, role: str, people: list[int], template: str) -> dict[int, str]:
    """Accounts of ``role`` for ``people`` (the demo's own account where the person has one) and a
    session each; returns person → session token. Bench-only rows, written by SQL."""
    tokens = {p: secrets.token_urlsafe(24) for p in people}
    values = ", ".join(f"({p}, '{tokens[p]}')" for p in people)
    cluster.psql(f"""
        CREATE TEMP TABLE want (person int, token text);
        INSERT INTO want VALUES {values};
        INSERT INTO account (person, login, password_hash, is_active, created_at)
        SELECT w.person, 'bench-{role}-' || w.person, (SELECT password_hash FROM account WHERE login = '{template}'),
               TRUE, now()
        FROM want w WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.person = w.person);
        INSERT INTO account_role (account, role)
        SELECT a.id, r.id FROM account a JOIN want w ON w.person = a.person JOIN role r ON r.code = '{role}'
        WHERE NOT EXISTS (SELECT 1 FROM account_role x WHERE x.account = a.id AND x.role = r.id);
        INSERT INTO user_session (token_hash, account, created_at, expires_at, address, user_agent)
        SELECT encode(sha256(convert_to(w.token, 'UTF8')), 'hex'), a.id, now(), now() + interval '{SESSION_DAYS} day',
               '127.0.0.1', 'bench/load.py'
        FROM want w JOIN LATERAL (SELECT id FROM account a WHERE a.person = w.person ORDER BY a.id LIMIT 1) a ON TRUE;
    """, DB)
    return tokens


@dataclass
class Teacher:
    person: int
    token: str
    day: date  # the latest school day with their lessons, inside the free-editing window
    lessons: list[int] = field(default_factory=list)


@dataclass
class Family:
    person: int
    token: str
    child: int


def _teachers(cluster: Cluster, today: date, limit: int) -> list[Teacher]:
    """Every teacher of the current year's load, with the latest day (≤ today, ≥ today − 5) on
    which they taught: their lesson break writes only cells of that day."""
    rows = _rows(cluster, f"""
        SELECT t.teacher, max(l.on_date) FROM (SELECT DISTINCT teacher FROM teaching_load) t
        JOIN lesson l ON l.teacher = t.teacher AND NOT l.cancelled
             AND l.on_date BETWEEN DATE '{today}' - 5 AND DATE '{today}'
        GROUP BY t.teacher ORDER BY t.teacher LIMIT {limit}""")
    people = [int(r[0]) for r in rows]
    tokens = _accounts(cluster, "teacher", people, "uchitel")
    teachers = [Teacher(int(r[0]), tokens[int(r[0])], date.fromisoformat(r[1])) for r in rows]
    lessons = _rows(cluster, "SELECT teacher, on_date, id FROM lesson WHERE NOT cancelled AND on_date BETWEEN "
                             f"DATE '{today}' - 5 AND DATE '{today}' ORDER BY id")
    by = {(int(t), d): [] for t, d, _ in lessons}
    for t, d, lesson in lessons:
        by[(int(t), d)].append(int(lesson))
    for t in teachers:
        t.lessons = by.get((t.person, t.day.isoformat()), [])
    return teachers


def _families(cluster: Cluster, count: int) -> list[Family]:
    """Half parents (each with one of their children), half pupils (themselves), of the current year."""
    parents = _rows(cluster, f"""
        SELECT DISTINCT ON (pl.parent) pl.parent, pl.child FROM parent_link pl
        JOIN enrolment e ON e.student = pl.child AND e.ends_on IS NULL
        JOIN school_class c ON c.id = e.school_class JOIN academic_year y ON y.id = c.year AND y.is_current
        ORDER BY pl.parent, pl.child LIMIT {count // 2}""")
    pupils = _rows(cluster, f"""
        SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class
        JOIN academic_year y ON y.id = c.year AND y.is_current WHERE e.ends_on IS NULL
        ORDER BY e.student DESC LIMIT {count - len(parents)}""")
    ptokens = _accounts(cluster, "parent", [int(r[0]) for r in parents], "roditel")
    stokens = _accounts(cluster, "student", [int(r[0]) for r in pupils], "uchenik")
    return ([Family(int(p), ptokens[int(p)], int(c)) for p, c in parents]
            + [Family(int(s), stokens[int(s)], int(s)) for (s,) in pupils])


# --- the virtual users ------------------------------------------------------------------------


TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
LESSON = re.compile(r'href="/journal/lesson/(\d+)"')
JOURNAL = re.compile(r'<p class="breadcrumbs"><a href="/journal">Журнал</a> › <a href="(/journal/[^"]+)"')
STUDENT = re.compile(r'name="att-(\d+)"')
SYSTEM = re.compile(r"система оценивания: ([^<]+)</span>")
# what a teacher types in a journal of each grading system (none: no marks at all)
MARKS = {"Пятибалльная": ["3", "4", "4", "5", "5"], "Десятибалльная": ["6", "7", "8", "9"],
         "Стобалльная": ["65", "80", "92"], "Зачёт / незачёт": ["зач"], "Без отметок": []}


class Recorder:
    """Every request's page, status and milliseconds, from ``start`` on (before it: warming up)."""

    def __init__(self) -> None:
        self.samples: list[tuple[str, int, float]] = []
        self.failures: dict[str, int] = {}
        self.start = float("inf")

    async def call(self, client, name: str, method: str, path: str, **kw):
        t0 = time.perf_counter()
        try:
            r = await client.request(method, path, **kw)
            status = r.status_code
        except Exception as exc:  # a timeout or a dropped connection is an error of the run
            r, status = None, 0
            self.failures[type(exc).__name__] = self.failures.get(type(exc).__name__, 0) + 1
        if t0 >= self.start:
            self.samples.append((name, status, (time.perf_counter() - t0) * 1000))
        return r

    def summary(self, seconds: float) -> dict:
        out = _stats([ms for _, _, ms in self.samples], [s for _, s, _ in self.samples], seconds)
        out["pages"] = {}
        for name in sorted({n for n, _, _ in self.samples}):
            mine = [(s, ms) for n, s, ms in self.samples if n == name]
            out["pages"][name] = _stats([ms for _, ms in mine], [s for s, _ in mine], seconds)
            refused = [s for s, _ in mine if not _ok(s)]
            if refused:  # which answers: 0 is a timeout or a dropped connection
                out["pages"][name]["error_statuses"] = {str(c): refused.count(c) for c in sorted(set(refused))}
        out["exceptions"] = self.failures
        return out


def _ok(status: int) -> bool:
    return 200 <= status < 400


def _stats(ms: list[float], statuses: list[int], seconds: float) -> dict:
    if not ms:
        return {"requests": 0, "rps": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None,
                "errors": 0}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"requests": len(ms), "rps": round(len(ms) / seconds, 1), "p50_ms": round(q[49], 1),
            "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1), "max_ms": round(max(ms), 1),
            "errors": sum(1 for s in statuses if not _ok(s))}


_TLS: list = []  # one TLS context for every virtual user (the service is plain HTTP anyway)


def _client(base: str, token: str):
    """A virtual user's own client and connection. They share one TLS context: httpx builds one
    per client otherwise (≈ 50 ms of CPU each, loading the CA bundle), and 1,000 of them kept
    the generator's core full for most of a run, so its latencies measured its own queue."""
    import ssl

    import httpx

    from service.web.cookies import session_cookie_name

    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return httpx.AsyncClient(base_url=base, cookies={session_cookie_name(): token}, timeout=30,
                             follow_redirects=False, limits=httpx.Limits(max_connections=1), verify=_TLS[0])


async def _think(low: float, high: float, until: float) -> bool:
    await asyncio.sleep(random.uniform(low, high))
    return time.perf_counter() < until


async def _teacher(base: str, t: Teacher, rec: Recorder, until: float) -> None:
    """A teacher's lesson break, over and over: the day, a lesson, its attendance, its grid, three cells."""
    rnd = random.Random(t.person)
    async with _client(base, t.token) as c:
        await asyncio.sleep(rnd.uniform(0, 5))  # 180 people do not click at the same millisecond
        while time.perf_counter() < until:
            day = await rec.call(c, "teacher's day", "GET", f"/journal/today?day={t.day.isoformat()}")
            ids = [int(x) for x in LESSON.findall(day.text)] if day is not None else []
            ids = [i for i in ids if i in t.lessons] or t.lessons
            if not ids or not await _think(2, 5, until):
                await _think(2, 5, until)
                continue
            lesson = rnd.choice(ids)
            page = await rec.call(c, "lesson page", "GET", f"/journal/lesson/{lesson}")
            if page is None or page.status_code != 200:
                continue
            token = TOKEN.search(page.text)
            students = [int(s) for s in STUDENT.findall(page.text)]
            journal = JOURNAL.search(page.text)
            if not await _think(2, 5, until):
                break
            if token and students:
                absent = rnd.choice(students)
                form = {f"att-{s}": ("absent" if s == absent else "") for s in students}
                await rec.call(c, "attendance save", "POST", f"/journal/lesson/{lesson}/attendance",
                               data={**form, "_csrf_token": token.group(1)})
                if not await _think(2, 5, until):
                    break
            marks: list[str] = []
            if journal:
                grid = await rec.call(c, "journal grid", "GET", journal.group(1))
                system = SYSTEM.search(grid.text) if grid is not None else None
                marks = MARKS.get(system.group(1).strip(), []) if system else []
            for _ in range(3 if marks else 0):
                if not token or not students or not await _think(2, 5, until):
                    break
                await rec.call(c, "cell save", "POST", "/journal/cell",
                               data={"lesson": lesson, "student": rnd.choice(students), "value": rnd.choice(marks)},
                               headers={"x-csrftoken": token.group(1), "Accept": "application/json"})
            await _think(2, 5, until)


async def _family(base: str, f: Family, rec: Recorder, until: float) -> None:
    """A parent's or pupil's evening: home, this week, last week, the finals, the timetable."""
    rnd = random.Random(f.person)
    monday = date.today() - timedelta(days=date.today().weekday())
    steps = [("home", "/home"), ("diary week", f"/diary/{f.child}"),
             ("diary, last week", f"/diary/{f.child}?week={monday - timedelta(days=7)}"),
             ("diary finals", f"/diary/{f.child}/finals"), ("timetable", "/timetable")]
    async with _client(base, f.token) as c:
        await asyncio.sleep(rnd.uniform(0, 20))
        i = rnd.randrange(len(steps))
        while time.perf_counter() < until:
            name, path = steps[i % len(steps)]
            await rec.call(c, name, "GET", path)
            i += 1
            await _think(5, 20, until)


async def _scenario(base: str, users: list, kind, seconds: int, warmup: float) -> dict:
    rec = Recorder()
    now = time.perf_counter()
    rec.start = now + warmup
    until = now + warmup + seconds
    await asyncio.gather(*(kind(base, u, rec, until) for u in users))
    return rec.summary(seconds) | {"users": len(users), "seconds": seconds}


# --- wrk: the framework ceiling and the saturated pages --------------------------------------


SAVE_LUA = """
-- Every save changes its cell, so that every one writes a grade and an audit row: each wrk
-- thread writes its own pair of marks (thread 1: 3 and 5, thread 2: 2 and 4) in turn, so the
-- mark a thread sends is never the one the cell holds. (Before, a cell always got the same
-- mark: after the first pass the run measured saves answering «nothing to change».)
local cells = {%(cells)s}
local token = "%(token)s"
local cookie = "%(cookie)s"  -- headers given to wrk.format replace the -H ones
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
n = 0
turns = {}
function response(status, headers, body)
  if status ~= 200 and not told then
    io.stderr:write("first refused save: " .. status .. " " .. body:sub(1, 300) .. "\\n")
    told = true
  end
end
function request()
  n = n + 1
  local k = (n * 7919 + (id or 1) * 31) %% #cells + 1
  turns[k] = (turns[k] or 0) + 1
  local c = cells[k]
  local mark = ((id or 1) %% 2 == 1) and (3 + 2 * (turns[k] %% 2)) or (2 + 2 * (turns[k] %% 2))
  return wrk.format("POST", "/journal/cell", {
    ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json",
    ["x-csrftoken"] = token, ["Cookie"] = cookie}, "lesson=" .. c[1] .. "&student=" .. c[2] .. "&value=" .. mark)
end
"""


def _ms(text: str | None) -> float | None:
    if not text:
        return None
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 1)


def wrk(url: str, cookie: str, seconds: int, connections: int = 50, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}"]
    done = subprocess.run([*cmd, *(["-s", str(script)] if script else []), url], capture_output=True, text=True)
    out = done.stdout
    if done.stderr.strip():
        print(done.stderr.strip()[:600], flush=True)
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50_ms": _ms(lat.get("50")), "p90_ms": _ms(lat.get("90")), "p99_ms": _ms(lat.get("99")),
            "errors": (int(errors.group(1)) if errors else 0)
            + (sum(int(x) for x in socket_errors.groups()) if socket_errors else 0)}


# --- memory -----------------------------------------------------------------------------------


class Memory(threading.Thread):
    """Peak memory every half second: RSS of the service's processes, PSS of PostgreSQL's."""

    def __init__(self, server_pid: int, postmaster_pid: int) -> None:
        super().__init__(daemon=True)
        self.server, self.postmaster = server_pid, postmaster_pid
        self.peak = {"service": 0.0, "database": 0.0, "total": 0.0}
        self.done = threading.Event()

    @staticmethod
    def _tree(pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            try:
                todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
            except OSError:
                pass
        return out

    @staticmethod
    def _kb(pid: int, key: str) -> int:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup" if key == "Pss" else f"/proc/{pid}/status").read_text()
        except OSError:
            return 0
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        return int(m.group(1)) if m else 0

    def run(self) -> None:
        while not self.done.wait(0.5):
            service = sum(self._kb(p, "VmRSS") for p in self._tree(self.server)) / 1024
            database = sum(self._kb(p, "Pss") for p in self._tree(self.postmaster)) / 1024
            for key, value in (("service", service), ("database", database), ("total", service + database)):
                self.peak[key] = max(self.peak[key], round(value, 1))


# --- queries per page, in-process -------------------------------------------------------------


async def _queries(url: str, pages: dict[str, tuple[str, str]]) -> dict[str, int]:
    """One request of each page (its session's token, its path) in-process on the same database,
    counting the statements the engine runs (as tests/test_query_counts.py does)."""
    import logging

    from litestar.testing import AsyncTestClient

    from service.app import create_app
    from service.db import engine, use_database
    from service.web.cookies import session_cookie_name

    logging.getLogger("httpx").setLevel(logging.WARNING)
    use_database(url)
    db = engine()
    kind = type(db)
    original = kind.run_querystring
    seen: list[str] = []

    async def counted(self, querystring, in_pool=True):
        seen.append(str(querystring)[:60])
        return await original(self, querystring, in_pool=in_pool)

    out = {}
    kind.run_querystring = counted
    try:
        async with AsyncTestClient(app=create_app(database_pool=False), base_url="http://ezh.test") as c:
            for name, (token, path) in pages.items():
                c.cookies.set(session_cookie_name(), token)
                await c.get(path)  # the session's sliding expiry and first-use caches settle
                seen.clear()
                r = await c.get(path)
                out[name] = len(seen) if r.status_code == 200 else -r.status_code
    finally:
        kind.run_querystring = original
    return out


def _cells(cluster: Cluster, person: int, today: date) -> list[tuple[int, int]]:
    """The cells a teacher may write freely: the pupils of their lessons of the last days (many
    cells, so that 50 connections rarely queue for one cell's lock)."""
    rows = _rows(cluster, f"""
        SELECT l.id, m.student FROM lesson l
        JOIN (SELECT school_class, NULL::int AS study_group, student, starts_on, ends_on FROM enrolment
              UNION ALL SELECT NULL, study_group, student, starts_on, ends_on FROM group_member) m
          ON (m.school_class = l.school_class OR m.study_group = l.study_group)
         AND m.starts_on <= l.on_date AND (m.ends_on IS NULL OR m.ends_on >= l.on_date)
        WHERE l.teacher = {person} AND NOT l.cancelled AND l.on_date BETWEEN DATE '{today}' - 5 AND DATE '{today}'
        ORDER BY l.id, m.student""")
    return [(int(a), int(b)) for a, b in rows]


# --- the run ----------------------------------------------------------------------------------


def main(args) -> dict:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cluster = Cluster()
    cluster.start()
    server = memory = None
    result: dict = {}
    try:
        cluster.psql(f"CREATE DATABASE {DB}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
        env.update({"EZH_CONFIG": os.devnull, "EZH_VAR_DIR": str(TMP / "var"), "EZH_DATABASE_URL": cluster.url(DB),
                    **SERVICE_LOG_ENV, "EZH_DATABASE_POOL_SIZE": str(args.pool)})
        cli = [sys.executable, "-m", "service.cli"]
        started = time.monotonic()
        for step in (["migrate"], ["demo-data", "--size", args.size, "--allow-postgresql"]):
            subprocess.run([*cli, *step], cwd=ROOT, env=env, check=True, capture_output=True)
        today = datetime.now(UTC).date()
        teachers = _teachers(cluster, today, args.teachers)
        families = _families(cluster, args.families)
        cluster.psql("VACUUM ANALYZE", DB)
        print(f"school {args.size} ready in {time.monotonic() - started:.0f} s: {len(teachers)} teachers, "
              f"{len(families)} parents and pupils signed in", flush=True)
        # the grid and the cells of the saturated runs: the busiest teacher's latest lesson
        busy = max(teachers, key=lambda t: len(t.lessons))
        family = families[0]
        workers = os.cpu_count() or 2
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", str(workers)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=service_log())
        base = f"http://127.0.0.1:{port}"
        wait_for(base)
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        memory = Memory(server.pid, postmaster)
        memory.start()
        load_before = os.getloadavg()[0]

        # what the saturated runs open, found the way a user finds it
        import httpx

        from service.web.cookies import session_cookie_name

        with httpx.Client(base_url=base, cookies={session_cookie_name(): busy.token}) as c:
            lesson = busy.lessons[-1]
            page = c.get(f"/journal/lesson/{lesson}").text
            grid_path = JOURNAL.search(page).group(1)
            token = TOKEN.search(page).group(1)
            teacher_cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
            cells = _cells(cluster, busy.person, today)
            probe = c.post("/journal/cell", data={"lesson": cells[0][0], "student": cells[0][1], "value": "4"},
                           headers={"x-csrftoken": token, "Accept": "application/json"})
            if '"state":"saved"' not in probe.text and '"state":"same"' not in probe.text:
                sys.exit(f"a cell save does not work: {probe.status_code} {probe.text[:300]}")
        family_cookie = f"{session_cookie_name()}={family.token}"
        script = TMP / "save.lua"
        script.write_text(SAVE_LUA % {"cells": ", ".join(f"{{{le}, {s}}}" for le, s in cells), "token": token,
                                     "cookie": teacher_cookie})
        saturated = {
            "hello (/healthz)": ("/healthz", "", None),
            "teacher's day": (f"/journal/today?day={busy.day.isoformat()}", teacher_cookie, None),
            "lesson page": (f"/journal/lesson/{lesson}", teacher_cookie, None),
            "journal grid": (grid_path, teacher_cookie, None),
            "cell save": ("/journal/cell", teacher_cookie, script),
            "home": ("/home", family_cookie, None),
            "diary week": (f"/diary/{family.child}", family_cookie, None),
        }
        result["saturation"] = {}
        for name, (path, cookie, lua) in saturated.items():
            wrk(base + path, cookie, 2, script=lua)  # warm up
            rows_before = int(cluster.psql("SELECT count(*) FROM audit_event", DB)) if lua else 0
            r = wrk(base + path, cookie, args.wrk_seconds, script=lua)
            if lua:  # the saves that changed their cell: each wrote its audit row
                r["audit_rows"] = int(cluster.psql("SELECT count(*) FROM audit_event", DB)) - rows_before
            result["saturation"][name] = r | {"path": path}
            print(f"saturated {name:18} {r['rps']:8.0f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
                  f"errors {r['errors']}", flush=True)

        for name, users, kind, warmup in (("lesson_break", teachers, _teacher, 5.0),
                                          ("evening", families, _family, 20.0)):
            r = asyncio.run(_scenario(base, users, kind, args.seconds, warmup))
            result[name] = r
            print(f"{name}: {r['users']} users, {r['requests']} requests in {args.seconds} s ({r['rps']} req/s): "
                  f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, errors {r['errors']}", flush=True)

        memory.done.set()
        server.terminate()
        server.wait(timeout=15)
        server = None
        verify = subprocess.run([*cli, "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True)
        result["chain_verified"] = verify.returncode == 0
        result["chain_message"] = (verify.stdout + verify.stderr).strip().splitlines()[:1]
        result["audit_rows"] = int(cluster.psql("SELECT count(*) FROM audit_event", DB))
        result["queries"] = asyncio.run(_queries(cluster.url(DB), {
            "teacher's day": (busy.token, saturated["teacher's day"][0]),
            "lesson page": (busy.token, saturated["lesson page"][0]),
            "journal grid": (busy.token, grid_path),
            "home": (family.token, "/home"),
            "diary week": (family.token, saturated["diary week"][0]),
            "diary, last week": (family.token, f"/diary/{family.child}?week={today - timedelta(days=today.weekday() + 7)}"),
            "diary finals": (family.token, f"/diary/{family.child}/finals"),
            "timetable": (family.token, "/timetable"),
        }))
        result["rss_mb"] = dict(memory.peak)
        result["load_average_before"] = round(load_before, 2)
        result["workers"] = workers
    finally:
        if memory:
            memory.done.set()
        if server:
            server.terminate()
            server.wait(timeout=15)
        cluster.stop()
    return result


# --- results ----------------------------------------------------------------------------------


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + ("+changes" if dirty else "") if out.returncode == 0 else "unknown"


def headline(run: dict, args) -> dict:
    """The results file: the headline keys first, then everything measured."""
    sat = run["saturation"]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _commit(),
        "hello_rps": sat["hello (/healthz)"]["rps"],
        "grid_rps": sat["journal grid"]["rps"],
        # saves that wrote their cell and its audit row, per second (a save answering «nothing
        # to change» writes neither, and does not count)
        "grade_save_rps": round(min(sat["cell save"]["rps"], sat["cell save"].get("audit_rows", 0) / args.wrk_seconds), 1),
        "chain_verified": run["chain_verified"],
        "lesson_break": {k: run["lesson_break"][k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "errors",
                                                             "exceptions", "requests", "rps", "users", "seconds")},
        "evening": {k: run["evening"][k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "errors",
                                                   "exceptions", "requests", "rps", "users", "seconds")},
        "rss_mb": run["rss_mb"],
        "targets": TARGETS | {"seed_limit_ms": SEED_LIMIT_MS},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "school": args.size,
                    "workers": run["workers"], "load_average_before": run["load_average_before"],
                    "database": "PostgreSQL throwaway cluster (fsync off)"},
        "pages": {"saturation": sat, "lesson_break": run["lesson_break"]["pages"],
                  "evening": run["evening"]["pages"], "queries": run["queries"]},
        "audit": {"rows": run["audit_rows"], "verify": run["chain_message"]},
    }


def _cmp(now, before, unit: str = "", better: str = "higher") -> str:
    if now is None:
        return "—"
    text = f"{now:g}{unit}"
    if isinstance(before, int | float) and before:
        change = (now - before) / before * 100
        text += f" ({before:g}{unit} before, {change:+.0f} %)"
    return text


def _verdict(ok: bool) -> str:
    return "✓" if ok else "✗ not met"


def _reference_lines(r: dict) -> list[str]:
    """The bare experiment the targets came from, as `bench/reference.py` measured it on this
    machine in the same `make bench`: what the same routes without ezh reach here."""
    ref = r.get("other", {}).get("reference")
    if not ref or "runs" not in ref:
        return []
    runs, notes = ref["runs"], ref["notes"]
    return ["", f"The bare reference (`bench/reference.py`, {ref['measured'][:16].replace('T', ' ')}: the experiment "
            "of `../shared/perf-notes.md` without ezh, on these cores): hello "
            f"{runs['hello']['rps']:.0f} req/s ({notes['hello']:,} where the targets were set), 30 × 45 grid "
            f"{runs['grid']['rps']:.0f} ({notes['grid']}), grade save with its chained audit row "
            f"{runs['save_50']['rps']:.0f} at 50 connections ({notes['save_50']}) and {runs['save_10']['rps']:.0f} at 10 "
            f"({notes['save_10']})."]


def report(r: dict, previous: dict | None) -> str:
    p = previous or {}
    pb, pe = p.get("lesson_break", {}), p.get("evening", {})
    lines = [
        f"## Load benchmark (`make bench`, `bench/load.py`): {r['date'][:10]}, commit {r['commit']}",
        "",
        f"{r['machine']['school']} demo school on PostgreSQL; `ezh serve --workers {r['machine']['workers']}` on "
        f"{r['machine']['cpus']} CPUs (CPython {r['machine']['python']}); the load from the same machine "
        f"(load average {r['machine']['load_average_before']} when it began). The seed's limit is "
        f"{SEED_LIMIT_MS / 1000:g} s per operation (R-JOURNAL-2); every latency here is compared with it and with "
        f"the previous run{'' if previous else ' (none: this is the first)'}.",
        "",
        "| figure | this run (previous) | target | met | seed's 5 s |",
        "|---|---|---|:-:|:-:|",
    ]
    for name, run, before in (("lesson break", r["lesson_break"], pb), ("evening", r["evening"], pe)):
        for key, target in (("p95_ms", TARGETS["p95_ms"]), ("p99_ms", TARGETS["p99_ms"])):
            value = run[key]
            lines.append(f"| {name} {key[:3]} ({run['users']} users, {run['requests']} requests) | "
                         f"{_cmp(value, before.get(key), ' ms')} | ≤ {target} ms | {_verdict(value is not None and value <= target)} "
                         f"| {_verdict(value is not None and run['max_ms'] <= SEED_LIMIT_MS)} |")
        lines.append(f"| {name} errors | {run['errors']} | 0 | {_verdict(run['errors'] == 0)} | |")
    lines += [
        f"| framework ceiling (hello) | {_cmp(r['hello_rps'], p.get('hello_rps'), ' req/s')} | — | | |",
        f"| journal grid, 50 connections | {_cmp(r['grid_rps'], p.get('grid_rps'), ' req/s')} "
        f"(= {r['grid_rps'] / r['hello_rps'] * 100:.1f} % of hello) | ≥ {TARGETS['grid_rps']} | "
        f"{_verdict(r['grid_rps'] >= TARGETS['grid_rps'])} | |",
        f"| cell save + audit row, 50 connections | {_cmp(r['grade_save_rps'], p.get('grade_save_rps'), ' req/s')} | "
        f"≥ {TARGETS['grade_save_rps']} | {_verdict(r['grade_save_rps'] >= TARGETS['grade_save_rps'])} | |",
        f"| audit chain verifies after the run | {r['chain_verified']} ({r['audit']['rows']} rows) | true | "
        f"{_verdict(r['chain_verified'])} | |",
        f"| peak memory, service + PostgreSQL | {_cmp(r['rss_mb']['total'], p.get('rss_mb', {}).get('total'), ' MB')} "
        f"(service {r['rss_mb']['service']:g}, database {r['rss_mb']['database']:g}) | < {TARGETS['rss_mb']} MB | "
        f"{_verdict(r['rss_mb']['total'] < TARGETS['rss_mb'])} | |",
        *_reference_lines(r),
        "",
        "Each page alone, 50 connections, no think time (wrk, 2 threads):",
        "",
        "| page | req/s | p50 | p90 | p99 | errors | SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    queries = r["pages"]["queries"]
    for name, s in r["pages"]["saturation"].items():
        written = f" ({s['audit_rows']} audit rows)" if "audit_rows" in s else ""
        lines.append(f"| {name}{written} | {s['rps']:g} | {s['p50_ms']} ms | {s['p90_ms']} ms | {s['p99_ms']} ms | "
                     f"{s['errors']} | {queries.get(name, '')} |")
    for scenario, title in (("lesson_break", "Lesson break, per page"), ("evening", "Evening, per page")):
        lines += ["", f"{title}:", "", "| page | requests | p50 | p95 | p99 | max | errors | SQL queries |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, s in r["pages"][scenario].items():
            lines.append(f"| {name} | {s['requests']} | {s['p50_ms']} ms | {s['p95_ms']} ms | {s['p99_ms']} ms | "
                         f"{s['max_ms']} ms | {s['errors']} | {queries.get(name, '')} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- load benchmark: begin (written by bench/load.py) -->", "<!-- load benchmark: end -->"


def write(result: dict, out_dir: Path, docs: Path | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = out_dir / "latest.json"
    previous = json.loads(latest.read_text(encoding="utf-8")) if latest.exists() else None
    if previous:
        result["previous"] = {k: previous.get(k) for k in ("date", "commit", "hello_rps", "grid_rps",
                                                          "grade_save_rps", "chain_verified", "rss_mb")} | {
            k: {m: previous.get(k, {}).get(m) for m in ("p95_ms", "p99_ms", "errors")}
            for k in ("lesson_break", "evening")}
    # the other benches of `make bench` (demo data, transcripts and the seal, backup and drill):
    # their figures, each with its target, as their last run wrote them
    result["other"] = figures.gather(out_dir, {"latest.json"})
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    (out_dir / f"{result['date'][:10]}.json").write_text(text, encoding="utf-8")
    latest.write_text(text, encoding="utf-8")
    section = report(result, previous)
    (out_dir / "load.md").write_text("# " + section[3:], encoding="utf-8")
    if docs and docs.exists():
        page = docs.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{section}{END}"
        if BEGIN in page and END in page:
            page = page[:page.index(BEGIN)] + block + page[page.index(END) + len(END):]
        else:
            page = page.rstrip("\n") + "\n\n" + block + "\n"
        docs.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["S", "M", "L"], default="L")
    parser.add_argument("--seconds", type=int, default=90, help="measured length of each mix")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of each saturated run")
    parser.add_argument("--teachers", type=int, default=180)
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=10, help="database connections per worker")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the results")
    parser.add_argument("--docs", type=Path, default=PERFORMANCE, help="the page whose section is rewritten")
    args = parser.parse_args()
    result = headline(main(args), args)
    write(result, args.out, args.docs if args.out == RESULTS else None)
    print(json.dumps({k: result[k] for k in ("hello_rps", "grid_rps", "grade_save_rps", "chain_verified",
                                             "lesson_break", "evening", "rss_mb")}, ensure_ascii=False))
