"""Copies onto removable disks: each disk holds a borg repository of its own (never a copied
repository: a copy would carry the same damage and the same nonces), encrypted the same way
with the same passphrase, and is checked with ``borg check --verify-data`` at every swap."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from backups.borg import BorgError, Repository
from backups.run import BackupConfig, run_backup
from backups.state import RunRecord, record_run

DISK_FOLDER = "ezh-backup"


class ExportRefused(Exception):
    """The disk cannot take a copy; nothing was written. Russian message."""


def mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def check_disk(target: Path) -> Path:
    """The folder on a mounted disk other than the system's own; else a Russian refusal."""
    if not target.exists():
        raise ExportRefused(f"{target} нет: диск не подключён (или не смонтирован). Подключите "
                            "диск, дождитесь, пока он появится в /media, и повторите. "
                            "Ничего не записано.")
    if not target.is_dir():
        raise ExportRefused(f"{target} — не каталог. Ничего не записано.")
    mount = mount_point(target)
    if mount == Path("/") or os.stat(target).st_dev == os.stat("/").st_dev:
        raise ExportRefused(f"{target} лежит на системном диске, а не на подключённом: копия "
                            "там пропадёт вместе с сервером. Укажите каталог съёмного диска "
                            "(например, /media/usb1). Ничего не записано.")
    if not os.access(target, os.W_OK):
        raise ExportRefused(f"диск {mount} подключён только для чтения. Ничего не записано.")
    return mount


def export_to(cfg: BackupConfig, target: Path) -> RunRecord:
    """A backup into the disk's own repository (created on first use), pruned like the main
    one, then fully verified. Recorded as kind "export"."""
    started = datetime.now(UTC)
    check_disk(target)
    disk_repo = Repository(target / DISK_FOLDER, cfg.repository.passphrase_file, cfg.state_dir,
                           relocatable=True)
    disk_cfg = replace(cfg, repository=disk_repo)
    details: dict = {"disk": str(target)}
    try:
        if not disk_repo.exists():
            disk_repo.init()
            details["initialised"] = True
    except BorgError as exc:
        run = RunRecord("export", started, datetime.now(UTC), False, exc.message, details=details)
        record_run(cfg.state_dir, run)
        return run
    backup = run_backup(disk_cfg, reason=f"копия на диск {target}", record=False)
    if not backup.ok:
        run = RunRecord("export", started, datetime.now(UTC), False, backup.message,
                        backup.archive, details=details)
        record_run(cfg.state_dir, run)
        return run
    try:
        disk_repo.check(verify_data=True)
        ok, message = True, (f"Копия на диск {target} сделана ({backup.archive}) и проверена "
                             "полностью (borg check --verify-data).")
    except BorgError as exc:
        ok, message = False, f"копия записана, но проверка диска нашла ошибки: {exc.message}"
    usage = shutil.disk_usage(target)
    details["free_bytes"] = usage.free
    details["archives"] = len(disk_repo.archives())
    run = RunRecord("export", started, datetime.now(UTC), ok, message, backup.archive,
                    backup.size_bytes, details)
    record_run(cfg.state_dir, run)
    return run
