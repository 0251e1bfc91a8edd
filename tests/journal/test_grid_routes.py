"""The journal's list and grid pages and the grid's JSON (R-JOURNAL-1, R-JOURNAL-2, R-SEC-3):
who sees which journal (a foreign or malformed one is a 404, like a missing one), what the pages
show, and that the grid costs the same number of queries whatever the size of the class or of
the period (issue item 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.school.tables import StudyGroup, TeachingLoad
from tests.factories import PASSWORD
from tests.journal.factories import journal_school
from tests.journal.test_grid import add_grade, add_pupils, fill
from tests.routes import client, sign_in
from tests.test_query_counts import counting
from tests.timetable.factories import add_lesson

pytestmark = pytest.mark.anyio


async def test_the_teacher_opens_their_journal_from_the_list(db):
    """R-JOURNAL-1, R-JOURNAL-2: «Мои журналы» lists the teaching load; the grid shows the
    pupils numbered, the dates, the grading system, period tabs and the links of the journal."""
    s = await journal_school()
    await add_grade(s.lessons[date(2026, 11, 23)], s.people["pupil2"], "5")
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = (await c.get("/journal")).text
        assert "Мои журналы" in page and f'href="{s.math.path}">5А · Математика</a>' in page
        assert "Английский" not in page and "Все журналы" not in page
        r = await c.get(s.math.path)
        assert r.status_code == 200
        html = r.text
        assert "<h1>5А · Математика</h1>" in html and "Пятибалльная" in html and "Попова М. С." in html
        assert 'aria-current="page">2 четверть' in html
        assert f'href="{s.math.path}/finals?period={s.periods[2]}">Итоговые' in html
        assert f'href="/journal/plans/{s.math.key}">КТП' in html and "data-print" in html
        assert '<td class="num">1</td><th scope="row" class="name" title="Морозов Артём Дмитриевич">' in html
        assert 'data-save="/journal/cell"' in html and "journal-grid.js" in html and "journal.css" in html
        assert f'href="/journal/lesson/{s.lessons[date(2026, 11, 23)]}" title="23.11.2026, 2-й урок"' in html
        assert '<td class="avg">5,00</td>' in html
        other = await c.get(f"{s.math.path}?period={s.periods[1]}")
        assert other.status_code == 200 and 'aria-current="page">1 четверть' in other.text
        data = (await c.get(f"/journal/api/grid/{s.math.key}")).json()
        assert data["period"]["name"] == "2 четверть" and data["system"] == "Пятибалльная"
        assert [st["name"] for st in data["students"]] == ["Морозов Артём Дмитриевич", "Павлова Софья Алексеевна"]
        assert data["students"][1]["cells"] == {str(s.lessons[date(2026, 11, 23)]): "5"}


async def test_group_journals_of_every_kind_are_listed(db):
    """R-JOURNAL-1: a subgroup's and a club's journals appear for their teacher and, by kind,
    for those who see every journal; the class teacher sees their class's journals."""
    s = await journal_school()
    club = (await StudyGroup.insert(StudyGroup(year=s.t.year, name="Шахматы", kind="club",
                                               subject=s.math.subject, created_at=datetime.now(UTC)))
            .returning(StudyGroup.id).run())[0]["id"]
    await TeachingLoad.insert(TeachingLoad(teacher=s.people["other"], subject=s.math.subject, study_group=club,
                                           hours_per_week=1, starts_on=date(2026, 9, 1))).run()
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        page = (await c.get("/journal")).text
        assert f'href="{s.english.path}">5А англ. 1 · Английский язык</a>' in page
        assert f'href="/journal/g{club}-s{s.math.subject}">Шахматы · Математика</a>' in page
        assert "Мой класс: 6Б" not in page  # 6Б has no load: nothing to list
        assert (await c.get(s.english.path)).status_code == 200
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        page = (await c.get("/journal")).text
        assert "Мой класс: 5А" in page and page.count(f'href="{s.english.path}"') == 1
        assert (await c.get(s.english.path)).status_code == 200  # a subgroup of their class
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = (await c.get("/journal")).text
        assert "Все журналы" in page and "5 классы" in page and "Кружки" in page
        assert f'href="{s.english.path}">5А англ. 1 · Английский язык</a>' in page  # under its class
        html = (await c.get(s.math.path)).text
        assert "data-save" not in html and "data-l=" not in html  # journal.view reads only


