"""The nightly maintenance window (R-OPS-3, issue 13 item 8): maintenance mode refuses writes
with a Russian page and lets reads through, is switched off after a failing step, two runs at
once refuse, and the 06:00 deadline skips a step that would overrun (fake clock). The steps are
small real callables: they write files, wait, fail."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backups.state import last_run, runs
from service.ops import maintenance as m
from service.settings import get_settings
from service.web.middleware import clear_maintenance, maintenance_until
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, csrf_from, sign_in

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def var_dir(tmp_path) -> Path:
    """The service's own data directory (the flag must be where the running app looks)."""
    path = get_settings().paths.var_dir
    clear_maintenance(path)
    yield path
    clear_maintenance(path)


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


async def _post_password_form(c) -> tuple[int, str]:
    """A write every signed-in user can attempt: the password page's form."""
    html = (await c.get("/account/password")).text
    response = await c.post("/account/password", data={
        "_csrf_token": csrf_from(html), "current": "не тот", "new": "x", "new2": "x"})
    return response.status_code, response.text


async def test_maintenance_refuses_writes_with_a_russian_page_reads_work_and_ends_after_a_failure(
        db, var_dir, tmp_path):
    """R-OPS-3: during the window writes answer 503 «Идут регламентные работы до 06:00…»,
    pages open; a failing step does not leave the journal read-only."""
    await tiny_school()
    seen: dict = {}
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        before, _ = await _post_password_form(c)
        assert before != 503

        async def look_while_running() -> m.StepOutcome:
            seen["get"] = (await c.get("/home")).status_code
            seen["banner"] = "Идут регламентные работы" in (await c.get("/home")).text
            seen["post"] = await _post_password_form(c)
            return m.StepOutcome(True, "посмотрели")

        def broken() -> None:
            raise OSError("диск переполнен")

        deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
        run = await m.run_maintenance(var_dir, tmp_path / "state", [
            m.Step("look", "Проверка режима", look_while_running, 1),
            m.Step("backup", "Резервная копия", broken, 1),
        ], deadline, out=lambda _: None)

        assert seen["get"] == 200 and seen["banner"]
        status, page = seen["post"]
        assert status == 503
        local = deadline.astimezone(get_settings().tz)
        assert (f"Идут регламентные работы до {local:%H:%M}. Просмотр работает, изменения "
                "временно не сохраняются.") in page
        assert not run.ok and "Резервная копия — сбой" in run.message
        steps = {s["code"]: s for s in run.details["steps"]}
        assert steps["backup"]["status"] == m.FAILED and "диск переполнен" in steps["backup"]["message"]
        assert maintenance_until(var_dir) is None
        after, _ = await _post_password_form(c)
        assert after != 503
        assert "Идут регламентные работы" not in (await c.get("/home")).text
    assert last_run(tmp_path / "state", "maintenance").details["steps"][0]["status"] == m.OK


async def test_sign_in_still_works_during_maintenance(db, var_dir, tmp_path):
    """Reads need a session: signing in is not refused (a session row is not school data)."""
    await tiny_school()
    from service.web.middleware import set_maintenance

    set_maintenance(datetime.now(UTC) + timedelta(hours=1), var_dir)
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get("/home")).status_code == 200


async def test_a_second_run_at_once_refuses_and_changes_nothing(var_dir, tmp_path):
    """Bad input of issue 13: two maintenance runs at once — the second refuses."""
    started, release = asyncio.Event(), asyncio.Event()
    marker = tmp_path / "second-ran"

    async def slow() -> None:
        started.set()
        await release.wait()

    deadline = datetime.now(UTC) + timedelta(hours=1)
    first = asyncio.create_task(m.run_maintenance(
        var_dir, tmp_path / "state", [m.Step("backup", "Резервная копия", slow, 1)], deadline,
        out=lambda _: None))
    await started.wait()
    with pytest.raises(m.AlreadyRunning, match="уже идут"):
        await m.run_maintenance(var_dir, tmp_path / "state",
                                [m.Step("backup", "Копия", lambda: marker.write_text("x"), 1)],
                                deadline, out=lambda _: None)
    assert not marker.exists()
    assert maintenance_until(var_dir) is not None  # the first run's mode is untouched
    assert m.is_running(var_dir)
    release.set()
    run = await first
    assert run.ok and [r.kind for r in runs(tmp_path / "state")] == ["maintenance"]
    assert not m.is_running(var_dir)


