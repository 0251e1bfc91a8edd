"""The restore drill: prove the newest backup by restoring it somewhere else and using it.

Steps (each timed): the repository's own check (finds damaged and missing segment files), the
archive extracted, its database restored into a scratch database, migrations all known, row
counts per table equal to those recorded at backup time, the audit chain verified against the
newest signed checkpoint in the archive (``ezh audit verify`` run against the scratch
database), ``ezh serve`` started on a free local port with /healthz and /login fetched. PASS
or FAIL is recorded and an «Акт проверки восстановления» is written for the school's records.

The ezh command comes from the caller (``backups/`` imports nothing from ``service/``).
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from backups.borg import BorgError
from backups.restore import (
    RestoreRefused,
    check_compatible,
    database_contents,
    drop_database,
    latest_archive,
    read_metadata,
    restore_database,
    with_database,
)
from backups.run import FULL_PREFIX, BackupConfig
from backups.state import RunRecord, record_run

SERVE_TIMEOUT = 90.0


@dataclass
class Step:
    name: str  # Russian
    ok: bool
    seconds: float
    text: str = ""


@dataclass
class DrillResult:
    record: RunRecord
    steps: list[Step] = field(default_factory=list)
    act_text: Path | None = None
    act_pdf: Path | None = None

    @property
    def ok(self) -> bool:
        return self.record.ok


class _Failed(Exception):
    pass


def run_drill(cfg: BackupConfig, *, ezh_command: Sequence[str], base_env: dict[str, str],
              known_migrations: set[tuple[str, str]], school: str = "",
              local_time: Callable[[datetime], datetime] = lambda t: t) -> DrillResult:
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    work = cfg.state_dir / f"drill-{stamp}"
    steps: list[Step] = []
    archive = ""
    counts: dict[str, int] = {}
    scratch_url = ""

    def step(name: str, action: Callable[[], str]) -> None:
        t = time.monotonic()
        try:
            text = action()
        except (BorgError, RestoreRefused) as exc:
            steps.append(Step(name, False, round(time.monotonic() - t, 2), str(exc)))
            raise _Failed from None
        except _StepFailed as exc:
            steps.append(Step(name, False, round(time.monotonic() - t, 2), str(exc)))
            raise _Failed from None
        steps.append(Step(name, True, round(time.monotonic() - t, 2), text))

    metadata: dict = {}

    def check_repository() -> str:
        cfg.repository.check()
        return "сегменты и архивы хранилища целы"

    def find_archive() -> str:
        nonlocal archive, metadata
        archive = latest_archive(cfg.repository, FULL_PREFIX)
        metadata = read_metadata(cfg.repository, archive)
        check_compatible(metadata, known_migrations)
        return archive

    def extract() -> str:
        cfg.repository.extract(archive, work / "files")
        return "архив распакован"

    def restore_db() -> str:
        nonlocal scratch_url
        live = cfg.manifest.database_url
        if metadata["database"]["engine"] == "sqlite":
            scratch_url = f"sqlite:///{work / 'drill.sqlite3'}"
        else:
            scratch_url = with_database(live, f"ezh_drill_{stamp.lower()}")
        restore_database(work / "files", metadata, scratch_url)
        return "база восстановлена во временную"

    def compare() -> str:
        nonlocal counts
        counts, migrations = database_contents(scratch_url)
        unknown = {(a, m) for a, m in migrations} - known_migrations
        if unknown:
            raise _StepFailed(f"в восстановленной базе неизвестные миграции: {sorted(unknown)[:3]}")
        if migrations != metadata["database"]["migrations"]:
            raise _StepFailed("список миграций восстановленной базы не совпадает с записанным")
        recorded = metadata["database"]["row_counts"]
        wrong = [f"{t}: {counts.get(t)} вместо {n}" for t, n in recorded.items()
                 if counts.get(t) != n]
        if wrong:
            raise _StepFailed("не совпадает число строк: " + "; ".join(wrong[:5]))
        return f"таблиц {len(counts)}, строк {sum(counts.values())}, как при копировании"

    env = {}

    def prepare_env() -> None:
        env.update(base_env)
        files = work / "files"
        parts = {p["name"]: p for p in metadata["folders"]}
        checkpoints = files / parts["checkpoints"]["stored"] if "checkpoints" in parts else None
        keys = files / parts["keys"]["stored"] if "keys" in parts else None
        empty = work / "none"
        empty.mkdir(exist_ok=True)
        env.update({
            "EZH_DATABASE_URL": scratch_url,
            "EZH_VAR_DIR": str(work / "var"),
            "EZH_CHECKPOINT_DIR": str(checkpoints if checkpoints and checkpoints.exists() else empty),
            "EZH_KEY_DIR": str(keys if keys and keys.exists() else empty),
        })

    def verify_audit() -> str:
        out = subprocess.run([*ezh_command, "audit", "verify"], env=env, capture_output=True,
                             text=True, timeout=600)
        text = (out.stdout + out.stderr).strip()
        if out.returncode != 0:
            raise _StepFailed(text or "ezh audit verify завершился с ошибкой")
        return " ".join(text.split())

    def packages() -> str:
        parts = {p["name"]: p for p in metadata["folders"]}
        part = parts.get("packages")
        if part is None or not part["present"]:
            return "архивных пакетов в копии нет"
        checked, problems = verify_packages(work / "files" / part["stored"])
        if problems:
            raise _StepFailed("; ".join(problems[:5]))
        return f"файлов в архивных пакетах проверено по SHA-256: {checked}"

    def migrate() -> str:
        # An archive from before an upgrade: the restored database is brought up to this
        # version as a real restore would be (`ezh migrate`), then checked like any other.
        out = subprocess.run([*ezh_command, "migrate"], env=env, capture_output=True, text=True,
                             timeout=600)
        if out.returncode != 0:
            raise _StepFailed((out.stdout + out.stderr).strip()[-400:] or "ezh migrate не удался")
        return " ".join(out.stdout.split())

    def serve() -> str:
        port = _free_port()
        proc = subprocess.Popen([*ezh_command, "serve", "--host", "127.0.0.1", "--port",
                                 str(port)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            health = _fetch(f"http://127.0.0.1:{port}/healthz", proc)
            login = _fetch(f"http://127.0.0.1:{port}/login", proc)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return f"/healthz → {health}, /login → {login}"

    try:
        step("проверка хранилища (borg check)", check_repository)
        step("выбор архива", find_archive)
        step("распаковка архива", extract)
        step("восстановление базы", restore_db)
        step("миграции и число строк", compare)
        prepare_env()
        pending = known_migrations - {(a, m) for a, m in metadata["database"]["migrations"]}
        if pending:
            step(f"миграции до этой версии ({len(pending)})", migrate)
        step("цепочка журнала аудита и контрольная точка", verify_audit)
        step("контрольные суммы архивных пакетов", packages)
        step("запуск службы и страницы", serve)
        ok = True
    except _Failed:
        ok = False
    finally:
        if scratch_url:
            try:
                drop_database(scratch_url)
            except RestoreRefused:
                pass
        shutil.rmtree(work, ignore_errors=True)
    finished = datetime.now(UTC)
    if ok:
        message = (f"Проверка восстановления пройдена: архив {archive}, "
                   f"{(finished - started).total_seconds():.0f} с.")
    else:
        bad = steps[-1]
        message = f"Проверка восстановления НЕ пройдена на шаге «{bad.name}»: {bad.text}"
    record = RunRecord("drill", started, finished, ok, message, archive,
                       details={"steps": [s.__dict__ for s in steps], "row_counts": counts})
    record_run(cfg.state_dir, record)
    result = DrillResult(record, steps)
    result.act_text, result.act_pdf = write_act(cfg.state_dir / "acts", result, school, local_time)
    return result


class _StepFailed(Exception):
    pass


def verify_packages(folder: Path) -> tuple[int, list[str]]:
    """Every file listed in a BagIt ``manifest-sha256.txt`` under ``folder`` against its
    SHA-256 (the full check: a size-only check would pass a same-size change)."""
    checked, problems = 0, []
    for manifest in sorted(folder.rglob("manifest-sha256.txt")):
        bag = manifest.parent
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.strip().partition(" ")
            name = name.strip()
            if not name:
                continue
            path = bag / name
            if not path.is_file():
                problems.append(f"{bag.name}: нет файла {name}")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest.lower():
                problems.append(f"{bag.name}: файл {name} изменён (не сходится SHA-256)")
            checked += 1
    return checked, problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(url: str, proc: subprocess.Popen) -> int:
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise _StepFailed(f"служба не запустилась: {err.strip()[-400:]}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status != 200:
                    raise _StepFailed(f"{url} ответил {response.status}")
                return response.status
        except OSError as exc:
            if time.monotonic() > deadline:
                raise _StepFailed(f"{url} не ответил за {SERVE_TIMEOUT:.0f} с: {exc}") from None
            time.sleep(0.3)


# --- the act ---------------------------------------------------------------------------------


def act_text(result: DrillResult, school: str,
             local_time: Callable[[datetime], datetime] = lambda t: t) -> str:
    r = result.record
    lines = [
        "АКТ ПРОВЕРКИ ВОССТАНОВЛЕНИЯ",
        "из резервной копии электронного журнала",
        "",
        f"Организация: {school}" if school else "",
        f"Дата и время проверки: {local_time(r.started_at):%d.%m.%Y %H:%M}",
        f"Проверенный архив: {r.archive or '—'}",
        f"Длительность: {r.seconds:.0f} с",
        "",
        "Шаги проверки:",
    ]
    for n, s in enumerate(result.steps, 1):
        lines.append(f"{n}. {s.name}: {'выполнено' if s.ok else 'НЕ ВЫПОЛНЕНО'} "
                     f"({s.seconds:.1f} с){' — ' + s.text if s.text else ''}")
    lines += ["", f"РЕЗУЛЬТАТ: {'ПРОЙДЕНА' if r.ok else 'НЕ ПРОЙДЕНА'}", r.message, "",
              "Проверку провёл: ______________________ / ______________ /",
              "Ответственный за резервное копирование: ______________________ / ______________ /"]
    return "\n".join(line for line in lines if line is not None) + "\n"


def write_act(directory: Path, result: DrillResult, school: str,
              local_time: Callable[[datetime], datetime]) -> tuple[Path, Path | None]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = result.record.started_at.strftime("%Y%m%dT%H%M%SZ")
    text = act_text(result, school, local_time)
    path = directory / f"akt-proverki-{stamp}.txt"
    path.write_text(text, encoding="utf-8")
    pdf = directory / f"akt-proverki-{stamp}.pdf"
    try:
        from weasyprint import HTML

        body = "".join(f"<p>{html.escape(line) or '&nbsp;'}</p>" for line in text.splitlines())
        HTML(string=f"<html lang='ru'><head><meta charset='utf-8'><style>"
                    "body{font-family:'DejaVu Serif',serif;font-size:11pt}p{margin:0 0 4pt}"
                    f"p:first-child{{font-weight:bold;text-align:center}}</style></head>"
                    f"<body>{body}</body></html>").write_pdf(pdf)
    except Exception:  # noqa: BLE001 - the text act is the record; the PDF is a convenience
        pdf = None  # type: ignore[assignment]
    os.chmod(path, 0o644)
    return path, pdf