@pytest.mark.parametrize("login", ["pupil1", "roditel", "other"])
async def test_a_journal_one_may_not_see_is_not_found(db, login):
    """R-SEC-3: a pupil, a parent and a teacher of another class get 404 for the journal and its
    JSON, exactly as for a journal that does not exist."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, login, PASSWORD)
        assert (await c.get(s.math.path)).status_code == 404
        assert (await c.get(f"/journal/api/grid/{s.math.key}")).status_code == 404
        assert (await c.get("/journal/c999999-s1")).status_code == 404


async def test_malformed_addresses_are_not_found(db):
    """R-SEC-3: nonsense in the address or the period is a 404, never a 500."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        for path in ["/journal/x1-s1", "/journal/c1", "/journal/c99999999999-s1", f"{s.math.path}?period=abc",
                     f"{s.math.path}?period=99999999999", f"{s.math.path}?period=-1",
                     f"{s.math.path}?period=100000", "/journal/api/grid/zz", "/journal/api/grid/c1-s1?period=0",
                     f"/journal/api/grid/{s.math.key}?period=99999999999"]:
            assert (await c.get(path)).status_code in (400, 404), path
    async with client() as c:
        assert (await c.get(s.math.path)).status_code in (302, 303, 401)


async def _grid_queries(monkeypatch, s, login: str = "uchitel") -> int:
    async with client() as c:
        await sign_in(c, login, PASSWORD)
        await c.get("/home")
        with counting(monkeypatch) as seen:
            r = await c.get(s.math.path)
            assert r.status_code == 200
        return len(seen)


async def test_the_grid_costs_the_same_queries_for_2_or_35_pupils_and_5_or_45_lessons(db, monkeypatch):
    """Issue item 12: the grid's queries do not grow with pupils, lessons or grades."""
    s = await journal_school(start=date(2026, 11, 2), end=date(2026, 11, 16))  # 5 lessons in the quarter
    small = await _grid_queries(monkeypatch, s)
    pupils = [s.people["pupil1"], s.people["pupil2"], *await add_pupils(s, 33)]
    lessons = [lid for d, lid in s.lessons.items() if d >= date(2026, 11, 5)]
    day = date(2026, 11, 17)
    while len(lessons) < 45:
        if day.weekday() < 5:
            lessons.append(await add_lesson(s.t, day, 2, "uchitel"))
            if len(lessons) < 45 and day.weekday() in (1, 3):
                lessons.append(await add_lesson(s.t, day, 5, "uchitel"))
        day = day.replace(day=day.day + 1) if day.day < 28 else day.replace(month=day.month + 1, day=1)
    await fill(lessons, pupils)
    big = await _grid_queries(monkeypatch, s)
    assert small == big, (small, big)
    assert big <= 16, big
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        html = (await c.get(s.math.path)).text
        assert html.count('<td class="num">') == 35 and html.count('href="/journal/lesson/') == 45


async def test_a_substitute_finds_the_journal_under_substitutions(db):
    """The list's «Замены» section names the count and the last lesson taught: its date came
    back from SQLite's MAX() as text and the page answered 500 (found by tests/authz)."""
    from service.timetable.tables import Lesson

    s = await journal_school()
    lesson = s.lessons[date(2026, 11, 23)]
    await Lesson.update({Lesson.taught_by: s.people["other"]}).where(Lesson.id == lesson).run()
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        page = await c.get("/journal")
        assert page.status_code == 200
        assert "замена: уроков 1, последний 23.11" in page.text



async def test_the_grid_s_json_answers_json_without_a_session(db):
    """GET /journal/api/grid is the JSON API's (OpenAPI): signed out it answers 401 with a
    Russian message, as the API's writes do, not the login page (found by tests/authz); a
    journal one may not see stays a 404, in JSON."""
    s = await journal_school()
    async with client() as c:
        r = await c.get(f"/journal/api/grid/{s.math.key}")
        assert r.status_code == 401 and "Войдите" in r.json()["error"]
        await sign_in(c, "roditel", PASSWORD)
        r = await c.get(f"/journal/api/grid/{s.math.key}")
        assert r.status_code == 404 and r.json() == {"error": "Не найдено", "field": None}
