"""The database: one Piccolo engine chosen by ``EZH_DATABASE_URL``, transactions, migrations.

SQLite is the embedded default for a demo; PostgreSQL is the production database. Everything
above this module is written once for both.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import sys
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import Column
from piccolo.conf.apps import Finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from service.settings import PROJECT_ROOT
from service.sqlite_engine import PooledSQLiteEngine


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message says where and why, in Russian."""


NOT_OWNER = ("у роли PostgreSQL «{role}» нет прав менять схему базы: миграции выполняет "
             "роль — владелец базы данных. Запустите ezh migrate с её адресом в EZH_DATABASE_URL, "
             "например: sudo env EZH_DATABASE_URL='postgresql://ezh_owner@/ezh?host=/run/postgresql' "
             "ezh migrate. Ничего не изменено.")


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(unquote(url[len("sqlite:///"):]))
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: writers wait for each other instead of failing with "database is locked".
        with _quiet_piccolo():
            return PooledSQLiteEngine(path=str(path), timeout=30)
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    config: dict = {
        "database": unquote(parts.path.lstrip("/")) or "ezh",
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "host": parts.hostname or query.get("host") or "/run/postgresql",
        "port": parts.port or int(query.get("port", 5432)),
    }
    with _quiet_piccolo():
        return PostgresEngine(config={k: v for k, v in config.items() if v is not None})


@contextlib.contextmanager
def _quiet_piccolo():
    """Piccolo's engines ask the server for its version when they are created and, when it does
    not answer, warn in English with raw colour codes. ping() says the same in Russian, with
    what to check, when the database is first used; the warning would only come first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def engine() -> Engine:
    return Migration._meta.db


def is_postgres() -> bool:
    return engine().engine_type == "postgres"


def all_tables() -> list:
    return [*Finder().get_table_classes(), Migration]


def use_database(url: str) -> Engine:
    """Point every table (and Piccolo's engine finder) at the database ``url``."""
    conf = importlib.import_module("service.piccolo_conf")
    old = Migration._meta.db
    if isinstance(old, PooledSQLiteEngine):
        old.close_idle_now()  # its kept connections would hold the old file open
    new = engine_from_url(url)
    conf.DB = new
    for table in all_tables():
        table._meta.db = new
    return new


async def start_pool(max_size: int) -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        # max_inactive_connection_lifetime=0: asyncpg would otherwise arm a timer on every
        # connection returned to the pool (to close it after 5 idle minutes), ≈ 1 % of a page's
        # CPU; a school's pool is a few connections per worker, kept open.
        await db.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session,
                                       max_inactive_connection_lifetime=0)


async def _keep_session(connection: Any) -> None:
    """Returning a connection to the pool: asyncpg has already rolled back any transaction left
    open; its default reset then spends a round trip on ``RESET ALL``, ``CLOSE ALL``, ``UNLISTEN *``
    and unlocking session advisory locks — none of which the service ever sets (its locks are
    ``pg_advisory_xact_lock``, released at commit). About 4 % of a grid request's CPU."""


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
    elif isinstance(db, PooledSQLiteEngine):
        await db.close_idle()


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """One write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so two
    writers queue instead of one of them failing half-way."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key of a name: the first 8 bytes of its SHA-256, read as a
    signed big-endian integer (a ``bigint``). Statements that take a lock inside a larger query
    use it directly; everything else calls ``xact_lock``."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


async def xact_lock(*names: str) -> None:
    """Serialise the transactions that decide about the same thing (the last administrator, one
    class «7Б» in a year, a teacher busy at one hour, one cell of the journal): whoever comes
    second waits here and then reads what the first committed. PostgreSQL advisory locks named
    by ``names``, held until the transaction ends (commit or rollback releases them, nothing to
    unlock by hand). The keys are taken in one order — sorted, each once — so that two
    transactions that both want ``a`` and ``b`` never wait for each other in a circle; all in
    one round trip. Call it inside ``atomic()``: outside a transaction the lock would end with
    its own statement. On SQLite it does nothing: the IMMEDIATE transaction already holds the
    database's one write lock."""
    if not is_postgres():
        return
    keys = sorted({lock_key(n) for n in names})
    if len(keys) == 1:
        await engine().run_querystring(QueryString("SELECT pg_advisory_xact_lock({})", keys[0]))
    elif keys:  # unnest gives the keys in the array's (sorted) order
        await engine().run_querystring(QueryString(
            "SELECT pg_advisory_xact_lock(k) FROM unnest({}::bigint[]) AS u(k)", keys))


