"""The test harness: real SQLite and a real, throwaway PostgreSQL; schemas built by running
the real migrations once per session, then copied for each test (file copy / CREATE DATABASE
… TEMPLATE), so every test starts from a clean, current database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import io
import itertools
import os
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as _hypothesis

# The settings of the process under test: nothing from the developer's machine leaks in —
# neither its EZH_* variables nor its /etc/ezh/ezh.toml (the default path leads to a file that
# does not exist; commands run as subprocesses get EZH_CONFIG=/dev/null).
from service import settings as _settings  # reads nothing until asked

# No timing in the tests (speed is measured in bench/): Hypothesis's per-example deadline and its
# "too slow" health check fail property tests when the machine is busy, not when a rule is wrong.
_hypothesis.register_profile("ezh", deadline=None, suppress_health_check=[HealthCheck.too_slow])
_hypothesis.load_profile("ezh")

for _key in [k for k in os.environ if k.startswith("EZH_")]:
    del os.environ[_key]
_TMP = Path(tempfile.mkdtemp(prefix="ezh-test-"))
_settings.DEFAULT_CONFIG_FILE = _TMP / "no-such-ezh.toml"
os.environ["EZH_VAR_DIR"] = str(_TMP / "var")
os.environ["EZH_DATABASE_URL"] = f"sqlite:///{_TMP / 'boot.sqlite3'}"
os.environ["EZH_LOG_JSON"] = "false"
os.environ["EZH_LOG_LEVEL"] = "WARNING"
os.environ["EZH_SCHOOL_NAME"] = "Школа № 1 (тест)"

from service import db as dbmod  # noqa: E402
from service.accounts import actions as _accounts  # noqa: E402

# Passwords are hashed with argon2id in the tests too, but with its smallest cost: the
# production parameters (64 MiB, 3 passes: about 0.2 s of CPU a hash) were a third of the
# suite's time, paid for every user a test school creates and every sign-in. That the service
# itself uses the recommended parameters is tested in a fresh process
# (tests/accounts/test_passwords.py); the subprocesses the tests start (`ezh serve`, the CLI)
# use them as well.
_accounts._hasher = _accounts.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_accounts._DUMMY_HASH = _accounts._hasher.hash("ezh: a password nobody has")
from tests import snapshots  # noqa: E402
from tests.pg import Cluster  # noqa: E402

snapshots.keep_in(_TMP)

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_cluster():
    """Never skipped: a suite that silently ran without PostgreSQL would prove half as much."""
    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.stop()


def _migrate(url: str) -> None:
    async def go():
        dbmod.use_database(url)
        await dbmod.migrate(out=io.StringIO())
        from service.accounts.actions import do_sync_rights
        from service.audit.log import Actor

        await dbmod.close_pool()
        await do_sync_rights(Actor.system("tests"))
        from service.domains import after_migrate

        await after_migrate(Actor.system("tests"))

    # In a thread of its own: the first test to ask may already be inside a running loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, go()).result()


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    path = _TMP / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


class _Prepared:
    """Copies of the template made ahead, in a thread: a copy takes PostgreSQL ~0.4 s, which
    the test would otherwise wait for while a core sits idle. The thread also drops the
    databases of finished tests, so the session's disk use stays flat."""

    AHEAD = 2

    def __init__(self, cluster: Cluster, template: str) -> None:
        self.cluster, self.template = cluster, template
        self.ready: queue.Queue[str] = queue.Queue(self.AHEAD)
        self.used: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pg-prepared", daemon=True)
        self.thread.start()

    def _copy(self) -> str:
        name = f"ezh_test_{next(_counter)}"
        self.cluster.psql(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return name

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                name = self._copy()
            except (RuntimeError, OSError):  # the test that finds none ready makes its own, and says why
                time.sleep(0.5)
                continue
            while not self.stopping.is_set():
                try:
                    self._drop_used()
                    self.ready.put(name, timeout=0.05)
                    break
                except queue.Full:
                    continue
                except (RuntimeError, OSError):
                    time.sleep(0.5)

    def _drop_used(self) -> None:
        while True:
            try:
                name = self.used.get_nowait()
            except queue.Empty:
                return
            self.cluster.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def take(self) -> str:
        try:
            return self.ready.get(timeout=20)
        except queue.Empty:
            return self._copy()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)


@pytest.fixture(scope="session")
def pg_template(pg_cluster) -> str:
    pg_cluster.psql("CREATE DATABASE ezh_template")
    _migrate(pg_cluster.url("ezh_template"))
    return "ezh_template"


