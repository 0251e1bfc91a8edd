"""The authorization matrix, tested exhaustively (R-SEC-1, R-ROLE-3, R-SEC-2): every route of
the app (``tests/authz/matrix.py``) × every role (not signed in, and each demo login) × its own
and a foreign object, each answered as the table says — a foreign id 404, a missing right 403,
no session /login (401 on the JSON routes), never a 5xx — and a refused request changes
nothing: not a row of any table (the audit log and the access log included).

Writes carry a valid CSRF token, so what answers is the authorization and not the CSRF check;
where a write's body names its object (a lesson, a pupil, a class) it is a valid body, so a
foreign object is refused by the scope and not by the form, and an allowed role's write is
really done (audited). After a case that changed something the database goes back to the
snapshot taken after the school was built: every case starts from the same school.

Both engines, the school built once per engine (the demo generator, ≈ 5 s). What runs where,
to stay near a minute and a half on two shared cores:

- every refusal decided by the scope (404, an action's refusal) on both engines: the scope is
  SQL (``service/*/queries.py``), and a query that scopes on one engine and not on the other
  is exactly what this must catch; so is every allowed page of one's own object (the other
  side of the same query);
- refusals the guard decides (403, not signed in) on PostgreSQL only: guards are Python and
  run before any object is read — the same on both engines;
- allowed pages of any object (the office's) on PostgreSQL, the production engine, with a
  connection pool as in production;
- allowed writes on SQLite, where undoing one is a file copy (re-creating a PostgreSQL
  database from its template costs ≈ 0.5 s; a write's SQL is its domain's tests' on both).

The cases run in one test per domain, so a failure names the domain and lists every case that
answered otherwise. The same table is asked once more with each role's read-only API key
instead of its session (``test_the_matrix_with_api_keys``, PostgreSQL): on /api/ a key is its
account, anywhere else and for any write it is nobody. ``AUTHZ_DEBUG=1`` prints every case with its answer and time."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.routes import HTTPRoute

from service import db as dbmod
from service import domains
from service.accounts.middleware import _PUBLIC_PREFIXES
from service.app import create_app
from service.db import all_tables
from service.timetable.tables import Lesson
from service.web import csrf_cookie_name, session_cookie_name, today
from tests.authz import matrix
from tests.authz.matrix import ALL, OWN, REFUSED, Row
from tests.authz.school import LOGINS, ROLES, School, add_records, build
from tests.conftest import fresh_database
from tests.routes import client, csrf_from

pytestmark = pytest.mark.anyio
for _noisy in ("httpx", "piccolo"):  # a line per request or per database switch: thousands here
    logging.getLogger(_noisy).setLevel(logging.WARNING)

IGNORED_METHODS = {"HEAD", "OPTIONS"}
DEBUG = os.environ.get("AUTHZ_DEBUG")


def app_routes() -> dict[tuple[str, str], object]:
    """(method, path) → handler of every route of the app but the static files."""
    found = {}
    for route in create_app(database_pool=False).routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/static"):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method not in IGNORED_METHODS:
                    found[(method, route.path)] = handler
    return found


ROUTES = app_routes()
ROWS = {row.key: row for row in matrix.ROWS}


def guard_rights(handler) -> tuple[str, ...] | None:
    """The rights the route's guards ask for: () signed in is enough, None no guard at all."""
    guards = handler.resolve_guards()  # the route's and its routers'
    if not guards:
        return None
    rights: tuple[str, ...] = ()
    for guard in guards:
        rights += getattr(guard, "rights", ())
    return rights


def held_by(role: str) -> frozenset[str]:
    """The rights a demo login of ``role`` holds by default (the class teacher also teaches)."""
    roles = {"class_teacher": ("class_teacher", "teacher")}.get(role, (role,))
    return frozenset(r.code for r in domains.rights() if set(roles) & set(r.default_roles))


# --- what the table says ---------------------------------------------------------------------------

LOGIN, DENIED, NOT_FOUND, DONE = "login", 403, 404, "done"


def expected(row: Row, role: str, which: str) -> str | int:
    """"ok" (an allowed answer of the row), "done" (allowed with a valid body: written),
    "refused" (the action refuses in Russian: 400), "login", 403 or 404."""
    if role == "anonymous" and not row.public:
        return LOGIN
    if row.needs and not set(row.needs) & held_by(role):
        return DENIED
    scope = ALL if row.who is None else row.who.get(role)
    if scope == OWN and which == "seen":  # seen, not written: a read as of one's own object
        if row.method == "GET":
            return "ok"
        return row.seen
    if scope == REFUSED:
        return REFUSED
    if scope == ALL or (scope == OWN and which == "own"):
        return DONE if row.body and row.ok is None and row.method != "GET" else "ok"
    return NOT_FOUND


