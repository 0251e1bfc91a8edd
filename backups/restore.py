"""Restore an archive: into a NEW database and a new folder by default; over the live data only
with ``replace=True``, which first takes a fresh backup of what is about to be replaced.

An archive made by a newer ezh (its database has migrations this code does not know) is
refused before anything is touched. After the live data is replaced by an older backup, the
audit checkpoints newer than it cannot match the restored chain: they are set aside into a
dated subfolder, never deleted.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from backups.borg import BorgError, Repository
from backups.manifest import METADATA_NAME, is_sqlite, sqlite_path
from backups.run import BackupConfig, run_backup

CHECKPOINT_FILE = re.compile(r"^checkpoint-\d{8}T\d{6}Z-(\d+)\.txt$")
AUDIT_TABLE = "audit_event"


class RestoreRefused(Exception):
    """Nothing was changed; the message says why and what to do, in Russian."""


@dataclass
class RestoreResult:
    archive: str
    database_url: str
    folders: dict[str, str] = field(default_factory=dict)  # part name → where it now is
    set_aside: list[str] = field(default_factory=list)  # moved checkpoint files
    before_restore: str = ""  # the fresh backup taken before replacing
    notes: list[str] = field(default_factory=list)


def read_metadata(repo: Repository, archive: str) -> dict:
    try:
        return json.loads(repo.read_file(archive, METADATA_NAME))
    except ValueError:
        raise RestoreRefused(f"в архиве {archive} нет описания {METADATA_NAME}: это не архив "
                             "ezh или он повреждён") from None


def check_compatible(metadata: dict, known_migrations: set[tuple[str, str]]) -> None:
    """Refuse an archive whose database is newer than this program."""
    theirs = {(a, m) for a, m in metadata["database"]["migrations"]}
    unknown = sorted(theirs - known_migrations)
    if unknown:
        version = metadata.get("ezh_version") or "более новой"
        raise RestoreRefused(
            f"архив сделан версией ezh {version}: в его базе {len(unknown)} миграций, которых эта "
            f"версия не знает (например, {unknown[0][0]}/{unknown[0][1]}). Установите ту же или "
            "более новую версию ezh и повторите восстановление. Ничего не изменено.")


def latest_archive(repo: Repository, prefix: str) -> str:
    archives = repo.archives(prefix + "*")
    if not archives:
        raise RestoreRefused(f"в хранилище {repo.path} нет архивов: сначала ezh backup run")
    return archives[-1]["name"]


# --- databases -------------------------------------------------------------------------------


def database_exists(url: str) -> bool:
    if is_sqlite(url):
        return sqlite_path(url).exists()
    name = urlsplit(url).path.lstrip("/")
    out = _psql(_with_database(url, "postgres"),
                f"SELECT 1 FROM pg_database WHERE datname = '{_literal(name)}'")
    return out.strip() == "1"


def restore_database(extracted: Path, metadata: dict, url: str) -> None:
    """Load the dump into the database ``url``, which must not exist yet."""
    dump = extracted / metadata["database"]["file"]
    if database_exists(url):
        raise RestoreRefused(f"база {_name(url)} уже существует: восстановление пишет только в "
                             "новую базу (или --replace). Ничего не изменено.")
    if metadata["database"]["engine"] == "sqlite":
        if not is_sqlite(url):
            raise RestoreRefused("архив демо-базы SQLite восстанавливается только в файл SQLite "
                                 "(sqlite:///путь)")
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dump, target)
        conn = sqlite3.connect(target)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise RestoreRefused("файл базы из архива повреждён (PRAGMA integrity_check)")
        finally:
            conn.close()
        return
    if is_sqlite(url):
        raise RestoreRefused("архив базы PostgreSQL восстанавливается только в PostgreSQL")
    name = _name(url)
    _psql(_with_database(url, "postgres"), f'CREATE DATABASE "{name}"')
    out = subprocess.run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error",
                          f"--dbname={url}", str(dump)], capture_output=True, text=True)
    if out.returncode != 0:
        drop_database(url)
        raise RestoreRefused(f"pg_restore не смог загрузить копию: {out.stderr.strip()[-400:]}. "
                             "Новая база удалена, живая не тронута.")


def drop_database(url: str) -> None:
    if is_sqlite(url):
        sqlite_path(url).unlink(missing_ok=True)
        return
    _psql(_with_database(url, "postgres"), f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)')


def database_contents(url: str) -> tuple[dict[str, int], list[list[str]]]:
    """Row counts per table and applied migrations of the database ``url``."""
    from backups.manifest import postgres_contents, sqlite_contents

    if is_sqlite(url):
        conn = sqlite3.connect(f"file:{sqlite_path(url)}?mode=ro", uri=True)
        try:
            return sqlite_contents(conn)
        finally:
            conn.close()

    async def go():
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return await postgres_contents(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


def _name(url: str) -> str:
    return str(sqlite_path(url)) if is_sqlite(url) else urlsplit(url).path.lstrip("/")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def with_database(url: str, name: str) -> str:
    """``url`` pointing at another database of the same server (or another SQLite file)."""
    if is_sqlite(url):
        return f"sqlite:///{sqlite_path(url).with_name(name)}"
    return _with_database(url, name)


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _psql(url: str, sql: str) -> str:
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                          f"--dbname={url}", "-c", sql], capture_output=True, text=True)
    if out.returncode != 0:
        raise RestoreRefused(f"PostgreSQL: {out.stderr.strip()}")
    return out.stdout


# --- the whole restore -------------------------------------------------------------------------


def restore(cfg: BackupConfig, archive: str, *, known_migrations: set[tuple[str, str]],
            database_url: str | None = None, folders_to: Path | None = None,
            replace: bool = False, live_checkpoint_dir: Path | None = None) -> RestoreResult:
    """Restore ``archive``. Without ``replace``: the database into ``database_url`` (must not
    exist) and the folders under ``folders_to/<part>`` (must not exist). With ``replace``: a
    fresh backup first, then the live database and folders are swapped for the archive's (the
    replaced ones kept beside them, renamed ``…before-restore-<time>``)."""
    repo = cfg.repository
    metadata = read_metadata(repo, archive)
    check_compatible(metadata, known_migrations)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if not replace:
        if database_url is None:
            raise RestoreRefused("укажите новую базу (--database) или --replace")
        if database_exists(database_url):
            raise RestoreRefused(f"база {_name(database_url)} уже существует: восстановление "
                                 "пишет только в новую базу (или --replace). Ничего не изменено.")
        if folders_to is not None and folders_to.exists() and any(folders_to.iterdir()):
            raise RestoreRefused(f"каталог {folders_to} не пуст: укажите новый. Ничего не "
                                 "изменено.")
    result = RestoreResult(archive, database_url or cfg.manifest.database_url)
    if replace:
        before = run_backup(cfg, reason=f"перед восстановлением {archive}")
        if not before.ok:
            raise RestoreRefused(f"свежая копия перед восстановлением не сделана ({before.message}) "
                                 "— живые данные не тронуты.")
        result.before_restore = before.archive
    work = cfg.state_dir / f"restore-{stamp}"
    try:
        repo.extract(archive, work)
        if replace:
            _replace_live(cfg, metadata, work, stamp, result, live_checkpoint_dir)
        else:
            restore_database(work, metadata, database_url)  # type: ignore[arg-type]
            if folders_to is not None:
                folders_to.mkdir(parents=True, exist_ok=True)
                for part in metadata["folders"]:
                    source = work / part["stored"]
                    if part["present"] and source.exists():
                        shutil.move(str(source), folders_to / part["name"])
                        result.folders[part["name"]] = str(folders_to / part["name"])
    except BorgError as exc:
        raise RestoreRefused(exc.message) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _replace_live(cfg: BackupConfig, metadata: dict, work: Path, stamp: str,
                  result: RestoreResult, live_checkpoint_dir: Path | None) -> None:
    live = cfg.manifest.database_url
    if is_sqlite(live):
        staged_url = f"sqlite:///{sqlite_path(live).with_name(sqlite_path(live).name + '.restoring')}"
        drop_database(staged_url)
        restore_database(work, metadata, staged_url)
        old = sqlite_path(live)
        if old.exists():
            old.rename(old.with_name(f"{old.name}.before-restore-{stamp}"))
        sqlite_path(staged_url).rename(old)
    else:
        name = _name(live)
        staged_url = _with_database(live, f"{name}_restoring")
        drop_database(staged_url)
        restore_database(work, metadata, staged_url)
        admin = _with_database(live, "postgres")
        busy = _psql(admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            f"'{_literal(name)}' AND pid <> pg_backend_pid()").strip()
        if busy not in ("", "0"):
            drop_database(staged_url)
            raise RestoreRefused(f"к базе {name} подключены ({busy}): остановите службу "
                                 "(systemctl stop ezh) и повторите. Живая база не тронута.")
        if database_exists(live):
            _psql(admin, f'ALTER DATABASE "{name}" RENAME TO "{name}_before_restore_{stamp.lower()}"')
        _psql(admin, f'ALTER DATABASE "{name}_restoring" RENAME TO "{name}"')
    result.notes.append("прежняя база сохранена рядом с пометкой before-restore")
    restored_audit_rows = metadata["database"]["row_counts"].get(AUDIT_TABLE, 0)
    for part in metadata["folders"]:
        folder = next((f for f in cfg.manifest.folders if f.name == part["name"]), None)
        source = work / part["stored"]
        if folder is None or not part["present"] or not source.exists():
            continue
        if part["name"] == "checkpoints":
            # Merged, not swapped: the archive's checkpoints come back, the newer ones the
            # restored chain cannot match are set aside (still evidence, never deleted).
            target = live_checkpoint_dir or folder.path
            target.mkdir(parents=True, exist_ok=True)
            for item in source.iterdir():
                if not (target / item.name).exists():
                    shutil.copy2(item, target / item.name)
            result.set_aside = set_aside_newer_checkpoints(target, restored_audit_rows)
            result.folders["checkpoints"] = str(target)
            continue
        if folder.path.exists():
            folder.path.rename(folder.path.with_name(f"{folder.path.name}.before-restore-{stamp}"))
        folder.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), folder.path)
        result.folders[part["name"]] = str(folder.path)


def set_aside_newer_checkpoints(directory: Path, audit_rows: int,
                                today: datetime | None = None) -> list[str]:
    """Move checkpoints that count more audit rows than the restored chain holds into
    ``<directory>/set-aside-YYYY-MM-DD/`` (with their signatures); return the moved names."""
    day = (today or datetime.now(UTC)).strftime("%Y-%m-%d")
    moved = []
    for path in sorted(directory.glob("checkpoint-*.txt")):
        match = CHECKPOINT_FILE.match(path.name)
        if not match or int(match[1]) <= audit_rows:
            continue
        aside = directory / f"set-aside-{day}"
        aside.mkdir(exist_ok=True)
        for item in (path, path.with_suffix(".txt.sig")):
            if item.exists():
                item.rename(aside / item.name)
        moved.append(path.name)
    return moved
