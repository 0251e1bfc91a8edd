"""Test schools built once per test process and copied for every later test that asks for the
same one.

Building a school goes through the real actions, a few hundred statements; on PostgreSQL each
statement of a test opens its own connection (≈ 16 ms on this kind of machine), so the journal
school took seconds and the S demo school much longer, again in every test that wanted one. Now
the first test that builds a school (say ``journal_school()`` on PostgreSQL) keeps a copy of its
database (``CREATE DATABASE … TEMPLATE``, or the SQLite file) and of what the factory returned;
a later test asking for the same school in a fresh database gets the copy instead, with the same
ids, the same rows and the same audit chain. Nothing else is shared: each test still has a
database of its own.

A copy is used only when it would be indistinguishable from building: the test's database is
still as the fixture made it (no person yet, the audit log as after migration — every write is
audited), the settings are the same, and it is the same day (the demo fills lessons up to
today). A factory called after the test has written something builds for real.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from service import db as dbmod
from service.settings import get_settings

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class _Database:
    """The database the running test got from its fixture."""

    kind: str  # "sqlite" or "postgres"
    url: str
    path: Path | None = None  # SQLite's file
    cluster: Any = None  # PostgreSQL's tests.pg.Cluster
    name: str = ""


_current: _Database | None = None
_fresh_audit: dict[str, int] = {}  # audit rows of a just-migrated database, by kind
_kept: dict[tuple, tuple[str, Any]] = {}  # key → (the copy: file or database name, the result)
_numbers = itertools.count()
_folder: Path | None = None


def use(kind: str, url: str, *, path: Path | None = None, cluster: Any = None, name: str = "",
        template_audit: int | None = None) -> None:
    """The fixture's database for the test about to run (None after it)."""
    global _current
    _current = _Database(kind, url, path, cluster, name)
    if template_audit is not None:
        _fresh_audit.setdefault(kind, template_audit)


def done() -> None:
    global _current
    _current = None


def keep_in(folder: Path) -> None:
    global _folder
    _folder = folder


def _same_database(database: _Database) -> bool:
    engine = dbmod.engine()
    if database.kind == "sqlite":
        return database.path is not None and Path(getattr(engine, "path", "")) == database.path
    return getattr(engine, "config", {}).get("database") == database.name


async def _pristine(database: _Database) -> bool:
    fresh = _fresh_audit.get(database.kind)
    if fresh is None:
        return False
    rows = await dbmod.fetch("SELECT (SELECT COUNT(*) FROM person) AS people, "
                             "(SELECT COUNT(*) FROM audit_event) AS events")
    return rows[0][0] == 0 and rows[0][1] == fresh


def _copy_out(database: _Database) -> str:
    n = next(_numbers)
    if database.kind == "sqlite":
        assert _folder is not None and database.path is not None
        target = _folder / f"snapshot-{n}.sqlite3"
        shutil.copyfile(database.path, target)
        return str(target)
    name = f"ezh_snapshot_{n}"
    database.cluster.psql(f"CREATE DATABASE {name} TEMPLATE {database.name}")
    return name


def _copy_in(database: _Database, kept: str) -> None:
    if database.kind == "sqlite":
        assert database.path is not None
        shutil.copyfile(kept, database.path)
        return
    database.cluster.psql(f"DROP DATABASE {database.name} WITH (FORCE)")
    database.cluster.psql(f"CREATE DATABASE {database.name} TEMPLATE {kept}")


def snapshotted(factory: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``factory`` (an async builder of a test school), built once per process and copied after."""

    @functools.wraps(factory)
    async def built(*args: P.args, **kwargs: P.kwargs) -> T:
        database = _current
        if database is None or not _same_database(database) or not await _pristine(database):
            return await factory(*args, **kwargs)
        key = (factory.__module__, factory.__qualname__, repr(args), repr(sorted(kwargs.items())),
               database.kind, date.today(), repr(get_settings()))
        if key in _kept:
            kept, result = _kept[key]
            await asyncio.to_thread(_copy_in, database, kept)
            return copy.deepcopy(result)
        result = await factory(*args, **kwargs)
        kept = await asyncio.to_thread(_copy_out, database)
        _kept[key] = (kept, copy.deepcopy(result))
        return result

    return built


def audit_rows_of_sqlite(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]
