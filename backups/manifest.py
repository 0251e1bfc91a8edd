"""What goes into a backup and how (as FreedomBox's backup manifests): each part of the system
declares itself — the database is dumped (``pg_dump --format=custom`` inside one snapshot, or
SQLite's online backup API), folders are read as they are.

The database dump, its row counts per table and the list of applied migrations are written
into a staging folder together with ``ezh-backup.json``, the archive's own description, which
restore and the drill read first.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

METADATA_NAME = "ezh-backup.json"
FORMAT = 1
DUMP_DIR = "database"
PG_DUMP_NAME = "ezh.pgdump"
SQLITE_DUMP_NAME = "ezh.sqlite3"


class DumpError(Exception):
    """The database could not be dumped; the message is Russian."""


@dataclass(frozen=True)
class Folder:
    """A folder backed up as it is. ``name`` is stable (restore finds the part by it)."""

    name: str
    title: str  # Russian, for notes and the act
    path: Path
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    database_url: str  # postgresql://… or sqlite:////absolute/path
    folders: tuple[Folder, ...] = ()
    ezh_version: str = ""


def manifest_for(database_url: str, *, config_dir: Path, key_dir: Path, checkpoint_dir: Path,
                 uploads_dir: Path | None, packages_dir: Path | None,
                 passphrase_file: Path | None = None, ezh_version: str = "") -> Manifest:
    """The parts of an ezh installation. The passphrase file is left out even when it lies in
    the configuration folder: a copy of the key next to the lock protects nothing."""
    excludes = (str(passphrase_file),) if passphrase_file else ()
    folders = [
        Folder("config", "настройки", config_dir, excludes),
        # The installation key goes as it is: still readable by root only, inside an
        # encrypted archive; restore puts back its mode.
        Folder("keys", "ключ установки", key_dir, excludes),
        Folder("checkpoints", "контрольные точки журнала аудита", checkpoint_dir),
    ]
    if uploads_dir is not None:
        folders.append(Folder("uploads", "загруженные файлы", uploads_dir))
    if packages_dir is not None:
        folders.append(Folder("packages", "архивные пакеты (запечатанные годы)", packages_dir))
    return Manifest(database_url, tuple(folders), ezh_version)


@dataclass
class DatabaseDump:
    engine: str  # "postgresql" | "sqlite"
    file: str  # relative to the staging folder
    row_counts: dict[str, int] = field(default_factory=dict)
    migrations: list[list[str]] = field(default_factory=list)  # [app, migration id]


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:///")


def sqlite_path(url: str) -> Path:
    return Path(unquote(url[len("sqlite:///"):]))


def dump_database(url: str, staging: Path) -> DatabaseDump:
    """Dump into ``staging/database/``; counts and migrations come from the same snapshot as
    the dump, so the drill can demand exact equality."""
    (staging / DUMP_DIR).mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        return _dump_sqlite(sqlite_path(url), staging)
    return asyncio.run(_dump_postgres(url, staging))


def _dump_sqlite(path: Path, staging: Path) -> DatabaseDump:
    if not path.is_file():
        raise DumpError(f"файла базы {path} нет")
    target = staging / DUMP_DIR / SQLITE_DUMP_NAME
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # online: writers go on, the copy is one consistent state
    finally:
        source.close()
    try:
        counts, migrations = sqlite_contents(copy)
    finally:
        copy.close()
    return DatabaseDump("sqlite", f"{DUMP_DIR}/{SQLITE_DUMP_NAME}", counts, migrations)


def sqlite_contents(conn: sqlite3.Connection) -> tuple[dict[str, int], list[list[str]]]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    counts = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    migrations = []
    if "migration" in names:
        migrations = [[a, m] for a, m in conn.execute(
            "SELECT app_name, name FROM migration ORDER BY app_name, name")]
    return counts, migrations


async def postgres_contents(conn) -> tuple[dict[str, int], list[list[str]]]:
    names = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    counts = {}
    for name in names:
        counts[name] = await conn.fetchval(f'SELECT count(*) FROM public."{name}"')
    migrations = []
    if "migration" in names:
        migrations = [[r["app_name"], r["name"]] for r in await conn.fetch(
            "SELECT app_name, name FROM migration ORDER BY app_name, name")]
    return counts, migrations


async def _dump_postgres(url: str, staging: Path) -> DatabaseDump:
    import asyncpg

    target = staging / DUMP_DIR / PG_DUMP_NAME
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise DumpError(f"не удаётся подключиться к базе для копии: {exc}") from None
    try:
        # One snapshot for the counts and pg_dump: what is counted is exactly what is dumped.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            counts, migrations = await postgres_contents(conn)
            proc = await asyncio.create_subprocess_exec(
                "pg_dump", "--format=custom", "--compress=0", f"--snapshot={snapshot}",
                f"--file={target}", f"--dbname={url}",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode != 0:
                text = err.decode(errors="replace").strip()
                if "No space left" in text:
                    raise DumpError("кончилось место на диске при выгрузке базы: копия не "
                                    "сделана, прежние архивы целы")
                raise DumpError(f"pg_dump завершился с ошибкой: {text}")
    finally:
        await conn.close()
    return DatabaseDump("postgresql", f"{DUMP_DIR}/{PG_DUMP_NAME}", counts, migrations)


@dataclass(frozen=True)
class Staged:
    metadata: dict
    paths: list[str]
    excludes: list[str]


def stage(manifest: Manifest, staging: Path, *, kind: str, database_only: bool = False) -> Staged:
    """Dump the database and write the description.

    Paths for borg: relative ones are inside ``staging`` (borg runs there), absolute ones are
    the folders. A folder that does not exist yet (no uploads so far) is noted and skipped."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True, mode=0o700)
    dump = dump_database(manifest.database_url, staging)
    paths = [DUMP_DIR, METADATA_NAME]
    folders, notes = [], []
    for folder in () if database_only else manifest.folders:
        present = folder.path.is_dir()
        folders.append({"name": folder.name, "title": folder.title, "source": str(folder.path),
                        "stored": str(folder.path).lstrip("/"), "present": present})
        if present:
            paths.append(str(folder.path))
        else:
            notes.append(f"{folder.title}: каталога {folder.path} нет — пропущен")
    metadata = {
        "format": FORMAT,
        "kind": kind,
        "created_at": datetime.now(UTC).isoformat(),
        "ezh_version": manifest.ezh_version,
        "database": {"engine": dump.engine, "file": dump.file, "row_counts": dump.row_counts,
                     "migrations": dump.migrations},
        "folders": folders,
        "notes": notes,
    }
    (staging / METADATA_NAME).write_text(json.dumps(metadata, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
    excludes = sorted({e for f in manifest.folders for e in f.excludes})
    return Staged(metadata, paths, excludes)
