"""The deputy head sets the timetable up in the browser (R-TT-1 bells, R-TT-2 versions with A/B
weeks, R-YEAR-2 moved working days): the pages, their Russian form errors, who may open them (a
teacher sees, cannot change; a parent sees nothing) and that a foreign id answers 404."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.accounts.actions import do_create_user
from service.audit.tables import AuditEvent
from service.school.tables import AcademicYear
from service.timetable import actions, queries, routes_setup
from service.timetable.tables import BellSchedule, DaySetting, Room, Timetable
from tests.factories import PASSWORD, SYSTEM, tiny_school
from tests.routes import client, csrf_from, post_form, sign_in
from tests.test_query_counts import counting
from tests.timetable.factories import timetable_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 27)


@pytest.fixture
def fixed_today(monkeypatch):
    """The school's date is a Friday of the tiny school's year, whatever the clock says."""
    monkeypatch.setattr(actions, "school_today", lambda: TODAY)
    monkeypatch.setattr(routes_setup, "today", lambda: TODAY)


async def test_the_deputy_sets_up_bells_rooms_and_versions_in_the_browser(db, fixed_today):
    s = await tiny_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        home = await c.get("/home")
        assert 'href="/timetable/setup"' in home.text
        page = await c.get("/timetable/setup")
        assert page.status_code == 200
        assert "Версии расписания ещё нет" in page.text and "Создать первую версию расписания" in page.text
        year = (await Timetable.raw("SELECT id FROM academic_year").run())[0]["id"]

        r = await post_form(c, f"/timetable/setup/years/{year}/bells",
                            {"name": "Основное", "bells": "1 08:30 09:15\n09:25 10:10\n3 10:20 11:05",
                             "weekdays": ["1", "2", "3", "4", "5"]}, page="/timetable/setup")
        assert r.status_code == 303, r.text
        schedule = (await BellSchedule.select().first().run())
        assert schedule["weekdays"] == "12345"
        page = await c.get(r.headers["location"])
        assert "09:25–10:10" in page.text and "Пн, Вт, Ср, Чт, Пт" in page.text
        bells = await c.get(f"/timetable/setup/bells/{schedule['id']}")
        assert "2 09:25 10:10" in bells.text  # the form shows the bells as they are typed

        r = await post_form(c, f"/timetable/setup/years/{year}/versions",
                            {"name": "Основное расписание", "starts_on": "2026-09-01", "cycle": "2",
                             "anchor": "2026-09-07", "skip_holiday_weeks": "1"}, page="/timetable/setup")
        assert r.status_code == 303, r.text
        version = await Timetable.select().first().run()
        assert (version["cycle"], version["anchor"], version["skip_holiday_weeks"]) == (2, date(2026, 9, 7), True)
        page = await c.get("/timetable/setup")
        assert "неделя A — неделя 7 сентября 2026" in page.text
        assert f'href="/timetable/grid/{version["id"]}"' in page.text

        r = await post_form(c, f"/timetable/setup/years/{year}/versions/start",
                            {"name": "Со 2 четверти", "starts_on": "2026-12-01"}, page="/timetable/setup")
        assert r.status_code == 303, r.text
        page = await c.get("/timetable/setup")
        assert "по 30 ноября 2026" in page.text and "Со 2 четверти" in page.text and "история" not in page.text

        r = await post_form(c, f"/timetable/setup/versions/{version['id']}",
                            {"name": "Осеннее расписание", "cycle": "1"}, page=f"/timetable/setup/versions/{version['id']}")
        assert r.status_code == 303
        assert (await Timetable.select().where(Timetable.id == version["id"]).first().run())["cycle"] == 1

        r = await post_form(c, "/timetable/setup/rooms", {"name": "Спортзал", "note": "второй этаж"})
        assert r.status_code == 303
        room = (await Room.select().first().run())["id"]
        r = await post_form(c, f"/timetable/setup/rooms/{room}", {"name": "Большой спортзал", "note": ""},
                            page="/timetable/setup/rooms")
        assert r.status_code == 303
        assert "Большой спортзал" in (await c.get("/timetable/setup/rooms")).text

        r = await post_form(c, f"/timetable/setup/years/{year}/days",
                            {"on_date": "2026-12-05", "as_weekday": "1", "note": "перенос"}, page="/timetable/setup")
        assert r.status_code == 303, r.text
        assert "понедельник" in (await c.get("/timetable/setup")).text
        r = await post_form(c, f"/timetable/setup/years/{year}/days/clear", {"on_date": "2026-12-05"},
                            page="/timetable/setup")
        assert r.status_code == 303 and await DaySetting.count().run() == 0
    assert s.classes  # the school the pages worked on


async def test_bad_input_answers_400_naming_the_field(db, fixed_today):
    t = await timetable_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    before = await BellSchedule.count().run()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        r = await post_form(c, f"/timetable/setup/years/{t.year}/bells",
                            {"name": "Суббота", "bells": "1 08:30 09:15\n2 09:20 10:05\n3 10:00 10:45",
                             "weekdays": "6"}, page="/timetable/setup")
        assert r.status_code == 400
        assert "2-й урок (09:20–10:05) пересекается с уроком 3-й урок (10:00–10:45)" in r.text
        assert "3 10:00 10:45</textarea>" in r.text  # what was typed stays in the form
        r = await post_form(c, f"/timetable/setup/years/{t.year}/bells",
                            {"name": "", "bells": "1 08:30 09:15", "weekdays": "7"}, page="/timetable/setup")
        assert r.status_code == 400 and "Название: заполните поле" in r.text
        assert "Дни недели: выберите значение из списка" in r.text
        r = await post_form(c, f"/timetable/setup/bells/{t.schedule}",
                            {"name": "Основное", "bells": "1 08:30 09:15\n2 09:25\n", "weekdays": "1"},
                            page=f"/timetable/setup/bells/{t.schedule}")
        assert r.status_code == 400 and "Строка 2: напишите номер урока, начало и конец" in r.text
        r = await post_form(c, f"/timetable/setup/versions/{t.version}",
                            {"name": "Основное", "cycle": "2", "anchor": "2027-08-01"},
                            page=f"/timetable/setup/versions/{t.version}")
        assert r.status_code == 400 and "Дата недели A 01.08.2027 — вне учебного года" in r.text
        r = await post_form(c, f"/timetable/setup/years/{t.year}/versions",
                            {"name": "Вторая", "starts_on": "2027-01-11", "cycle": "1"}, page="/timetable/setup")
        assert r.status_code == 400 and "уже действует версия «Основное расписание»" in r.text
        r = await post_form(c, f"/timetable/setup/years/{t.year}/days",
                            {"on_date": "2027-07-01", "as_weekday": "1"}, page="/timetable/setup")
        assert r.status_code == 400 and "Дата 01.07.2027 — вне учебного года" in r.text
        r = await post_form(c, "/timetable/setup/rooms", {"name": "спортзал"})
        assert r.status_code == 400 and "Кабинет «Спортзал» уже есть" in r.text
    assert await BellSchedule.count().run() == before


async def test_a_teacher_sees_but_cannot_change_and_a_parent_sees_nothing(db, fixed_today):
    t = await timetable_school()
    before = await AuditEvent.count().run()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get("/timetable/setup")
        assert page.status_code == 200 and "Основное расписание" in page.text
        assert "Добавить расписание звонков" not in page.text and "Новое расписание с даты" not in page.text
        assert (await c.get(f"/timetable/setup/bells/{t.schedule}")).status_code == 200
        token = csrf_from(page.text)
        for path, data in [
            (f"/timetable/setup/years/{t.year}/bells", {"name": "Суббота", "bells": "1 08:30 09:15", "weekdays": "6"}),
            (f"/timetable/setup/bells/{t.schedule}", {"name": "Основное", "bells": "1 08:30 09:15"}),
            (f"/timetable/setup/years/{t.year}/versions/start", {"name": "Новая", "starts_on": "2026-12-01"}),
            (f"/timetable/setup/versions/{t.version}", {"name": "Другая", "cycle": "1"}),
            ("/timetable/setup/rooms", {"name": "99"}),
            (f"/timetable/setup/years/{t.year}/days", {"on_date": "2026-12-05", "as_weekday": "1"}),
        ]:
            r = await c.post(path, data={**data, "_csrf_token": token})
            assert r.status_code == 403, path
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        for path in ("/timetable/setup", f"/timetable/setup/bells/{t.schedule}", "/timetable/setup/rooms",
                     f"/timetable/setup/versions/{t.version}"):
            assert (await c.get(path)).status_code == 403, path
    assert await Timetable.count().run() == 1 and await Room.count().where(Room.name == "99").run() == 0
    assert {r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.seq > before).run()} \
        <= {"accounts.login"}


async def test_foreign_ids_answer_404(db, fixed_today):
    await timetable_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        for path in ("/timetable/setup?year=999999", "/timetable/setup?year=abc", "/timetable/setup/bells/999999",
                     "/timetable/setup/versions/999999", "/timetable/setup/bells/99999999999"):
            assert (await c.get(path)).status_code == 404, path
        token = csrf_from((await c.get("/timetable/setup")).text)
        for path in ("/timetable/setup/years/999999/bells", "/timetable/setup/bells/999999",
                     "/timetable/setup/rooms/999999", "/timetable/setup/years/999999/days",
                     "/timetable/setup/years/999999/versions", "/timetable/setup/years/999999/versions/start",
                     "/timetable/setup/versions/999999"):
            r = await c.post(path, data={"_csrf_token": token, "name": "Основное", "bells": "1 08:30 09:15",
                                         "on_date": "2026-12-05", "as_weekday": "1", "starts_on": "2026-12-01",
                                         "cycle": "1"})
            assert r.status_code == 404, path


async def test_the_overview_and_the_bells_of_dates_cost_a_constant_number_of_queries(db, fixed_today,
                                                                                     monkeypatch):
    """Issue item 9 (fast): the overview costs the same with one schedule, version and special
    day as with many; the bells of any number of dates cost two queries."""
    t = await timetable_school()

    async def overview_queries() -> int:
        async with client() as c:
            await sign_in(c, "admin", PASSWORD)
            await c.get("/home")
            with counting(monkeypatch) as seen:
                assert (await c.get("/timetable/setup")).status_code == 200
            return len(seen)

    few = await overview_queries()
    await actions.do_create_bells(SYSTEM, t.year, "Суббота", "1 08:30 09:10\n2 09:20 10:00", "6")
    short = await actions.do_create_bells(SYSTEM, t.year, "Сокращённый день", "1 08:30 09:00\n2 09:10 09:40")
    for day in (date(2026, 12, 29), date(2026, 12, 30), date(2027, 3, 6)):
        await actions.do_set_day(SYSTEM, t.year, day, schedule=short)
    await actions.do_start_version(SYSTEM, t.year, date(2026, 12, 1), "Со 2 декабря")
    await actions.do_start_version(SYSTEM, t.year, date(2027, 1, 11), "С 11 января")
    assert await overview_queries() == few
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(270)]
    with counting(monkeypatch) as seen:
        bells = await queries.bells_for_dates(days)
    assert len(seen) == 2 and len(bells[date(2026, 12, 30)]) == 2 and len(bells[date(2026, 12, 31)]) == 7


async def test_a_closed_year_shows_its_setup_read_only(db, fixed_today):
    """A closed year keeps its timetable as it was: no forms, and a direct POST is refused by
    the action with a Russian message."""
    t = await timetable_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC)}).where(AcademicYear.id == t.year).run()
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        page = await c.get("/timetable/setup")
        assert "закрыт: его расписание только для чтения" in page.text
        assert "Добавить расписание звонков" not in page.text
        token = csrf_from(page.text)
        r = await c.post(f"/timetable/setup/years/{t.year}/bells", data={
            "_csrf_token": token, "name": "Суббота", "bells": "1 08:30 09:15", "weekdays": "6"})
        assert r.status_code == 400 and "Учебный год 2026/2027 закрыт" in r.text
        r = await c.post(f"/timetable/setup/versions/{t.version}", data={
            "_csrf_token": token, "name": "Другое", "cycle": "1"})
        assert r.status_code == 400 and "Учебный год 2026/2027 закрыт" in r.text
    assert await BellSchedule.count().run() == 1
