"""The demo's SQLite database keeps its connections (service/sqlite_engine.py). A page's
statements reuse them instead of each opening the file and reading its schema (≈ 5 ms a
statement). Nothing about what they read or write changes:
- foreign keys hold;
- a failed statement or transaction leaves nothing open;
- a file replaced at the path, as a restore does, is the file read next;
- an engine put aside closes its connections."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from service import db as dbmod
from service.accounts.actions import do_create_person
from service.audit.log import Actor

ACTOR = Actor.system("tests")


async def _people() -> int:
    return (await dbmod.fetch("SELECT COUNT(*) AS n FROM person"))[0][0]


@pytest.mark.anyio
async def test_a_pages_statements_reuse_one_connection(sqlite_db):
    engine = dbmod.engine()
    before = engine.opened
    for _ in range(20):
        await _people()
    await do_create_person(ACTOR, "Проверочная", "Анна")
    await _people()
    assert engine.opened - before <= 1


@pytest.mark.anyio
async def test_foreign_keys_hold_on_a_kept_connection(sqlite_db):
    await _people()  # a connection is kept now
    for _ in range(2):  # outside a transaction, then inside one, on the kept connection
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            await dbmod.fetch("INSERT INTO account_role (account, role) VALUES ({}, {}) RETURNING id",
                              999_999, 999_999)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            async with dbmod.atomic():
                await dbmod.fetch("INSERT INTO account_role (account, role) VALUES ({}, {}) RETURNING id",
                                  999_999, 999_999)
    assert (await dbmod.fetch("SELECT COUNT(*) AS n FROM account_role WHERE account = {}", 999_999))[0][0] == 0


@pytest.mark.anyio
async def test_a_failed_transaction_leaves_no_transaction_behind(sqlite_db):
    people = await _people()
    with pytest.raises(RuntimeError):
        async with dbmod.atomic():
            await do_create_person(ACTOR, "Откатная", "Вера")
            raise RuntimeError("после записи")
    assert await _people() == people
    # the kept connection starts the next write as if new (an open transaction would refuse BEGIN)
    await do_create_person(ACTOR, "Следующая", "Ирина")
    assert await _people() == people + 1


def _restore(path: Path, earlier: Path) -> None:
    path.rename(path.with_name(path.name + ".before-restore"))
    shutil.copy(earlier, path)


@pytest.mark.anyio
async def test_a_file_put_at_the_path_is_the_one_read_next(sqlite_db, tmp_path):
    """What a restore does to a demo's database: the old file renamed aside and another put at
    its path. Kept connections must not go on reading, or writing, the old one."""
    path = Path(dbmod.engine().path)
    people = await _people()
    shutil.copy(path, tmp_path / "earlier.sqlite3")
    await do_create_person(ACTOR, "Поздняя", "Ольга")
    assert await _people() == people + 1
    _restore(path, tmp_path / "earlier.sqlite3")
    assert await _people() == people
    await do_create_person(ACTOR, "Новая", "Дарья")
    assert await _people() == people + 1
    with sqlite3.connect(path) as conn:  # the write went to the file at the path
        assert conn.execute("SELECT COUNT(*) FROM person WHERE last_name = 'Новая'").fetchone()[0] == 1


def test_an_engine_put_aside_closes_its_connections(sqlite_db):
    async def read() -> None:
        await asyncio.gather(*(_people() for _ in range(3)))  # three connections at once

    dbmod.use_database(sqlite_db.url)
    asyncio.run(read())
    threads = threading.active_count()
    for _ in range(10):
        dbmod.use_database(sqlite_db.url)
        asyncio.run(read())
    dbmod.use_database(sqlite_db.url)
    deadline = time.monotonic() + 10
    while threading.active_count() > threads - 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= threads - 3


@pytest.mark.anyio
async def test_twenty_writers_at_once_queue_on_kept_connections(sqlite_db):
    """Two requests at once on the demo: each transaction takes a connection of its own and the
    write lock in turn; none fails, none is lost, and the audit chain stays whole."""
    from service.audit.verify import verify_chain

    people = await _people()
    await asyncio.gather(*(do_create_person(ACTOR, f"Одновременная-{i}", "Нина") for i in range(20)))
    assert await _people() == people + 20
    assert (await verify_chain()).ok
    assert dbmod.engine().opened <= 20 + 1
