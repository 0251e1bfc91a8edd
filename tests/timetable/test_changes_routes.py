"""The changes pages through the real app (R-TT-3, R-TT-4): a deputy records an absence and a
substitution on the page, the guard keeps teachers out, unknown ids answer 404, bad dates 400
with the field named, and the day page costs the same number of queries for a quiet day and a
busy one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.accounts.actions import do_create_person, do_create_user
from service.audit.tables import AuditEvent
from service.timetable import changes
from service.timetable.tables import Absence, Lesson
from tests.factories import PASSWORD, SYSTEM
from tests.routes import client, post_form, sign_in
from tests.snapshots import snapshotted
from tests.test_query_counts import counting
from tests.timetable.factories import MONDAY, add_lesson
from tests.timetable.test_changes import school

pytestmark = pytest.mark.anyio
DAY = MONDAY.isoformat()
PAGE = f"/timetable/changes?day={DAY}"


@snapshotted
async def deputy_school():
    t = await school()
    person = await do_create_person(SYSTEM, "Орлова", "Наталья", "Викторовна")
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], person)
    return t


async def test_a_deputy_records_an_absence_and_a_substitution_on_the_page(db):
    """R-TT-3, R-TT-4: the absent teacher's lesson shows «нужна замена» with the free teachers;
    choosing one records the substitution and the page shows it as a change."""
    t = await deputy_school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        response = await post_form(c, "/timetable/changes/absences",
                                   {"teacher": str(p["uchitel"]), "starts_on": DAY, "ends_on": DAY,
                                    "reason": "больничный", "day": DAY}, page=PAGE)
        assert response.status_code == 303 and response.headers["location"] == PAGE + "#absences"
        html = (await c.get(PAGE)).text
        assert "Попова М. С." in html and "нужна замена" in html
        assert f'<option value="{p["other"]}">Кузнецов О. И.' in html
        response = await post_form(c, f"/timetable/changes/lessons/{lesson}/replace",
                                   {"substitute": str(p["other"]), "note": "больничный"}, page=PAGE)
        assert response.status_code == 303
        html = (await c.get(PAGE)).text
        assert "нужна замена" not in html and "замена: Кузнецов О. И." in html
    row = await Lesson.select().where(Lesson.id == lesson).first().run()
    assert row["taught_by"] == p["other"]


async def test_a_busy_substitute_is_refused_on_the_page_naming_both_lessons(db):
    t = await deputy_school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await add_lesson(t, MONDAY, 2, "other", school_class="6Б", room="14")
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        audit = await AuditEvent.count().run()
        response = await post_form(c, f"/timetable/changes/lessons/{lesson}/replace",
                                   {"substitute": str(p["other"])}, page=PAGE)
        assert response.status_code == 400
        assert "Кузнецов О. И. в это время уже ведёт урок: 6Б, Математика" in response.text
        assert "Урок, на который нужна замена: 5А, Математика" in response.text
        assert await AuditEvent.count().run() == audit
    row = await Lesson.select().where(Lesson.id == lesson).first().run()
    assert row["taught_by"] == p["uchitel"]


async def test_teachers_may_not_post_changes_and_unknown_ids_answer_404(db):
    t = await deputy_school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get(PAGE)).status_code == 403
        response = await post_form(c, f"/timetable/changes/lessons/{lesson}/replace",
                                   {"substitute": str(p["other"])}, page="/home")
        assert response.status_code == 403
    assert (await Lesson.select().where(Lesson.id == lesson).first().run())["taught_by"] == p["uchitel"]
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        for path in ("/timetable/changes/lessons/999999/replace", "/timetable/changes/lessons/99999999999/cancel",
                     "/timetable/changes/absences/999999/remove"):
            response = await post_form(c, path, {"substitute": str(p["other"])}, page=PAGE)
            assert response.status_code == 404, path
        assert (await c.get("/timetable/changes/hours/999999")).status_code == 404


async def test_bad_dates_answer_400_naming_the_field(db):
    t = await deputy_school()
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        response = await c.get("/timetable/changes?day=2026-13-40")
        assert response.status_code == 400 and "День: такой даты нет" in response.text
        response = await post_form(c, f"/timetable/changes/lessons/{lesson}/move",
                                   {"to_date": "завтра", "to_number": "3"}, page=PAGE)
        assert response.status_code == 400 and "На какой день: дата в виде ГГГГ-ММ-ДД" in response.text
        response = await post_form(c, "/timetable/changes/absences",
                                   {"teacher": str(t.school.people["klruk"]), "starts_on": "",
                                    "day": DAY}, page=PAGE)
        assert response.status_code == 400 and "С какого дня: укажите дату" in response.text
        response = await c.get("/timetable/changes/hours?from=2026-11-30&to=2026-11-01")
        assert response.status_code == 400 and "По какой день: не раньше" in response.text
    assert await Absence.count().run() == 0
    assert (await Lesson.select().where(Lesson.id == lesson).first().run())["moved_from"] is None


async def test_the_hours_report_and_its_detail_list_the_substitutions(db):
    t = await deputy_school()
    p = t.school.people
    for i in range(3):
        lesson = await add_lesson(t, MONDAY + timedelta(days=i), 1, "uchitel")
        await changes.do_replace(SYSTEM, lesson, p["other"])
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        html = (await c.get("/timetable/changes/hours?from=2026-11-01&to=2026-11-30")).text
        assert "Кузнецов О. И." in html and '<td class="num">3</td>' in html
        html = (await c.get(f"/timetable/changes/hours/{p['other']}?from=2026-11-01&to=2026-11-30")).text
        assert "Всего уроков: 3" in html and "24.11.2026" in html


async def _day_queries(monkeypatch) -> int:
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        await c.get("/home")
        with counting(monkeypatch) as seen:
            response = await c.get(PAGE)
            assert response.status_code == 200
        return len(seen)


async def test_the_day_page_costs_the_same_for_a_quiet_and_a_busy_day(db, monkeypatch):
    """Speed: the changes page's queries do not grow with absences, lessons or changes."""
    t = await deputy_school()
    p = t.school.people
    await add_lesson(t, MONDAY, 1, "uchitel")
    quiet = await _day_queries(monkeypatch)
    await changes.do_record_absence(SYSTEM, p["uchitel"], MONDAY, MONDAY)
    await changes.do_record_absence(SYSTEM, p["klruk"], MONDAY, MONDAY)
    for n in range(2, 7):
        await add_lesson(t, MONDAY, n, "uchitel")
        await add_lesson(t, MONDAY, n, "klruk", school_class="6Б", room="14")
    moved = await add_lesson(t, MONDAY, 7, "other", room="Спортзал")
    await changes.do_move(SYSTEM, moved, date(2026, 11, 24), 7, today=date(2026, 11, 1))
    busy = await _day_queries(monkeypatch)
    assert quiet == busy <= 12, (quiet, busy)
