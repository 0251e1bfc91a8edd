"""Planned long maintenance (R-OPS-3): only in the holidays and at least 7 days ahead — refused
otherwise with nothing written; once announced every signed-in user sees the banner until it
ends or is cancelled (audited)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from service.audit.log import Actor
from service.audit.tables import AuditEvent
from service.errors import Refused
from service.ops.actions import do_cancel_maintenance, do_plan_maintenance
from service.ops.tables import PlannedMaintenance
from service.school.tables import AcademicYear, CalendarDay
from service.settings import get_settings
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, post_form, sign_in

pytestmark = pytest.mark.anyio
ADMIN = Actor.system("tests")


async def _holidays(first: date, last: date, grade_from: int = 1, grade_to: int = 11) -> None:
    year = (await AcademicYear.select(AcademicYear.id).first().run())["id"]
    await CalendarDay.insert(CalendarDay(year=year, kind="holidays", name="Каникулы",
                                         grade_from=grade_from, grade_to=grade_to,
                                         starts_on=first, ends_on=last)).run()


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=get_settings().tz)


async def _written() -> tuple[int, int]:
    return await PlannedMaintenance.count().run(), await AuditEvent.count().run()


async def test_outside_holidays_or_too_soon_is_refused_and_nothing_written(db):
    await tiny_school()
    today = datetime.now(get_settings().tz).date()
    await _holidays(today + timedelta(days=3), today + timedelta(days=20))
    before = await _written()
    school_day = today + timedelta(days=25)
    with pytest.raises(Refused, match="не каникулы"):
        await do_plan_maintenance(ADMIN, _at(school_day, 8), _at(school_day, 18), "обновление")
    soon = today + timedelta(days=4)  # in the holidays, but only 4 days ahead
    with pytest.raises(Refused, match="за 7 дней"):
        await do_plan_maintenance(ADMIN, _at(soon, 8), _at(soon, 18), "обновление")
    with pytest.raises(Refused, match="Укажите"):
        await do_plan_maintenance(ADMIN, _at(today + timedelta(days=10), 8),
                                  _at(today + timedelta(days=10), 18), "  ")
    assert await _written() == before


async def test_the_banner_appears_for_a_teacher_once_announced_and_goes_when_cancelled(db):
    """R-OPS-3: scheduled by the administrator on the page, seen by a teacher on every page."""
    await tiny_school()
    today = datetime.now(get_settings().tz).date()
    day = today + timedelta(days=10)
    await _holidays(today + timedelta(days=8), today + timedelta(days=14))
    async with client() as teacher:
        await sign_in(teacher, "uchitel", PASSWORD)
        assert "Плановые работы" not in (await teacher.get("/home")).text
        async with client() as admin:
            await sign_in(admin, "admin", PASSWORD)
            bad = await post_form(admin, "/ops/planned", {
                "starts_on": (today + timedelta(days=2)).isoformat(), "starts_time": "08:00",
                "ends_on": (today + timedelta(days=2)).isoformat(), "ends_time": "20:00",
                "reason": "Замена диска"}, page="/ops")
            assert bad.status_code == 400 and "за 7 дней" in bad.text
            response = await post_form(admin, "/ops/planned", {
                "starts_on": day.isoformat(), "starts_time": "08:00", "ends_on": day.isoformat(),
                "ends_time": "20:00", "reason": "Замена диска сервера"}, page="/ops")
            assert response.status_code == 303, response.text
        # the action dropped this process's cached banner; another worker rereads within a minute
        page = (await teacher.get("/classes")).text
        assert "Плановые работы:" in page and "Замена диска сервера" in page
        assert f"{day:%d.%m.%Y} 08:00" in page

        planned = await PlannedMaintenance.select().first().run()
        assert (await teacher.post(f"/ops/planned/{planned['id']}/cancel",
                                   data={"reason": "x"})).status_code == 403
        await do_cancel_maintenance(ADMIN, planned["id"], "диск привезли раньше")
        assert "Плановые работы" not in (await teacher.get("/home")).text
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).run()]
    assert "ops.maintenance_planned" in actions and "ops.maintenance_cancelled" in actions
    with pytest.raises(Refused, match="уже отменены"):
        await do_cancel_maintenance(ADMIN, planned["id"], "ещё раз")


async def test_the_command_line_announces_the_same_way(db):
    await tiny_school()
    today = datetime.now(get_settings().tz).date()
    await _holidays(today + timedelta(days=8), today + timedelta(days=14))
    day = today + timedelta(days=9)
    await do_plan_maintenance(ADMIN, _at(day, 9), _at(day, 21), "Перенос на новый сервер")
    with pytest.raises(Refused, match="уже назначены"):
        await do_plan_maintenance(ADMIN, _at(day, 10), _at(day, 12), "ещё")
    assert await PlannedMaintenance.count().run() == 1