def answer_fits(row: Row, want: str | int, status: int, location: str, changed: dict) -> bool:
    if want == "ok":
        return status in row.allowed()
    if want == DONE:  # a valid body of an allowed role: written, audited
        return status in (200, 302, 303) and "audit_event" in changed
    if want == REFUSED:  # seen, but refused by the action in Russian
        return status == 400
    if want == LOGIN:
        if row.api or row.path.startswith("/api/"):
            return status == 401
        return status in (302, 303) and location.startswith("/login")
    return status == want


# --- the world: the school, a client per role, the snapshot -------------------------------------


@functools.cache
def counts_sql() -> str:
    tables = sorted(t._meta.tablename for t in all_tables())
    return " UNION ALL ".join(f"SELECT '{t}' AS t, COUNT(*) AS n FROM {t}" for t in tables)


async def table_counts() -> dict[str, int]:
    """Rows of every table (one query): what a refused request must leave as it was."""
    return {r["t"]: r["n"] for r in await Lesson.raw(counts_sql()).run()}


@dataclass
class World:
    kind: str
    school: School
    client: object
    cookies: dict[str, str]  # role → Cookie header
    csrf: str
    snapshot: object  # sqlite: the file; postgres: the template database's name
    database: object
    snapshot_counts: dict
    baseline: dict
    restores: int = 0

    portal: object = None  # the test client's event loop: the app's, and its connection pool's
    ran: int = 0  # cases run
    built_in: float = 0.0
    stamp: tuple = ()  # SQLite: the database files as they were when last counted

    async def counts(self) -> dict[str, int]:
        """The rows of every table now. On SQLite the files tell first whether anything was
        written at all (a refused request: nothing, not even the access log), so most cases
        cost no query; on PostgreSQL the query runs on the app's pool, in the app's loop."""
        stamp = _stamp(self.database_path) if self.kind == "sqlite" else self.portal.call(_wal_position)
        if stamp == self.stamp:
            return self.baseline
        self.stamp = stamp
        return await table_counts() if self.kind == "sqlite" else self.portal.call(table_counts)

    @property
    def database_path(self) -> Path:
        return Path(dbmod.engine().path)

    async def restore(self) -> None:
        """Back to the school as built: a copy of the snapshot becomes the database."""
        self.restores += 1
        self.baseline = self.snapshot_counts
        if self.kind == "sqlite":
            path = Path(self.snapshot).with_name(f"matrix-{self.restores}.sqlite3")
            shutil.copyfile(self.snapshot, path)
            dbmod.use_database(f"sqlite:///{path}")
            self.stamp = _stamp(path)
        else:
            name = f"{self.snapshot}_{self.restores}"
            self.portal.call(dbmod.close_pool)
            self.database.cluster.psql(f"CREATE DATABASE {name} TEMPLATE {self.snapshot}")
            dbmod.use_database(self.database.cluster.url(name))
            self.portal.call(dbmod.start_pool, POOL)
            self.stamp = self.portal.call(_wal_position)


POOL = 4  # connections of the app's pool on PostgreSQL (a connection per query costs ≈ 10 ms)


async def _wal_position() -> str:
    """PostgreSQL's write-ahead log position: it moves with every write, on any table."""
    return (await Lesson.raw("SELECT pg_current_wal_insert_lsn()::text AS lsn").run())[0]["lsn"]


def _stamp(path: Path) -> tuple:
    found = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            st = file.stat()
            found.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            found.append(None)
    return tuple(found)