@pytest.fixture(scope="session")
def pg_prepared(pg_cluster, pg_template):
    prepared = _Prepared(pg_cluster, pg_template)
    yield prepared
    prepared.stop()


@dataclass
class TestDatabase:
    kind: str  # "sqlite" | "postgres"
    url: str
    cluster: Cluster | None = None
    name: str = ""

    def psql(self, sql: str, user: str | None = None) -> str:
        assert self.cluster is not None
        return self.cluster.psql(sql, self.name, user)


@functools.cache
def _audit_rows_after_migration(kind: str, cluster: Cluster | None = None, template: str = "") -> int:
    if kind == "sqlite":
        return snapshots.audit_rows_of_sqlite(_TMP / "template.sqlite3")
    assert cluster is not None
    return int(cluster.psql("SELECT COUNT(*) FROM audit_event", template))


def fresh_database(kind: str, request) -> TestDatabase:
    request.addfinalizer(snapshots.done)
    if kind == "sqlite":
        n = next(_counter)
        template = request.getfixturevalue("sqlite_template")
        path = _TMP / f"test-{n}.sqlite3"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        snapshots.use("sqlite", url, path=path, template_audit=_audit_rows_after_migration("sqlite"))
        return TestDatabase("sqlite", url)
    cluster = request.getfixturevalue("pg_cluster")
    prepared = request.getfixturevalue("pg_prepared")
    name = prepared.take()
    # dropped once the test is over (and its connections with it: none is pooled)
    request.addfinalizer(lambda: prepared.used.put(name))
    url = cluster.url(name)
    snapshots.use("postgres", url, cluster=cluster, name=name,
                  template_audit=_audit_rows_after_migration("postgres", cluster, prepared.template))
    return TestDatabase("postgres", url, cluster, name)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request) -> TestDatabase:
    """A fresh, migrated database of each kind; the process's tables point at it."""
    database = fresh_database(request.param, request)
    dbmod.use_database(database.url)
    return database


@pytest.fixture
def pg_db(request) -> TestDatabase:
    """A fresh, migrated PostgreSQL database (for what only PostgreSQL has: roles, triggers, COPY)."""
    database = fresh_database("postgres", request)
    dbmod.use_database(database.url)
    return database


@pytest.fixture
def sqlite_db(request) -> TestDatabase:
    database = fresh_database("sqlite", request)
    dbmod.use_database(database.url)
    return database


# The suite runs on several processes (pytest-xdist, see scripts/run-tests). A unit of work is
# one test, or a whole file where its tests share a module-scoped fixture (a browser, a prepared
# school) that should be built once; the appliance tests share the booted Debian image and the
# browser tests the live demo server, so each of those two sets is one unit. The longest units
# go first, so that the last minutes are not spent waiting on one of them.
SHARED_FILES = {"tests/authz/test_matrix.py", "tests/authz/test_races.py",
                "tests/archive/test_package.py", "tests/archive/test_pdfsign.py",
                "tests/archive/test_seal.py"}
LONGEST_FIRST = ["appliance", "e2e", "tests/authz/test_matrix.py", "tests/authz/test_races.py"]


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    if path.startswith("tests/appliance/"):
        return "appliance"
    if path.startswith("tests/e2e/") or "/test_e2e_" in path:  # the live demo server
        return "e2e"
    return path if path in SHARED_FILES else nodeid


def _shares_a_module_fixture(item) -> bool:
    # the last definition of a name is the one in force (anyio's module-scoped
    # anyio_backend is overridden above by a session-scoped one)
    info = getattr(item, "_fixtureinfo", None)
    return bool(info) and any(defs[-1].scope == "module" for defs in info.name2fixturedefs.values())


def _rank(item) -> int:
    unit = unit_of(item.nodeid)
    return LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items):
    """Longest units first; a file whose tests share a module-scoped fixture must be one unit."""
    items.sort(key=_rank)
    loose = sorted({item.nodeid.split("::")[0] for item in items
                    if _shares_a_module_fixture(item) and unit_of(item.nodeid) == item.nodeid})
    if loose:
        raise pytest.UsageError(f"add to SHARED_FILES in tests/conftest.py: {', '.join(loose)}")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's own grouping (`xdist_group` marks) does not reach its scheduler under
    pytest 9; its scope scheduler is given our units instead."""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return UnitScheduling(config, log)
