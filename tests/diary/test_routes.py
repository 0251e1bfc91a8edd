"""The diary as a parent, a pupil and staff read it (R-DIARY-1, R-GRADE-5, R-SEC-3, issue 10
items 1 and 6): the week with topics, homework, files, grades with kind and weight, absences
with their reasons, changes marked as changes; the subject page with the weighted average,
forecast and finals; a parent's tabs; 404 for anything not one's own; the access log for staff
reads; a constant number of queries per page."""

from __future__ import annotations

from datetime import date

import pytest

from service.audit.tables import AccessLog
from service.journal import access, cells
from tests.diary.factories import MONDAY, diary_school, give_second_child, teacher
from tests.factories import PASSWORD
from tests.routes import client, sign_in
from tests.test_query_counts import counting
from tests.timetable.factories import add_lesson

pytestmark = pytest.mark.anyio


async def test_a_parent_reads_the_week_on_the_diary(db):
    """R-DIARY-1: lessons with topic, homework for all and the child's own, the attached file
    (served by the journal's file route), each grade with its kind of work and weight, the
    absence with its reason, the substitution marked as a change; another pupil's individual
    homework and grades are not there."""
    d = await diary_school()
    p1 = d.people["pupil1"]
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await c.get("/diary")
        assert r.status_code == 303 and r.headers["location"] == f"/diary/{p1}"
        page = (await c.get(f"/diary/{p1}?week={MONDAY.isoformat()}")).text
        assert "Морозов Артём, 5А" in page
        assert "Сложение дробей" in page and "№ 245, 247" in page
        assert "Повторить таблицу умножения на 7" in page and "Задание только для Софьи" not in page
        assert f'href="/journal/file/{d.file_id}"' in page and "Карточка.pdf" in page
        assert "Ответ на уроке" in page and "вес 1" in page
        assert "отсутствовал (причина не указана)" in page
        assert "Изменение:</strong> замена: Кузнецов О. И." in page
        assert "Английский язык" in page  # the pupil's subgroup lesson
        assert 'class="d-mark">2<' not in page  # pupil2's grade
        assert "Просмотр дневника сотрудником" not in page
        download = await c.get(f"/journal/file/{d.file_id}")
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        # the menu leads to the diary
        assert 'href="/diary" aria-current="page"' in page


async def test_a_parent_with_several_children_switches_in_one_tap(db):
    """R-DIARY-1: a row of tabs, one per child; each child's diary is one tap away."""
    d = await diary_school()
    await give_second_child(d.j)
    p1, p3 = d.people["pupil1"], d.people["pupil3"]
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = (await c.get(f"/diary/{p1}")).text
        assert f'href="/diary/{p1}" aria-current="page">Артём' in page
        assert f'href="/diary/{p3}">Максим' in page
        other = await c.get(f"/diary/{p3}")
        assert other.status_code == 200 and "Соколов Максим, 6Б" in other.text
        finals = (await c.get(f"/diary/{p3}/finals")).text
        assert f'href="/diary/{p1}/finals">Артём' in finals  # the tab keeps the section


async def test_the_pupil_sees_their_own_diary(db):
    d = await diary_school()
    p1 = d.people["pupil1"]
    async with client() as c:
        await sign_in(c, "pupil1", PASSWORD)
        r = await c.get("/diary")
        assert r.headers["location"] == f"/diary/{p1}"
        page = (await c.get(f"/diary/{p1}?week={MONDAY.isoformat()}")).text
        assert "Сложение дробей" in page and 'class="d-tabs"' not in page
    assert await AccessLog.count().run() == 0  # the pupil and parents read without a log row


async def test_another_family_s_child_ids_out_of_range_and_garbage_are_not_found(db):
    """R-SEC-3: a parent or a pupil gets 404 for another family's child, for a parent, for ids
    out of range, for garbage; a teacher without the class gets 404, without a right 403."""
    d = await diary_school()
    p1, p2 = d.people["pupil1"], d.people["pupil2"]
    key = d.j.math.key
    for login in ("roditel", "pupil1"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            for path in (f"/diary/{p2}", f"/diary/{p2}/finals", f"/diary/{p2}/subject/{key}",
                         f"/diary/{d.people['roditel']}", "/diary/0", "/diary/-3", "/diary/99999999999",
                         "/diary/abc", f"/diary/{p1}/subject/xyz", f"/diary/{p1}/subject/c999-s1",
                         f"/diary/{p1}/subject/c1-s99999999999"):
                assert (await c.get(path)).status_code == 404, (login, path)
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)  # teaches 5А, leads no class
        assert (await c.get(f"/diary/{p1}")).status_code == 404
        assert (await c.get("/diary")).status_code == 403
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)  # leads 5А, not 6Б
        assert (await c.get(f"/diary/{d.people['pupil3']}")).status_code == 404


