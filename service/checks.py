"""``ezh check``: each part of the installation, OK or what is wrong and what to do."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from service import db
from service.settings import Settings

MIN_FREE_BYTES = 2 * 1024**3

# A check of the data that a module above this one knows how to make (the demo school's public
# password lives in service.demo, which checks may not import): it calls report() itself.
DataCheck = Callable[[Callable[[bool | None, str, str], None]], Awaitable[None]]


async def run_checks(settings: Settings,
                     data_checks: Sequence[DataCheck] = ()) -> tuple[list[str], bool]:
    """Every check, in order; ``data_checks`` run once the database is up and its schema known."""
    lines: list[str] = []
    ok = True

    def report(good: bool | None, what: str, text: str) -> None:
        """``good=None`` is «ВНИМ»: worth a look, or not checkable here; it fails nothing."""
        nonlocal ok
        ok = ok and good is not False
        status = "ВНИМ" if good is None else "OK  " if good else "СБОЙ"
        lines.append(f"{status}  {what}: {text}")

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
            for check in data_checks:
                await check(report)

    _check_key(settings, report)
    _check_seal(settings, report)
    _check_archive(settings, report)
    _check_backups(settings, report)
    _check_disk(settings, report)
    _check_pdf_libraries(report)
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
    from service.audit.verify import checkpoint_age_warning, verify_chain
    from service.text import count

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
        return
    text = f"цепочка цела ({count(result.count, 'запись', 'записи', 'записей')})"
    if checkpoints:
        text += f", {result.checkpoint_notes[-1]}"
    # A stale or missing checkpoint is ВНИМ, not СБОЙ: a demo or a trial has no timer, and a
    # check that fails forever teaches people to ignore СБОЙ (docs/admin-guide.md, section 13).
    warning = checkpoint_age_warning(checkpoints, settings.security.checkpoint_max_age_hours)
    report(None if warning else True, "журнал аудита", f"{text}; {warning}" if warning else text)


def _check_key(settings, report) -> None:
    """Looks at the private key without reading it: on the appliance it belongs to root while
    `ezh check` runs as the service's account. Whether it still signs shows in the age of the
    newest checkpoint (the audit line); here, that it exists, is private, and that its public
    half is readable to every verifier."""
    from service.audit.checkpoint import (
        PRIVATE_NAME,
        PUBLIC_NAME,
        CheckpointError,
        fingerprint,
        load_public_key,
    )

    path, public = settings.key_dir / PRIVATE_NAME, settings.key_dir / PUBLIC_NAME
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if public.exists():
            report(False, "ключ установки", f"{path} пропал (открытый ключ на месте): восстановите "
                                            "его из резервной копии")
        else:
            report(False, "ключ установки", f"{path} нет: он создаётся при ezh migrate или "
                                            "ezh audit checkpoint")
        return
    except OSError:
        mode = 0  # the directory is closed to this account: the public key below says so
    if mode & 0o077:
        report(False, "ключ установки", f"{path} доступен не только владельцу: chmod 600 {path}")
        return
    try:
        key = load_public_key(public)
    except CheckpointError as exc:
        report(False, "ключ установки", f"{exc}: открытый ключ нужен каждому, кто проверяет "
                                        f"журнал (chmod 644 {public}, chmod 755 {settings.key_dir})")
        return
    report(True, "ключ установки", f"{path}, отпечаток {fingerprint(key)}")


SEAL_WARN_DAYS = 60  # time enough to rotate the seal before its certificate runs out


def _check_seal(settings, report) -> None:
    """The school's seal (archive/keys.py): transcripts cannot be issued without it, and a
    certificate that runs out stops them; rotation keeps the old documents verifiable."""
    from archive import keys

    try:
        info = keys.describe(settings.key_dir / "school")
    except keys.KeyStoreError as exc:
        report(None, "электронная печать системы", f"{exc} — без неё выписки не выпускаются")
        return
    days = info.get("days_left")
    text = f"действует до {info.get('not_after')}, отпечаток корневого {info.get('ca_fingerprint', '')[:23]}…"
    if isinstance(days, int) and days < 0:
        report(False, "электронная печать системы", f"срок сертификата истёк: ezh keys rotate ({text})")
    elif isinstance(days, int) and days < SEAL_WARN_DAYS:
        report(None, "электронная печать системы", f"осталось дней: {days} — выполните ezh keys rotate ({text})")
    else:
        report(True, "электронная печать системы", text)


ARCHIVE_MAX_AGE_DAYS = 8  # the night's check of every sealed package: at least weekly, with slack


def _check_archive(settings, report, now: datetime | None = None) -> None:
    """The sealed year packages as the night's maintenance last checked them in full (issue 12
    item 9): a failed check is an alarm; none for over a week is a warning."""
    from datetime import UTC, timedelta

    from backups.state import last_step
    from service.records.commands import ARCHIVE_KIND

    packages = settings.backup_path("packages_dir")
    has_packages = any(packages.glob("**/bagit.txt")) if packages.exists() else False
    found = last_step(settings.backup_path("state_dir"), "archive", kinds=("maintenance", ARCHIVE_KIND))
    if found is None:
        if has_packages:
            report(None, "архив (запечатанные годы)", "ещё не проверялся регламентными работами: "
                                                     "ezh archive verify или ezh maintenance run")
        return
    run, step = found
    tz = ZoneInfo(settings.school.timezone)
    when = f"{run.finished_at.astimezone(tz):%d.%m.%Y %H:%M}"
    if step["status"] != "ok":
        report(False, "архив (запечатанные годы)", f"проверка {when} НЕ пройдена: {step.get('message', '')}. "
                                                  "Что делать: docs/guides/archivist.md, «Если пакет не прошёл проверку»")
    elif (now or datetime.now(UTC)) - run.finished_at > timedelta(days=ARCHIVE_MAX_AGE_DAYS):
        report(None, "архив (запечатанные годы)", f"последняя проверка {when} — старше "
                                                 f"{ARCHIVE_MAX_AGE_DAYS} дней: идут ли регламентные работы?")
    else:
        report(True, "архив (запечатанные годы)", f"{step.get('message', '')} ({when})")


BACKUP_MAX_AGE_HOURS = 26  # a nightly backup, plus the window's length and some slack


def _check_backups(settings, report, now: datetime | None = None) -> None:
    """The last successful backup and the last drill, from the run record backups/ keeps."""
    from datetime import UTC, timedelta

    from backups.state import last_run

    state_dir = settings.backup_path("state_dir")
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.school.timezone)
    good = last_run(state_dir, "backup", ok=True)
    last = last_run(state_dir, "backup")
    if good is None:
        report(None if last is None else False, "резервная копия",
               "ни одной ещё не сделано: ezh backup init, затем ezh backup run" if last is None
               else f"ни одной удачной; последняя попытка: {last.message}")
    elif now - good.finished_at > timedelta(hours=BACKUP_MAX_AGE_HOURS):
        report(False, "резервная копия",
               f"последняя удачная {good.finished_at.astimezone(tz):%d.%m.%Y %H:%M} — старше "
               f"{BACKUP_MAX_AGE_HOURS} ч" + (f"; последняя попытка: {last.message}"
                                              if last is not None and not last.ok else
                                              ": проверьте таймер копий"))
    else:
        text = f"{good.finished_at.astimezone(tz):%d.%m.%Y %H:%M}, {good.archive}"
        if last is not None and not last.ok:
            report(None, "резервная копия", f"{text}; но последняя попытка не удалась: {last.message}")
        else:
            report(True, "резервная копия", text)
    drill = last_run(state_dir, "drill")
    if drill is None:
        report(None, "проверка восстановления", "ещё не проводилась: ezh backup drill")
    elif not drill.ok:
        report(False, "проверка восстановления",
               f"{drill.started_at.astimezone(tz):%d.%m.%Y %H:%M} НЕ пройдена: {drill.message} "
               "Что делать: docs/backups.md, «Если проверка восстановления не прошла»")
    else:
        report(True, "проверка восстановления",
               f"пройдена {drill.started_at.astimezone(tz):%d.%m.%Y %H:%M} ({drill.archive})")


def _check_disk(settings, report) -> None:
    target = settings.paths.var_dir if settings.paths.var_dir.exists() else settings.paths.var_dir.parent
    usage = shutil.disk_usage(target)
    free_gb = usage.free / 1024**3
    if usage.free < MIN_FREE_BYTES:
        report(False, "диск", f"свободно {free_gb:.1f} ГБ в {target}: нужно не меньше 2 ГБ — "
                              "очистите место или расширьте диск")
    else:
        report(True, "диск", f"свободно {free_gb:.1f} ГБ в {target}")


# Debian libraries WeasyPrint loads when it prints (transcripts, the archive, invitation sheets):
# (library name as the linker knows it, Debian package). Pango is required; HarfBuzz's subsetter
# is optional to WeasyPrint, which falls back to fontTools — measured 2.5× slower per transcript.
PDF_REQUIRED = (("pango-1.0", "libpango-1.0-0"), ("pangoft2-1.0", "libpangoft2-1.0-0"))
PDF_FAST = ("harfbuzz-subset", "libharfbuzz-subset0")


def _check_pdf_libraries(report, find: Callable[[str], str | None] | None = None) -> None:
    """Pango (printing at all) and HarfBuzz's font subsetter (printing at full speed)."""
    import ctypes.util

    find = find or ctypes.util.find_library
    missing = [package for library, package in PDF_REQUIRED if not find(library)]
    if missing:
        report(False, "печать PDF", f"нет библиотек {', '.join(missing)}: табели, архив и листы "
                                    f"приглашений не печатаются — apt install {' '.join(missing)}")
    elif not find(PDF_FAST[0]):
        report(None, "печать PDF", f"нет {PDF_FAST[1]}: документы печатаются в 2–3 раза "
                                   f"медленнее (шрифты подбираются без HarfBuzz) — "
                                   f"apt install {PDF_FAST[1]}")
    else:
        report(True, "печать PDF", "Pango и HarfBuzz на месте")


def _check_clock(settings, report) -> None:
    tz = ZoneInfo(settings.school.timezone)
    local = datetime.now(tz)
    text = f"{local:%d.%m.%Y %H:%M} ({settings.school.timezone})"
    synced = _ntp_synchronized()
    if synced is False:
        report(False, "часы", text + ": время не синхронизировано (timedatectl set-ntp true)")
    elif synced is True:
        report(True, "часы", text + ", синхронизированы")
    else:  # not knowing is not the same as fine: a wrong clock misdates every audit row
        report(None, "часы", f"{text}; синхронизация: не проверено ({synced}) — проверьте "
                             "вручную (timedatectl или chronyc tracking)")


def _ntp_synchronized() -> bool | str:
    """True or False from systemd; otherwise why it could not be asked, in Russian."""
    if shutil.which("timedatectl") is None:
        return "нет timedatectl"
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                             capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return "timedatectl не ответил за 5 секунд"
    except OSError:
        return "timedatectl не запускается"
    if out.returncode != 0:
        return "timedatectl не ответил: работает ли systemd?"
    return out.stdout.strip() == "yes"
