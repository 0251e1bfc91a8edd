"""The test harness: real SQLite and a real, throwaway PostgreSQL; schemas built by running
the real migrations once per session, then copied for each test (file copy / CREATE DATABASE
… TEMPLATE), so every test starts from a clean, current database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# The settings of the process under test: nothing from the developer's machine leaks in —
# neither its EZH_* variables nor its /etc/ezh/ezh.toml (the default path leads to a file that
# does not exist; commands run as subprocesses get EZH_CONFIG=/dev/null).
from service import settings as _settings  # reads nothing until asked

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
from tests.pg import Cluster  # noqa: E402

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


@pytest.fixture(scope="session")
def pg_template(pg_cluster) -> str:
    pg_cluster.psql("CREATE DATABASE ezh_template")
    _migrate(pg_cluster.url("ezh_template"))
    return "ezh_template"


@dataclass
class TestDatabase:
    kind: str  # "sqlite" | "postgres"
    url: str
    cluster: Cluster | None = None
    name: str = ""

    def psql(self, sql: str, user: str | None = None) -> str:
        assert self.cluster is not None
        return self.cluster.psql(sql, self.name, user)


def fresh_database(kind: str, request) -> TestDatabase:
    n = next(_counter)
    if kind == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = _TMP / f"test-{n}.sqlite3"
        shutil.copyfile(template, path)
        return TestDatabase("sqlite", f"sqlite:///{path}")
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    name = f"ezh_test_{n}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return TestDatabase("postgres", cluster.url(name), cluster, name)


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


def pytest_collection_modifyitems(items):
    """Browser tests last: the fast tests report first, and no Playwright loop is alive while
    the async tests run."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