async def fetch(sql: str, *args: Any) -> list[Sequence]:
    """A read for the hottest pages: rows as tuples read by position (asyncpg's records as they
    come, SQLite's rows as tuples), without Piccolo's per-row dicts. ``{}`` placeholders, as in
    ``Table.raw``; inside a transaction it uses the transaction's connection. Name every column
    uniquely (``AS``): SQLite's rows pass through a dict on the way."""
    db = engine()
    text, count = _compiled(sql, db.engine_type)
    plain = count == len(args) and all(type(a) in _VALUE_TYPES or not isinstance(a, (QueryString, Column))
                                       for a in args)
    rows = await db.run_querystring(_Compiled(sql, text, args) if plain else QueryString(sql, *args))
    if rows and isinstance(rows[0], dict):
        return [tuple(r.values()) for r in rows]
    return rows


# the values a statement takes, known by their exact type: isinstance against Piccolo's
# QueryString goes through ABCMeta, ≈ 0.7 µs a value — ≈ 2 % of a cell save's CPU
_VALUE_TYPES = frozenset({int, str, bool, float, Decimal, date, datetime, type(None), bytes})


@lru_cache(maxsize=2048)
def _compiled(sql: str, engine_type: str) -> tuple[str, int]:
    """A ``{}`` template as its engine runs it (``$1, $2, …`` or ``?``) and how many values it
    takes — worked out once per text. Piccolo's QueryString parses the template again on every
    call: for the grid's 35-value statement that was ≈ 3 % of the page's CPU."""
    out, count = [], 0
    for literal, field, _, _ in Formatter().parse(sql):  # as QueryString.bundle parses it
        out.append(literal)
        if field is not None:
            count += 1
            out.append("?" if engine_type == "sqlite" else f"${count}")
    return "".join(out), count


class _Compiled(QueryString):
    """A QueryString whose compiled form is already known (``_compiled``): the engine runs it as
    any other (so whatever counts or logs the engine's statements still sees it)."""

    __slots__ = ()

    def __init__(self, template: str, text: str, args: Sequence[Any]) -> None:  # noqa: D107
        self.template = template
        self.args = list(args)
        self.columns = []
        self.query_type = "generic"
        self.table = None
        self._alias = None
        self._frozen_compiled_strings = (text, self.args)


