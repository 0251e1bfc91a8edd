"""``ezh check``: each part of the installation, OK or what is wrong and what to do."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

from service import db
from service.settings import Settings

MIN_FREE_BYTES = 2 * 1024**3


async def run_checks(settings: Settings) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True

    def report(good: bool, what: str, text: str) -> None:
        nonlocal ok
        ok = ok and good
        lines.append(f"{'OK  ' if good else 'СБОЙ'}  {what}: {text}")

    try:
        await db.ping()
        report(True, "база данных", db.describe_url(settings.database.url))
        database_up = True
    except db.DatabaseUnavailable as exc:
        report(False, "база данных", str(exc))
        database_up = False

    if database_up:
        state = await db.migration_state()
        if state.unknown:
            report(False, "миграции", "в базе есть миграции новее этой версии ezh: установите ту "
                                      "версию, что работала с базой")
        elif state.pending:
            report(False, "миграции", f"не применено {len(state.pending)}: выполните ezh migrate")
        else:
            report(True, "миграции", f"применены все ({len(state.applied)})")
        if not state.pending:
            await _check_audit(settings, report)

    _check_key(settings, report)
    _check_disk(settings, report)
    _check_clock(settings, report)
    return lines, ok


async def _check_audit(settings, report) -> None:
    from service.audit.checkpoint import (
        PUBLIC_NAME,
        CheckpointError,
        latest_checkpoints,
        load_public_key,
        read_checkpoint,
    )
    from service.audit.verify import verify_chain

    paths = latest_checkpoints(settings.checkpoint_dir)
    checkpoints = []
    if paths:
        try:
            public = load_public_key(settings.key_dir / PUBLIC_NAME)
            checkpoints = [read_checkpoint(paths[-1], public)]
        except CheckpointError as exc:
            report(False, "журнал аудита", str(exc))
            return
    result = await verify_chain(checkpoints)
    if not result.ok:
        report(False, "журнал аудита", f"{result.problem.message}. Сообщите ответственному за "
                                       "безопасность; восстановите базу из резервной копии")
    elif checkpoints:
        report(True, "журнал аудита", f"цепочка цела ({result.count} записей), "
                                      f"{result.checkpoint_notes[-1]}")
    else:
        report(True, "журнал аудита", f"цепочка цела ({result.count} записей); контрольных точек "
                                      "ещё нет — ezh audit checkpoint")


def _check_key(settings, report) -> None:
    from service.audit.checkpoint import PRIVATE_NAME, CheckpointError, load_private_key

    path = settings.key_dir / PRIVATE_NAME
    if not path.exists():
        from service.audit.checkpoint import PUBLIC_NAME

        if (settings.key_dir / PUBLIC_NAME).exists():
            report(False, "ключ установки", f"{path} пропал (открытый ключ на месте): восстановите "
                                            "его из резервной копии")
        else:
            report(False, "ключ установки", f"{path} нет: он создаётся при ezh migrate или ezh serve")
        return
    try:
        load_private_key(settings.key_dir)  # readable by the user this check runs as
    except CheckpointError as exc:
        report(False, "ключ установки", f"{exc}: запускайте ezh от имени пользователя службы")
        return
    if path.stat().st_mode & 0o077:
        report(False, "ключ установки", f"{path} доступен не только владельцу: chmod 600 {path}")
    else:
        report(True, "ключ установки", str(path))


def _check_disk(settings, report) -> None:
    target = settings.paths.var_dir if settings.paths.var_dir.exists() else settings.paths.var_dir.parent
    usage = shutil.disk_usage(target)
    free_gb = usage.free / 1024**3
    if usage.free < MIN_FREE_BYTES:
        report(False, "диск", f"свободно {free_gb:.1f} ГБ в {target}: нужно не меньше 2 ГБ — "
                              "очистите место или расширьте диск")
    else:
        report(True, "диск", f"свободно {free_gb:.1f} ГБ в {target}")


def _check_clock(settings, report) -> None:
    tz = ZoneInfo(settings.school.timezone)
    local = datetime.now(tz)
    text = f"{local:%d.%m.%Y %H:%M} ({settings.school.timezone})"
    synced = _ntp_synchronized()
    if synced is False:
        report(False, "часы", text + ": время не синхронизировано (timedatectl set-ntp true)")
    elif synced is None:
        report(True, "часы", text + "; синхронизацию проверить не удалось (нет timedatectl)")
    else:
        report(True, "часы", text + ", синхронизированы")


def _ntp_synchronized() -> bool | None:
    if shutil.which("timedatectl") is None:
        return None
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() == "yes"
