"""The operations page (R-BAK-1, issue 13): last backup, last drill, last maintenance run,
availability — and a red banner when the backup is late or the drill failed. The run records
are written with backups.state, as the backup commands write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backups.state import RunRecord, record_run
from service.settings import get_settings
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def state_dir():
    path = get_settings().paths.var_dir / "backups"
    saved = (path / "runs.jsonl").read_bytes() if (path / "runs.jsonl").exists() else None
    (path / "runs.jsonl").unlink(missing_ok=True)
    yield path
    (path / "runs.jsonl").unlink(missing_ok=True)
    if saved is not None:
        (path / "runs.jsonl").write_bytes(saved)


def _run(kind: str, hours_ago: float, ok: bool = True, **extra) -> RunRecord:
    end = datetime.now(UTC) - timedelta(hours=hours_ago)
    return RunRecord(kind=kind, started_at=end - timedelta(minutes=3), finished_at=end, ok=ok,
                     **extra)


async def test_red_banner_when_the_last_good_backup_is_older_than_26_hours(db, state_dir):
    await tiny_school()
    record_run(state_dir, _run("backup", 30, size_bytes=50 * 1048576, archive="ezh-2026-11-26"))
    record_run(state_dir, _run("drill", 24, message="PASS"))
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = (await c.get("/ops")).text
    assert 'class="form-error" role="alert"' in page
    assert "Последняя успешная резервная копия сделана 30 ч назад" in page
    assert "50.0 МБ" in page and "PASS" in page


async def test_no_banner_when_backup_and_drill_are_fresh_and_one_when_the_drill_failed(db, state_dir):
    await tiny_school()
    record_run(state_dir, _run("backup", 5, size_bytes=1048576))
    record_run(state_dir, _run("drill", 20))
    record_run(state_dir, _run("maintenance", 4, details={"steps": [
        {"code": "vacuum", "title": "Обслуживание базы (VACUUM, ANALYZE)", "status": "ok",
         "seconds": 12.5, "message": "статистика обновлена"}]}))
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = (await c.get("/ops")).text
        assert 'role="alert"' not in page
        assert "Обслуживание базы (VACUUM, ANALYZE)" in page and "12.5" in page
        record_run(state_dir, _run("drill", 1, ok=False, message="таблица person: 3 строки вместо 5"))
        page = (await c.get("/ops")).text
    assert "Последняя проверка восстановления не прошла" in page and "FAIL" in page
    assert "таблица person: 3 строки вместо 5" in page


async def test_a_teacher_may_not_open_the_operations_page(db, state_dir):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get("/ops")).status_code == 403
        assert (await c.get("/ops/availability")).status_code == 403