async def test_the_deadline_skips_a_step_that_would_overrun(var_dir, tmp_path):
    """R-OPS-3: at 05:00 a 30-minute backup runs, the 40-minute drill would end after 06:00 and
    is skipped (its callable never runs), a 10-minute VACUUM still fits. Fake clock."""
    tz = get_settings().tz
    clock = FakeClock(datetime(2026, 11, 29, 5, 0, tzinfo=tz))
    deadline = datetime(2026, 11, 29, 6, 0, tzinfo=tz)
    done = []

    def work(name: str, minutes: float):
        def step() -> m.StepOutcome:
            clock.advance(minutes)
            (tmp_path / name).write_text(name)
            done.append(name)
            return m.StepOutcome(True)
        return step

    steps = [m.Step("backup", "Резервная копия", work("backup", 30), default_seconds=20 * 60),
             m.Step("drill", "Проверка восстановления", work("drill", 40), default_seconds=40 * 60),
             m.Step("vacuum", "VACUUM", work("vacuum", 5), default_seconds=10 * 60)]
    run = await m.run_maintenance(var_dir, tmp_path / "state", steps, deadline, clock=clock,
                                  out=lambda _: None)
    assert done == ["backup", "vacuum"] and not (tmp_path / "drill").exists()
    by_code = {s["code"]: s for s in run.details["steps"]}
    assert by_code["backup"]["seconds"] == 30 * 60
    assert by_code["drill"]["status"] == m.SKIPPED
    assert "до конца окна осталось 30 мин" in by_code["drill"]["message"]
    assert not run.ok and "пропущен" in run.message

    # The next night the backup is expected to take as long as it did (30 min), not 20.
    assert m.expected_seconds(tmp_path / "state", steps[0]) == 30 * 60
    clock.now = datetime(2026, 11, 30, 5, 35, tzinfo=tz)
    done.clear()
    run = await m.run_maintenance(var_dir, tmp_path / "state", steps,
                                  datetime(2026, 11, 30, 6, 0, tzinfo=tz), clock=clock,
                                  out=lambda _: None)
    assert done == ["vacuum"]  # 5 minutes last night: still fits at 05:35
    assert {s["code"]: s["status"] for s in run.details["steps"]}["backup"] == m.SKIPPED


async def test_steps_not_due_and_the_archive_placeholder_are_reported_honestly(var_dir, tmp_path):
    run = await m.run_maintenance(var_dir, tmp_path / "state", [
        m.Step("drill", "Проверка восстановления", lambda: None, 1, due=lambda: False),
        m.Step("archive", "Проверка архива", lambda: m.verify_archive(tmp_path / "archive"), 1),
    ], datetime.now(UTC) + timedelta(hours=1), out=lambda _: None)
    statuses = {s["code"]: (s["status"], s["message"]) for s in run.details["steps"]}
    assert statuses["drill"][0] == m.NOT_DUE
    assert statuses["archive"] == (m.UNAVAILABLE, "запечатанных учебных лет ещё нет: проверять нечего")
    assert run.ok


async def test_vacuum_and_the_audit_chain_steps_run_on_the_real_database(db, tmp_path):
    await tiny_school()
    assert (await m.vacuum_analyze()).ok
    outcome = await m.verify_audit(tmp_path / "no-checkpoints", tmp_path / "keys")
    assert outcome.ok and outcome.details["count"] > 0


def test_a_failing_ezh_command_step_reports_its_russian_error():
    outcome = m.ezh_command("no-such-command", timeout=60)
    assert not outcome.ok and "недопустимое значение" in outcome.message


def _ezh(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _env(database, var_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EZH_")}
    return {**env, "EZH_CONFIG": "/dev/null", "EZH_DATABASE_URL": database.url,
            "EZH_VAR_DIR": str(var_dir), **extra}


def test_the_command_refuses_outside_the_window_and_when_already_running(sqlite_db, tmp_path):
    """`ezh maintenance run` outside 02:00–06:00 refuses without --force (exit 2, nothing
    done); with the lock held by another run it refuses too (exit 2)."""
    now = datetime.now(get_settings().tz)
    start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    env = _env(sqlite_db, tmp_path, EZH_MAINTENANCE_START=f"{start:%H:%M}",
               EZH_MAINTENANCE_END=f"{end:%H:%M}")
    out = _ezh("maintenance", "run", env=env)
    assert out.returncode == 2 and "только в окне" in out.stderr and "Ничего не изменено" in out.stderr
    assert runs(tmp_path / "backups") == []
    with m.maintenance_lock(tmp_path):
        out = _ezh("maintenance", "run", "--force", env=env)
    assert out.returncode == 2 and "уже идут" in out.stderr
    assert runs(tmp_path / "backups") == [] and maintenance_until(tmp_path) is None
    status = _ezh("maintenance", "status", env=env)
    assert status.returncode == 0 and "Режим обслуживания: выключен" in status.stdout


def test_the_archive_step_checks_every_sealed_package_in_full(tmp_path):
    """Issue 13 item 8 with issue 12's packages: a good package passes; one changed byte of a
    file (same size) fails the night's step naming the package; a package sealed by another
    school's CA fails when the school's own seal is known."""
    from archive.package import build_package
    from tests.archive.conftest import make_identity
    from tests.archive.test_package import meta_for

    payload = tmp_path / "payload"
    (payload / "journals").mkdir(parents=True)
    (payload / "journals" / "5a.csv").write_text("Ученик;Отметка\nМорозов Артём;5\n", encoding="utf-8")
    archive = tmp_path / "archive" / "years"
    archive.mkdir(parents=True)
    sealed = build_package(payload, archive, meta=meta_for(), identity=make_identity())
    outcome = m.verify_archive(tmp_path / "archive")
    assert outcome.ok and outcome.message == "пакетов проверено: 1, все целы"
    from archive import keys

    keys.init_school_keys(tmp_path / "seal", school_name="Наша школа")
    foreign = m.verify_archive(tmp_path / "archive", tmp_path / "seal")
    assert not foreign.ok and "не корневым сертификатом школы" in foreign.message
    csv = sealed.folder / "data" / "journals" / "5a.csv"
    csv.write_bytes(csv.read_bytes().replace(b"5", b"4"))
    broken = m.verify_archive(tmp_path / "archive")
    assert not broken.ok and sealed.folder.name in broken.message and "5a.csv" in broken.message
