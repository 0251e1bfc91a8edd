"""Piccolo's SQLite engine, with the connections it opens kept and handed out again.

Piccolo opens a new SQLite connection for every statement outside a transaction and for every
transaction: a new thread (aiosqlite runs each connection on one), the file opened, and its
schema of ≈ 200 tables and indexes read anew before the first statement. With ezh's schema that
is ≈ 5 ms a statement, so a demo page of five statements spent 25 ms opening files. This engine
keeps up to ``KEEP`` idle connections and reuses them; a statement on a kept connection costs the
thread hop and the statement itself.

What stays as it was:
- every connection has ``PRAGMA foreign_keys = 1`` (set once, when it is opened; inside a
  transaction the pragma is a no-op anyway, so Piccolo's repetition of it there is dropped);
- a connection goes back only when it holds no transaction; one that failed is closed;
- the file is found by its path every time, as before: a kept connection whose file was
  replaced or removed (a restore renames the old file aside) is closed, and a new one opens
  the file now at that path;
- nothing waits for these connections when the process ends (their threads are daemons), and
  ``close_idle`` / ``close_idle_now`` close them when the engine is put aside.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

KEEP = 4  # idle connections kept per engine: a demo serves a handful of requests at once


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _Connection(aiosqlite.Connection):
    """An aiosqlite connection that its engine may keep: ``close()`` hands it back."""

    def __init__(self, engine: PooledSQLiteEngine, connector: Any) -> None:
        super().__init__(connector, 64)
        self._thread.daemon = True  # a kept connection never holds the process open
        self.engine = engine
        self.file: tuple[int, int] | None = None

    async def close(self) -> None:
        if not self.engine._keep(self):
            await self.really_close()

    async def really_close(self) -> None:
        await super().close()

    def close_now(self) -> None:
        """Close it from anywhere, without awaiting: its thread closes the SQLite connection
        and ends (aiosqlite's own ``stop()`` would post the answer to an event loop that may be
        gone by then)."""
        self._running = False

        def close_and_stop() -> object:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            return _STOP_RUNNING_SENTINEL

        self._tx.put_nowait((None, close_and_stop))


class PooledSQLiteEngine(SQLiteEngine):
    """``SQLiteEngine`` that keeps the connections it opens (see the module's text)."""

    __slots__ = ("_idle", "_lock", "_retired", "opened")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()  # the engine may be used from two threads' loops (tests)
        self._retired = False
        self.opened = 0  # connections opened so far (what keeping them saves shows here)

    async def get_connection(self) -> _Connection:
        """A connection of this database (a kept one if there is one whose file is still the
        file at the path), ready for a statement or a transaction."""
        current = _identity(self.path)
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                break
            if conn.file is not None and conn.file == current:
                return conn
            await conn.really_close()
        kwargs = dict(self.connection_kwargs)
        database = kwargs.pop("database")
        conn = _Connection(self, lambda: sqlite3.connect(database, **kwargs))
        await conn
        self.opened += 1
        conn.row_factory = dict_factory
        await conn.execute("PRAGMA foreign_keys = 1")
        conn.file = _identity(self.path)
        return conn

    def _keep(self, conn: _Connection) -> bool:
        if conn._connection is None or conn._connection.in_transaction or conn.file is None:
            return False
        with self._lock:
            if self._retired or len(self._idle) >= KEEP:
                return False
            self._idle.append(conn)
        return True

    async def _run_in_new_connection(self, query: str, args: list | None = None,
                                     query_type: str = "generic", table: Any = None) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's way
            return await super()._run_in_new_connection(query, args, query_type, table)
        conn = await self.get_connection()
        try:
            async with conn.execute(query, args or []) as cursor:
                await conn.commit()
                rows = await cursor.fetchall()
        except BaseException:
            await conn.really_close()  # whatever the failure left open ends with it
            raise
        if "pragma" in query.lower():
            await conn.really_close()  # a pragma may have changed the connection: not kept
        else:
            await conn.close()
        return rows

    async def _run_in_existing_connection(self, connection: Any, query: str, args: list | None = None,
                                          query_type: str = "generic", table: Any = None) -> Any:
        if not isinstance(connection, _Connection) or (
                query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    def _take_idle(self, retire: bool) -> list[_Connection]:
        with self._lock:
            idle, self._idle = self._idle, []
            self._retired = self._retired or retire
        return idle

    async def close_idle(self) -> None:
        """Close the kept connections (the engine keeps new ones again afterwards)."""
        for conn in self._take_idle(retire=False):
            await conn.really_close()

    def close_idle_now(self) -> None:
        """The engine is put aside: close its kept connections and keep no more."""
        for conn in self._take_idle(retire=True):
            conn.close_now()