def _session_header(token: str | None, csrf_cookie: str) -> str:
    parts = [f"{csrf_cookie_name()}={csrf_cookie}"]
    if token:
        parts.append(f"{session_cookie_name()}={token}")
    return "; ".join(parts)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def world(request, tmp_path_factory) -> Iterator[World]:
    started = time.perf_counter()
    database = fresh_database(request.param, request)
    dbmod.use_database(database.url)
    archive = tmp_path_factory.mktemp(f"archive-{request.param}")
    with pytest.MonkeyPatch.context() as mp:
        school, tokens = await prepared_school(mp, archive)
        async with AsyncExitStack() as stack:
            c = await stack.enter_async_context(client())
            page = await c.get("/login")
            csrf_cookie, csrf = c.cookies[csrf_cookie_name()], csrf_from(page.text)
            c.cookies.clear()
            cookies = {role: _session_header(tokens.get(login) if login else None, csrf_cookie)
                       for role, login in LOGINS.items()}
            if database.kind == "sqlite":
                snapshot = Path(database.url.removeprefix("sqlite:///")).with_name(
                    f"snapshot-{id(school)}.sqlite3")
                shutil.copyfile(database.url.removeprefix("sqlite:///"), snapshot)
            else:
                snapshot = f"{database.name}_snap"
                database.cluster.psql(f"CREATE DATABASE {snapshot} TEMPLATE {database.name}")
            counts = await table_counts()
            w = World(database.kind, school, c, cookies, csrf, snapshot, database, counts, counts,
                      portal=c.blocking_portal)
            if w.kind == "sqlite":
                w.stamp = _stamp(w.database_path)
            else:
                w.portal.call(dbmod.start_pool, POOL)
                w.stamp = w.portal.call(_wal_position)
            w.built_in = time.perf_counter() - started
            if DEBUG:
                print(f"{w.kind}: the school built in {w.built_in:.1f} s")
            try:
                yield w
            finally:
                if w.kind != "sqlite":
                    w.portal.call(dbmod.close_pool)


def _one_password_check(mp: pytest.MonkeyPatch) -> None:
    """The demo logins share one password hash: signing ten of them in checks it once (argon2
    is slow on purpose, ≈ 0.3 s a check here), the rest of each sign-in stays the real one."""
    from service.accounts import actions

    real, seen = actions._password_matches, {}

    async def once(stored: str, password: str) -> bool:
        if (stored, password) not in seen:
            seen[(stored, password)] = await real(stored, password)
        return seen[(stored, password)]

    mp.setattr(actions, "_password_matches", once)


async def prepared_school(mp: pytest.MonkeyPatch, archive: Path):
    """The matrix's school on the database in use: the seal and archive in ``archive``, PDFs
    answered by a stub, each password checked once; returns (school, session tokens)."""
    _seal_into(mp, archive)
    _no_pdf(mp)
    _one_password_check(mp)
    school, tokens = await build(today())
    await add_records(school, archive)
    return school, tokens


def _no_pdf(mp: pytest.MonkeyPatch) -> None:
    """PDF pages answer a stub: WeasyPrint takes seconds a class (a diary printout ≈ 10 s), and
    what the matrix asks is who gets the page, decided before anything is laid out (the PDFs
    themselves: tests/diary/test_printout.py, tests/test_routes.py's invitation sheets)."""
    from archive import batch
    from service.diary import routes as diary_routes
    from service.people import routes as people_routes

    for module in (diary_routes, people_routes):
        mp.setattr(module, "render_pdf", lambda template, **context: b"%PDF-1.7 (matrix)")
    mp.setattr(batch, "seal_many", _seal_stub)


def _seal_stub(jobs, *args, **kwargs) -> list:
    """Issued transcripts without signing a PDF each (seconds a class): a file per document."""
    import hashlib
    from types import SimpleNamespace

    written = []
    for _, path in jobs:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(b"%PDF-1.7 (matrix)")
        written.append(SimpleNamespace(sha256=hashlib.sha256(b"%PDF-1.7 (matrix)").hexdigest(), size=17))
    return written


def _seal_into(mp: pytest.MonkeyPatch, archive: Path) -> None:
    """The school's seal (a real key store) and the archive folder, in this module's folder."""
    from archive import keys
    from service.records import issue, queries, routes, verify

    folder = archive / "keys"
    keys.init_school_keys(folder, school_name="Школа № 1 (тест)")
    for module in (issue, verify, queries):
        mp.setattr(module, "seal_dir", lambda: folder)
    mp.setattr(issue, "archive_dir", lambda: archive)
    mp.setattr(routes, "archive_dir", lambda: archive)


# --- a case ----------------------------------------------------------------------------------------

PARAM = re.compile(r"\{([^}:]+)(?::[a-z]+)?\}")


class Picked:
    """The objects of one case: ``v[kind]`` is the role's own or foreign one of that kind."""

    def __init__(self, school: School, role: str, which: str):
        self.school, self.role, self.which, self.today = school, role, which, school.today

    def __getitem__(self, kind: str):
        return self.school.pick(kind, self.role, self.which)

    def own(self, kind: str):
        """The school's one object of a kind that is nobody's own (the current year)."""
        return self.school.objects[kind][0]


