"""The nightly maintenance window (R-OPS-3, issue 13 item 8): `ezh maintenance run`.

One run at a time (a lock the kernel drops when the process dies); the service goes read-only
(service/web/middleware.py: writes answer a Russian 503 page, reads work); the steps run in
order, each only if its expected duration still fits before the deadline (06:00); every step's
outcome and duration is recorded in the run record (backups.state, kind "maintenance"); the
service returns to normal whatever happened (finally).

The steps are given to :func:`run_maintenance` as callables, so the order and the deadline are
tested with small real steps and a fake clock; :func:`default_steps` makes the real ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import inspect
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backups.state import RunRecord, last_run, record_run, runs
from service import locks
from service.ops import rules
from service.web.middleware import clear_maintenance, set_maintenance

LOCK_FILE = "maintenance.lock"
KIND = "maintenance"

# Step statuses as recorded; the run is ok when every step is ok, not due or not available.
OK, FAILED, SKIPPED, NOT_DUE, UNAVAILABLE = "ok", "failed", "skipped", "not_due", "unavailable"
STATUS_RU = {OK: "выполнен", FAILED: "сбой", SKIPPED: "пропущен: не успевал до конца окна",
             NOT_DUE: "не нужен сегодня", UNAVAILABLE: "недоступен"}


class AlreadyRunning(Exception):
    """Another `ezh maintenance run` holds the lock."""


@dataclass(frozen=True)
class StepOutcome:
    ok: bool
    message: str = ""
    status: str = ""  # OK/FAILED by default; UNAVAILABLE for a step that has nothing to do yet
    details: dict = field(default_factory=dict)


StepResult = StepOutcome | None
StepRun = Callable[[], StepResult | Awaitable[StepResult]]


@dataclass(frozen=True)
class Step:
    code: str  # "backup", "drill", "vacuum", "audit", "archive"
    title: str  # Russian, for the report
    run: StepRun
    default_seconds: float  # expected duration before any run was recorded
    due: Callable[[], bool] | None = None  # None: every night


@contextlib.contextmanager
def maintenance_lock(var_dir: Path) -> Iterator[None]:
    """Held for the whole run; a second run at once is refused (flock: released by the kernel
    if the holder dies, so no stale lock survives a crash)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(var_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(
                "регламентные работы уже идут (ezh maintenance run запущен в другом процессе); "
                "второй запуск отменён, ничего не изменено") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def is_running(var_dir: Path) -> bool:
    """Whether a run holds the lock."""
    return locks.held(var_dir / LOCK_FILE)


def expected_seconds(state_dir: Path, step: Step) -> float:
    """How long ``step`` took the last time it succeeded in a maintenance run; the last run of
    the same kind recorded by backups/ (a backup or drill started by hand); else the default."""
    for run in reversed(runs(state_dir)):
        if run.kind != KIND:
            continue
        for s in run.details.get("steps", []):
            if s.get("code") == step.code and s.get("status") == OK:
                return float(s.get("seconds", step.default_seconds))
    if step.code in ("backup", "drill") and (done := last_run(state_dir, step.code, ok=True)):
        return done.seconds
    return step.default_seconds


async def _call(step: Step) -> StepOutcome:
    result = step.run()
    if inspect.isawaitable(result):
        result = await result
    return result if isinstance(result, StepOutcome) else StepOutcome(True)


async def run_maintenance(var_dir: Path, state_dir: Path, steps: list[Step], deadline: datetime,
                          *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                          out: Callable[[str], None] = print) -> RunRecord:
    """Run ``steps`` in order under the lock, in maintenance mode, until ``deadline``; record
    and return the run. Raises AlreadyRunning (and changes nothing) if a run is in progress."""
    with maintenance_lock(var_dir):
        started = clock()
        done: list[dict] = []
        set_maintenance(deadline, var_dir)
        try:
            for step in steps:
                done.append(await _one_step(state_dir, step, deadline, clock, out))
        finally:
            clear_maintenance(var_dir)
        finished = clock()
        ok = all(s["status"] in (OK, NOT_DUE, UNAVAILABLE) for s in done)
        bad = [s for s in done if s["status"] in (FAILED, SKIPPED)]
        message = ("регламентные работы выполнены" if ok else
                   "регламентные работы с замечаниями: " +
                   "; ".join(f"{s['title']} — {STATUS_RU[s['status']]}" for s in bad))
        run = RunRecord(kind=KIND, started_at=started, finished_at=finished, ok=ok,
                        message=message, details={"steps": done,
                                                  "deadline": deadline.isoformat()})
        record_run(state_dir, run)
        return run


async def _one_step(state_dir: Path, step: Step, deadline: datetime,
                    clock: Callable[[], datetime], out: Callable[[str], None]) -> dict:
    entry = {"code": step.code, "title": step.title, "seconds": 0.0, "message": ""}
    if step.due is not None and not step.due():
        out(f"  {step.title}: не нужен сегодня")
        return {**entry, "status": NOT_DUE}
    expected = expected_seconds(state_dir, step)
    now = clock()
    if not rules.step_fits(now, deadline, timedelta(seconds=expected)):
        left = max(0, int((deadline - now).total_seconds() // 60))
        text = (f"пропущен: ожидается {_minutes(expected)}, до конца окна осталось {left} мин")
        out(f"  {step.title}: {text}")
        return {**entry, "status": SKIPPED, "message": text, "expected_seconds": expected}
    out(f"  {step.title}…")
    began, wall = clock(), time.monotonic()
    try:
        outcome = await _call(step)
    except Exception as exc:  # noqa: BLE001 - a failed step is reported; the next ones still run
        outcome = StepOutcome(False, f"{type(exc).__name__}: {exc}")
    # The fake clock of the tests moves only when a step moves it; the real one always does.
    seconds = max((clock() - began).total_seconds(), 0.0) or round(time.monotonic() - wall, 3)
    status = outcome.status or (OK if outcome.ok else FAILED)
    out(f"  {step.title}: {STATUS_RU[status]}" + (f" — {outcome.message}" if outcome.message else "")
        + f" ({seconds:.1f} с)")
    return {**entry, "status": status, "seconds": round(seconds, 3), "message": outcome.message,
            "expected_seconds": expected, **({"details": outcome.details} if outcome.details else {})}


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} мин"


# --- the real steps ---------------------------------------------------------------------------


def ezh_command(*args: str, timeout: float, env: dict | None = None,
                state_dir: Path | None = None, kind: str = "") -> StepOutcome:
    """A step that is another `ezh` command (backup, drill): run as a child process so that it
    records its own result (backups.state) and a crash in it cannot take the window down; killed
    at the deadline. Its message is the one it recorded (``kind`` in ``state_dir``), else its
    last line of output."""
    began = datetime.now(UTC)
    try:
        done = subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True,
                              text=True, timeout=max(timeout, 1), env=env)
    except subprocess.TimeoutExpired:
        return StepOutcome(False, "остановлен: не закончился до конца окна")
    lines = [line for line in (done.stdout + "\n" + done.stderr).splitlines() if line.strip()]
    text = lines[-1].strip() if lines else ""
    details = {}
    recorded = last_run(state_dir, kind) if state_dir is not None and kind else None
    if recorded is not None and recorded.started_at >= began - timedelta(seconds=1):
        text = recorded.message or text
        details = {"archive": recorded.archive, "size_bytes": recorded.size_bytes}
    if done.returncode != 0:
        return StepOutcome(False, text or f"ezh {' '.join(args)}: код {done.returncode}",
                           details=details)
    return StepOutcome(True, text, details=details)


async def vacuum_analyze() -> StepOutcome:
    """VACUUM and ANALYZE: PostgreSQL reclaims dead rows and refreshes the planner's
    statistics; SQLite rebuilds the file and gathers statistics. Neither may run inside a
    transaction, so no atomic() here."""
    from service import db

    engine = db.engine()
    if db.is_postgres():
        await engine.run_ddl("VACUUM (ANALYZE)")
    else:
        await engine.run_ddl("VACUUM")
        await engine.run_ddl("ANALYZE")
    return StepOutcome(True, "статистика обновлена")


async def verify_audit(checkpoint_dir: Path, key_dir: Path) -> StepOutcome:
    from service.audit.checkpoint import (
        PUBLIC_NAME,
        CheckpointError,
        latest_checkpoints,
        load_public_key,
        read_checkpoint,
    )
    from service.audit.verify import verify_chain

    checkpoints = []
    paths = latest_checkpoints(checkpoint_dir)
    if paths:
        try:
            public = load_public_key(key_dir / PUBLIC_NAME)
            checkpoints = [read_checkpoint(p, public) for p in paths]
        except CheckpointError as exc:
            return StepOutcome(False, f"контрольная точка: {exc}")
    result = await verify_chain(checkpoints)
    if not result.ok:
        return StepOutcome(False, f"НАРУШЕНИЕ: {result.problem.message}")
    return StepOutcome(True, f"цепочка цела, записей {result.count}",
                       details={"count": result.count})


def verify_archive(packages_dir: Path, seal_dir: Path | None = None) -> StepOutcome:
    """Every sealed year package under the archive folder, checked in full (files, manifests,
    the CMS seal) by the same standard-library checker each package carries; a package sealed
    by a CA the school does not hold (``seal_dir``'s trust roots) fails too. No packages yet:
    said, not pretended."""
    from archive import package_verify

    folders = sorted(p.parent for p in packages_dir.glob("**/bagit.txt")
                     if not any(part.startswith(".") for part in p.relative_to(packages_dir).parts))
    if not folders:
        return StepOutcome(True, "запечатанных учебных лет ещё нет: проверять нечего", status=UNAVAILABLE)
    known = _school_cas(seal_dir)
    bad = []
    for folder in folders:
        verdict = package_verify.verify_package(folder)
        if not verdict.ok:
            bad.append(f"{folder.name}: {verdict.problems[0]}")
        elif known is not None and verdict.ca_fingerprint not in known:
            bad.append(f"{folder.name}: заверен не корневым сертификатом школы")
    if bad:
        return StepOutcome(False, f"не прошли проверку {len(bad)} из {len(folders)}: " + "; ".join(bad[:5]))
    return StepOutcome(True, f"пакетов проверено: {len(folders)}, все целы", details={"packages": len(folders)})


def _school_cas(seal_dir: Path | None) -> set[str] | None:
    """Fingerprints of the school's CA certificates (as the packages write them), or None
    when there is no seal to compare with."""
    if seal_dir is None:
        return None
    from cryptography.hazmat.primitives.serialization import Encoding

    from archive import keys, package_verify

    try:
        return {package_verify.fingerprint(c.public_bytes(Encoding.DER)) for c in keys.trust_roots(seal_dir)}
    except keys.KeyStoreError:
        return None


def default_steps(settings, deadline: datetime, now: datetime) -> list[Step]:
    state_dir = settings.backup_path("state_dir")
    tz = settings.tz

    def left() -> float:
        return (deadline - datetime.now(UTC)).total_seconds()

    def drill_due() -> bool:
        last_ok = last_run(state_dir, "drill", ok=True)
        return rules.drill_due(now.astimezone(tz), last_ok.finished_at if last_ok else None,
                               settings.maintenance.drill_weekday)

    return [
        Step("backup", "Резервная копия",
             lambda: ezh_command("backup", "run", timeout=left(), state_dir=state_dir,
                                 kind="backup"), default_seconds=20 * 60),
        Step("drill", "Проверка восстановления",
             lambda: ezh_command("backup", "drill", timeout=left(), state_dir=state_dir,
                                 kind="drill"), default_seconds=40 * 60, due=drill_due),
        Step("vacuum", "Обслуживание базы (VACUUM, ANALYZE)", vacuum_analyze,
             default_seconds=10 * 60),
        Step("audit", "Проверка цепочки журнала аудита",
             lambda: verify_audit(settings.checkpoint_dir, settings.key_dir),
             default_seconds=5 * 60),
        Step("archive", "Проверка архива",
             lambda: verify_archive(settings.backup_path("packages_dir"), settings.key_dir / "school"),
             default_seconds=60),
    ]
