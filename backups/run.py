"""A backup run: dump → ``borg create`` → prune → ``borg compact``, plus the weekly
``borg check`` (monthly with ``--verify-data``); and the light hourly database dump.

Every run, good or bad, is recorded in ``state.py``'s run record with its size, duration and
the row counts per table that the drill later compares against.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backups.borg import BorgError, Repository
from backups.manifest import DumpError, Manifest, stage
from backups.state import RunRecord, last_run, record_run

FULL_PREFIX = "ezh-full-"
DUMP_PREFIX = "ezh-dump-"
CHECK_EVERY = timedelta(days=7)
VERIFY_DATA_EVERY = timedelta(days=30)
DUMPS_KEPT_WITHIN = "2d"  # hourly dumps bridge the gap between nightly archives only


@dataclass(frozen=True)
class Retention:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    yearly: int = 25  # sealed years are kept 25 years; a yearly archive for each of them

    def rules(self) -> dict[str, int | str]:
        return {"daily": self.daily, "weekly": self.weekly, "monthly": self.monthly,
                "yearly": self.yearly}


@dataclass(frozen=True)
class BackupConfig:
    repository: Repository
    manifest: Manifest
    state_dir: Path
    retention: Retention = field(default_factory=Retention)

    @property
    def staging(self) -> Path:
        return self.state_dir / f"staging-{os.getpid()}"


def archive_name(prefix: str, now: datetime) -> str:
    return prefix + now.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def init_repository(repo: Repository) -> list[str]:
    """Create the passphrase file (root-only) if missing, then the repository; say what was
    done. Nothing is overwritten: an existing passphrase or repository is kept as it is."""
    said = []
    if not repo.passphrase_file.exists():
        parent = repo.passphrase_file.parent
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700)
        fd = os.open(repo.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
        said.append(f"Пароль резервных копий создан: {repo.passphrase_file} (только для root). "
                    "Перепишите его на бумагу и уберите в сейф вместе с бумажным ключом "
                    "(ezh backup key-export).")
    if repo.exists():
        said.append(f"Хранилище {repo.path} уже есть — оставлено как есть.")
    else:
        repo.init()
        said.append(f"Хранилище создано: {repo.path} (шифрование repokey-blake2).")
    return said


def run_backup(cfg: BackupConfig, *, database_only: bool = False, reason: str = "",
               record: bool = True) -> RunRecord:
    """One backup run, recorded. Never raises for what an administrator must fix: the record
    says it (ok=False, a Russian message) and the caller prints it. ``record=False``: the
    caller records the run under its own kind (a copy onto a removable disk)."""
    kind = "dump" if database_only else "backup"
    started = datetime.now(UTC)
    name = archive_name(DUMP_PREFIX if database_only else FULL_PREFIX, started)
    steps: dict[str, float] = {}
    details: dict = {"steps": steps}
    if reason:
        details["reason"] = reason

    def done(ok: bool, message: str, size: int = 0, archive: str = "") -> RunRecord:
        run = RunRecord(kind, started, datetime.now(UTC), ok, message, archive, size, details)
        if record:
            record_run(cfg.state_dir, run)
        return run

    staging = cfg.staging
    try:
        t = time.monotonic()
        staged = stage(cfg.manifest, staging, kind=kind, database_only=database_only)
        steps["dump"] = round(time.monotonic() - t, 3)
        details["row_counts"] = staged.metadata["database"]["row_counts"]
        details["migrations"] = len(staged.metadata["database"]["migrations"])
        details["notes"] = staged.metadata["notes"]
        t = time.monotonic()
        created = cfg.repository.create(name, staged.paths, cwd=staging, excludes=staged.excludes)
        steps["create"] = round(time.monotonic() - t, 3)
        stats = created.get("archive", {}).get("stats", {})
        details["original_size"] = stats.get("original_size", 0)
        size = int(stats.get("deduplicated_size", 0))
        t = time.monotonic()
        if database_only:
            cfg.repository.prune(DUMP_PREFIX + "*", {"within": DUMPS_KEPT_WITHIN})  # type: ignore[dict-item]
        else:
            cfg.repository.prune(FULL_PREFIX + "*", cfg.retention.rules())  # type: ignore[arg-type]
        cfg.repository.compact()  # prune alone frees no space
        steps["prune"] = round(time.monotonic() - t, 3)
    except (BorgError, DumpError) as exc:
        return done(False, str(exc).rstrip(".") + ".", archive=name)
    except OSError as exc:
        if exc.errno == 28:
            return done(False, "кончилось место на диске при подготовке копии: копия не сделана, "
                               "прежние архивы целы.", archive=name)
        return done(False, f"ошибка при подготовке копии: {exc}", archive=name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    what = "Дамп базы {} сделан" if database_only else "Резервная копия {} сделана"
    message = (what.format(name) + f": добавлено {_size(size)} (после сжатия и дедупликации).")
    run = done(True, message, size, name)
    if record and not database_only:
        periodic_check(cfg)
    return run


def periodic_check(cfg: BackupConfig, *, now: datetime | None = None,
                   force_verify: bool = False) -> RunRecord | None:
    """``borg check`` when the last is a week old, with ``--verify-data`` (reads and decrypts
    every chunk) when the last such is a month old; recorded as kind "check"."""
    now = now or datetime.now(UTC)
    last = last_run(cfg.state_dir, "check")
    last_verify = next((r for r in reversed(_runs_of(cfg.state_dir, "check"))
                        if r.details.get("verify_data")), None)
    verify = force_verify or last_verify is None or now - last_verify.started_at >= VERIFY_DATA_EVERY
    if not verify and last is not None and now - last.started_at < CHECK_EVERY:
        return None
    started = datetime.now(UTC)
    try:
        cfg.repository.check(verify_data=verify)
        ok, message = True, ("Хранилище проверено полностью (--verify-data): повреждений нет."
                             if verify else "Хранилище проверено: повреждений нет.")
    except BorgError as exc:
        ok, message = False, exc.message
    run = RunRecord("check", started, datetime.now(UTC), ok, message,
                    details={"verify_data": verify, "repository": str(cfg.repository.path)})
    record_run(cfg.state_dir, run)
    return run


def _runs_of(state_dir: Path, kind: str) -> list[RunRecord]:
    from backups.state import runs

    return [r for r in runs(state_dir) if r.kind == kind]


def _size(n: int) -> str:
    for unit in ("байт", "КБ", "МБ", "ГБ"):
        if n < 1024 or unit == "ГБ":
            return f"{n:.0f} {unit}" if unit == "байт" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)