@dataclass(frozen=True)
class Request:
    path: str
    query: tuple = ()
    body: tuple = ()


def request_of(row: Row, v: Picked) -> Request:
    values: list = []
    for kind in row.objects:
        value = v[kind]
        values += list(value) if isinstance(value, tuple) else [value]
    params = PARAM.findall(row.path)
    values = values[:len(params)]
    assert len(params) == len(values), (row.path, values)
    path = row.path
    for value in values:
        path = PARAM.sub(str(value), path, count=1)
    query = tuple(sorted((row.query(v) if row.query else {}).items()))
    body = tuple(sorted((row.body(v) if row.body else {}).items()))
    return Request(path, query, body)


def cases(row: Row, school: School) -> list[tuple[str, str, Request]]:
    """(role, which, request) of the row: once with the role's own objects and once with
    foreign ones (once if the two are the same: the office's objects of one school). Where the
    session is not even read (accounts/middleware.py: health, the schema, calendar feeds)
    everyone is anonymous: asked once."""
    found = []
    roles = ("anonymous",) if row.path.startswith(_PUBLIC_PREFIXES) else ROLES
    for role in roles:
        own = request_of(row, Picked(school, role, "own"))
        found.append((role, "own", own))
        if row.objects or row.more:
            foreign = request_of(row, Picked(school, role, "foreign"))
            if foreign != own:
                found.append((role, "foreign", foreign))
            seen = request_of(row, Picked(school, role, "seen"))
            if seen != own:
                found.append((role, "seen", seen))
    return found


async def run_case(w: World, row: Row, role: str, which: str, req: Request, *,
                   key: str | None = None, want: str | int | None = None) -> str | None:
    """None when the answer is the table's, else what happened (for the failure's list). With
    ``key``: no session, the role's API key in ``Authorization: Bearer`` instead, and ``want``
    what that must answer."""
    from service.records import routes as records_routes

    records_routes._checks.clear()  # the verification page's throttle: one address here
    c = w.client
    if key is None:
        headers = {"cookie": w.cookies[role]}
    else:  # the CSRF cookie only (a write is refused for want of a session, not of a token)
        headers = {"cookie": w.cookies["anonymous"], "authorization": f"Bearer {key}"}
    started = time.perf_counter()
    path, params = req.path, dict(req.query)
    if row.method == "GET":
        r = await c.get(path, params=params, headers=headers)
    else:
        body = dict(req.body)
        headers["x-csrftoken"] = w.csrf
        if row.json:
            r = await c.request(row.method, path, params=params, json=body, headers=headers)
        else:
            files = {k: v for k, v in body.items() if isinstance(v, tuple)}
            data = {k: str(v) for k, v in body.items() if k not in files}
            r = await c.request(row.method, path, params=params, data={**data, "_csrf_token": w.csrf},
                                files=files or None, headers=headers)
    c.cookies.clear()
    took = time.perf_counter() - started
    before, after = w.baseline, await w.counts()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    want = expected(row, role, which) if want is None else want
    if DEBUG:
        print(f"{took * 1000:6.0f} ms {row.method} {path} {role} {which} -> {r.status_code} want {want} "
              f"{sorted(changed)}")
    problems = []
    if not answer_fits(row, want, r.status_code, r.headers.get("location", ""), changed):
        problems.append(f"answered {r.status_code} {r.headers.get('location', '')}, expected {want}")
    if r.status_code >= 500:
        problems.append("a server error")
    if 400 <= r.status_code < 500 and r.headers.get("content-type", "").startswith("application/json") \
            and not re.search("[а-яё]", str(r.json())):
        problems.append(f"a refusal without a word of Russian: {r.text[:200]}")
    if r.status_code == 200:
        shown = [name for name in w.school.unseen.get(role, ()) if name in r.text]
        if shown:
            problems.append(f"shows {shown}")
    if want not in ("ok", DONE) and changed:
        problems.append(f"refused, yet changed {changed}")
    if set(changed) - {"access_log"}:
        await w.restore()
    else:
        w.baseline = after
    if problems and r.status_code == 400:
        problems.append(f"said: {said(r)}")
    if problems:
        shown = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        how = f"{role}'s API key" if key is not None else role
        return f"{row.method} {shown} as {how} ({which}): " + "; ".join(problems)
    return None