async def ping() -> None:
    """Raise DatabaseUnavailable unless a trivial query answers."""
    db = engine()
    try:
        await db.run_ddl("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable" here
        hint = ("Проверьте EZH_DATABASE_URL и что сервер PostgreSQL запущен."
                if isinstance(db, PostgresEngine) else
                "Проверьте EZH_DATABASE_URL и права на файл базы и его каталог.")
        raise DatabaseUnavailable(
            f"База данных недоступна ({describe_url(_url_of(db))}): {exc}. {hint}"
        ) from exc


def _url_of(db: Engine) -> str:
    if isinstance(db, SQLiteEngine):
        return "sqlite:///" + db.path
    config = db.config  # type: ignore[attr-defined]
    return f"postgresql://{config.get('user', '')}@{config.get('host')}/{config.get('database')}"


# --- migrations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationState:
    applied: list[tuple[str, str]]
    pending: list[tuple[str, str]]
    unknown: list[tuple[str, str]]  # applied in the database but absent from the code

    @property
    def current(self) -> bool:
        return not self.pending and not self.unknown


class MigrationFailed(Exception):
    pass


def _migration_modules() -> list[tuple[str, str, object]]:
    """(app, migration id, module) in the order they must run: apps by dependency, then id."""
    manager = BaseMigrationManager()
    result = []
    for app_name in manager.get_sorted_app_names():
        app_config = Finder().get_app_config(app_name)
        modules = manager.get_migration_modules(app_config.resolved_migrations_folder_path)
        for migration_id in manager.get_migration_ids(modules):
            result.append((app_name, migration_id, modules[migration_id]))
    return result


async def _migration_table_exists() -> bool:
    if is_postgres():
        sql = "SELECT 1 FROM information_schema.tables WHERE table_name = 'migration'"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migration'"
    return bool(await Migration.raw(sql).run())


async def migration_state() -> MigrationState:
    """Which migrations ran; reads only, so the service's own role may ask."""
    rows = []
    if await _migration_table_exists():
        rows = await Migration.select(Migration.app_name, Migration.name).run()
    ran = {(r["app_name"], r["name"]) for r in rows}
    known = [(app, mid) for app, mid, _ in _migration_modules()]
    return MigrationState(
        applied=[k for k in known if k in ran],
        pending=[k for k in known if k not in ran],
        unknown=sorted(ran - set(known)),
    )


def _lacks_privilege(exc: BaseException | None) -> bool:
    """Whether PostgreSQL refused for want of rights (SQLSTATE 42501), however wrapped."""
    while exc is not None:
        if getattr(exc, "sqlstate", None) == "42501":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def current_role() -> str:
    """The PostgreSQL role this connection acts as ("" on SQLite)."""
    if not is_postgres():
        return ""
    return (await Migration.raw("SELECT current_user AS role").run())[0]["role"]


async def migrate(out=sys.stdout) -> list[tuple[str, str]]:
    """Run every pending migration, all of them in one transaction: either the database ends
    up at the newest schema or it stays exactly as it was.

    The state is read first, with reads only: on a current schema the service's own role (which
    may not create tables) hears that nothing is to be done, and no DDL is sent at all."""
    state = await migration_state()
    if state.unknown:
        app, mid = state.unknown[0]
        raise MigrationFailed(
            f"В базе применена миграция {app}/{mid}, которой нет в этой версии ezh: "
            "база новее программы. Установите ту версию ezh, что работала с этой базой."
        )
    if not state.pending:
        return []
    pending = set(state.pending)
    done: list[tuple[str, str]] = []
    app, mid = "—", "—"
    chatter = io.StringIO()  # Piccolo prints emoji progress; we print our own lines
    try:
        async with atomic():
            await Migration.create_table(if_not_exists=True).run()
            for app, mid, module in _migration_modules():
                if (app, mid) not in pending:
                    continue
                manager = await module.forwards()
                with contextlib.redirect_stdout(chatter):
                    await manager.run()
                await Migration.insert(Migration(name=mid, app_name=app)).run()
                done.append((app, mid))
                print(f"  применена {app}/{mid}", file=out)
    except Exception as exc:
        if _lacks_privilege(exc):
            raise MigrationFailed(NOT_OWNER.format(role=await current_role())) from exc
        raise MigrationFailed(
            f"Миграция {app}/{mid} не удалась: {exc}. Изменения отменены, база осталась как была."
        ) from exc
    return done


async def grant_service_role(role: str, append_only: tuple[str, ...]) -> bool:
    """Give the service's own PostgreSQL role what it needs and no more: read and write the
    journal's tables, only INSERT and SELECT on the append-only logs, nothing on migrations.

    Returns False when there is nothing to grant: SQLite, or `ezh migrate` run as the service
    role itself (it cannot grant itself anything; the owner's run did)."""
    if not is_postgres() or await current_role() == role:
        return False
    db = engine()
    quoted = '"' + role.replace('"', '""') + '"'
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON migration FROM {quoted}",
    ]
    statements += [f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {quoted}" for t in append_only]
    try:
        async with atomic():
            for sql in statements:
                await db.run_ddl(sql)
    except Exception as exc:
        if _lacks_privilege(exc):
            raise MigrationFailed(NOT_OWNER.format(role=await current_role())) from exc
        raise
    return True


def contains(column, text: str):
    """A case-insensitive "contains" filter: ILIKE on PostgreSQL; LIKE on SQLite (which folds
    only Latin letters — enough for logins in a demo)."""
    pattern = "%" + text.replace("%", "") + "%"  # "_" stays a wildcard: it only widens a search
    return column.ilike(pattern) if is_postgres() else column.like(pattern)


# --- bulk loading (demo school, imports) -----------------------------------------------------


def _connection() -> Any:
    """The driver connection of the current transaction (asyncpg or aiosqlite)."""
    return engine().current_transaction.get().connection


async def reserve_ids(table: type[Table], n: int) -> list[int]:
    """``n`` fresh primary keys for ``table``, so that rows can refer to each other before
    they are written. PostgreSQL hands them out from the table's sequence (safe with other
    writers); on SQLite the transaction holds the write lock, so the next ids are ours."""
    if n == 0:
        return []
    name = table._meta.tablename
    conn = _connection()
    if is_postgres():
        rows = await conn.fetch("SELECT nextval(pg_get_serial_sequence($1, 'id')) "
                                "FROM generate_series(1, $2)", name, n)
        return sorted(r[0] for r in rows)
    async with conn.execute(f"SELECT COALESCE(MAX(id), 0) AS top FROM {name}") as cursor:
        top = (await cursor.fetchone())["top"]
    return list(range(top + 1, top + 1 + n))


async def bulk_insert(table: type[Table], columns: Sequence[Column],
                      rows: Sequence[tuple]) -> None:
    """Write many rows in one go inside the caller's transaction (COPY on PostgreSQL,
    executemany on SQLite): for generators and imports, where the ORM's per-row cost shows.
    The caller writes the audit row that says what was loaded."""
    if not rows:
        return
    name = table._meta.tablename
    column_names = [c._meta.db_column_name for c in columns]
    conn = _connection()
    if is_postgres():
        await conn.copy_records_to_table(name, records=rows, columns=column_names)
    else:
        marks = ", ".join("?" * len(columns))
        await conn.executemany(f"INSERT INTO {name} ({', '.join(column_names)}) VALUES ({marks})",
                               rows)