async def test_staff_reads_go_to_the_access_log(db):
    """Issue 10 item 6: the class teacher's and the administration's reads of a diary are in
    the access log, one row per page; the family's reads are not."""
    d = await diary_school()
    p1 = d.people["pupil1"]
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get(f"/diary/{p1}")).status_code == 200
    assert await AccessLog.count().run() == 0
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        page = await c.get(f"/diary/{p1}")
        assert page.status_code == 200 and "записывается в журнал доступа" in page.text
        assert (await c.get(f"/diary/{p1}/finals")).status_code == 200
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        assert (await c.get(f"/diary/{p1}/subject/{d.j.math.key}")).status_code == 200
    rows = await AccessLog.select(AccessLog.viewer_name, AccessLog.person_id, AccessLog.what).run()
    assert sorted((r["viewer_name"], r["person_id"], r["what"]) for r in rows) == [
        ("admin", p1, "дневник ученика"), ("klruk", p1, "дневник ученика"), ("klruk", p1, "дневник ученика")]


async def test_the_subject_page_shows_grades_average_and_the_forecast_from_its_date(db, monkeypatch):
    """R-DIARY-1, R-GRADE-5: every grade with kind of work and weight, the weighted average;
    the forecast only from the date the school set (14 days before the quarter ends), the
    first quarter's final once visible."""
    d = await diary_school()
    p1 = d.people["pupil1"]
    path = f"/diary/{p1}/subject/{d.j.math.key}"
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = (await c.get(path)).text
        assert "Математика" in page and "Ответ на уроке" in page
        assert "4,50" in page  # (5 + 4) / 2, weights 1
        assert "с 15.12.2026" in page  # the forecast is not shown yet
        assert "<strong>5</strong>" in page  # the first quarter's final
        monkeypatch.setattr(access, "school_today", lambda: date(2026, 12, 16))
        later = (await c.get(path)).text
        assert "с 15.12.2026" not in later and "<dd>5</dd>" in later  # forecast 4,50 → 5


async def test_pages_cost_the_same_queries_for_one_or_many_grades(db, monkeypatch):
    """Fast: the week, the subject and the finals page cost a constant number of queries,
    whatever the number of lessons, grades, absences and files."""
    d = await diary_school()
    s = d.j
    p1 = d.people["pupil1"]
    paths = [f"/diary/{p1}?week={MONDAY.isoformat()}", f"/diary/{p1}/subject/{s.math.key}", f"/diary/{p1}/finals"]

    async def counts(c) -> list[int]:
        found = []
        for path in paths:
            with counting(monkeypatch) as seen:
                assert (await c.get(path)).status_code == 200
            found.append(len(seen))
        return found

    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        await c.get("/home")
        few = await counts(c)
        me = teacher(s)
        for day in sorted(s.lessons):
            if day < access.school_today():
                await cells.do_save_cell(me, s.lessons[day], p1, "4 5 3", reason="проверка")
        for day in sorted(s.english_lessons):
            if day <= access.school_today():
                await cells.do_save_cell(teacher(s, "other"), s.english_lessons[day], p1, "н",
                                         reason="проверка")
        many = await counts(c)
    assert few == many, (few, many)
    assert all(n <= 14 for n in many), many


async def test_an_individual_lesson_is_shown_to_the_family_not_to_the_class_teacher(db):
    """Privacy (home schooling is health data): the pupil's individual lesson is in the family's
    diary; the class teacher, who has no right to see home schooling, does not see it there."""
    d = await diary_school()
    p1 = d.people["pupil1"]
    await add_lesson(d.j.t, date(2026, 11, 24), 6, "uchitel", school_class=None, student="pupil1")
    path = f"/diary/{p1}?week={MONDAY.isoformat()}"
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert "индивидуальный урок" in (await c.get(path)).text
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        page = await c.get(path)
        assert page.status_code == 200 and "индивидуальный урок" not in page.text