def said(r) -> str:
    """The refusal's Russian message, for the failure's list."""
    if r.headers.get("content-type", "").startswith("application/json"):
        return str(r.json().get("error"))
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]{3,200})', r.text)
    return "; ".join(x.strip() for x in found[:3]) or r.text[:200]


# --- the tests -------------------------------------------------------------------------------------


def test_every_route_has_a_row_and_every_row_a_route():
    missing = sorted(set(ROUTES) - set(ROWS))
    gone = sorted(set(ROWS) - set(ROUTES))
    assert not missing, "routes without a row in tests/authz/matrix.py: " + ", ".join(
        f"{m} {p}" for m, p in missing)
    assert not gone, "rows of routes the app no longer has: " + ", ".join(f"{m} {p}" for m, p in gone)
    assert len(ROWS) == len(matrix.ROWS), "a route has two rows"


def test_every_route_asks_for_the_rights_its_row_names():
    """The table says which rights each route needs; the app's guards must ask for exactly
    those (a guard dropped or widened fails here, naming the route, and in the matrix)."""
    differ = []
    for key, row in ROWS.items():
        if key not in ROUTES:
            continue
        rights = guard_rights(ROUTES[key])
        if row.public:
            if rights is not None:
                differ.append(f"{key}: public in the table, the route has a guard")
        elif rights is None:
            differ.append(f"{key}: the route has no guard at all")
        elif set(rights) != set(row.needs):
            differ.append(f"{key}: the route asks for {sorted(rights)}, the table for {sorted(row.needs)}")
    assert not differ, "\n".join(differ)


GROUPS = {name: rows for name, rows in vars(matrix).items()
          if name.isupper() and isinstance(rows, list) and rows and isinstance(rows[0], Row)
          and name != "ROWS"}


def runs_on(kind: str, row: Row, role: str, which: str) -> bool:
    """Which cases each engine runs (see the module's docstring)."""
    want = expected(row, role, which)
    if want in (LOGIN, DENIED):
        return kind == "postgres"
    if want not in ("ok", DONE):
        return True
    if row.method != "GET":
        return kind == "sqlite"
    scoped = row.who is not None and row.who.get(role) == OWN
    return kind == "postgres" or scoped


@pytest.mark.parametrize("group", sorted(GROUPS))
async def test_the_matrix(world, group):
    problems = []
    for row in GROUPS[group]:
        for role, which, req in cases(row, world.school):
            if not runs_on(world.kind, row, role, which):
                continue
            world.ran += 1
            problem = await run_case(world, row, role, which, req)
            if problem:
                problems.append(problem)
    assert not problems, f"{len(problems)} cases answered otherwise:\n" + "\n".join(problems)


def key_cases(row: Row, school: School) -> list[tuple[str, str, Request, str | int]]:
    """(role, which, request, expected answer) of the row asked with an API key instead of a
    session (accounts/middleware.py). A key reads /api/ (GET) as its account: every role's own
    and foreign objects, answered as that role's session is. Anywhere else, and for any write, a
    key is nobody: the row asked once with the teacher's key answers as to the anonymous."""
    if row.path.startswith("/api/") and row.method == "GET":
        return [(role, which, req, expected(row, role, which))
                for role, which, req in cases(row, school) if role != "anonymous"]
    req = request_of(row, Picked(school, "teacher", "own"))
    return [("teacher", "own", req, expected(row, "anonymous", "own"))]


async def test_the_matrix_with_api_keys(world):
    """R-SEC-1: a read-only API key has its account's rights on /api/ and nothing elsewhere: a
    teacher's key reads the reports of her own class and gets 404 for another's, a parent's key
    reads no report, a key posts nothing and opens no page (PostgreSQL: the guards and scopes
    are the same on both engines, the sessions' cases above run on both)."""
    if world.kind != "postgres":
        pytest.skip("the keys' cases run on PostgreSQL; the scopes they reach are asked on both above")
    problems, asked = [], 0
    for row in matrix.ROWS:
        for role, which, req, want in key_cases(row, world.school):
            key = world.school.api_keys[LOGINS[role]]
            asked += 1
            problem = await run_case(world, row, role, which, req, key=key, want=want)
            if problem:
                problems.append(problem)
    assert asked > len(matrix.ROWS), "the /api/ rows were not asked with every role's key"
    assert not problems, f"{len(problems)} cases answered otherwise:\n" + "\n".join(problems)
