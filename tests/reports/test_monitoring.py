"""Journal fill and user activity (R-REP-5) and the education authority's weekly figures
(issue 11 item 6, 003 items 7–9 and sheet 1), on the demo school: every figure against the
lessons and sessions counted here, the week's files as CSV and JSON in one archive."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest

from service.demo import DEMO_PASSWORD
from service.reports.monitoring import authority, iso_week, monitoring
from service.timetable.tables import Lesson
from tests.factories import demo_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 25)


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


def test_iso_weeks():
    assert iso_week("2026-W47") == (date(2026, 11, 16), date(2026, 11, 22))
    assert iso_week("2026-w01") == (date(2025, 12, 29), date(2026, 1, 4))
    for bad in ("2026-47", "2026-W54", "W47", "2026-Wxx", ""):
        with pytest.raises(ValueError):
            iso_week(bad)


async def test_fill_and_activity_match_the_lessons_and_sign_ins(db):
    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    # a lesson of the week left without a topic and attendance: the fill must notice
    lesson = (await _rows("SELECT l.id FROM lesson l JOIN lesson_entry e ON e.lesson = l.id WHERE l.on_date = {} "
                          "AND NOT l.cancelled ORDER BY l.id LIMIT 1", date(2026, 11, 18)))[0]["id"]
    await Lesson.raw("UPDATE lesson_entry SET topic = '', plan_item = NULL, attendance_at = NULL WHERE lesson = {}",
                     lesson).run()
    async with client() as c:  # one teacher signs in during the span
        await sign_in(c, "uchitel", DEMO_PASSWORD)
    report = await monitoring(year, date(2026, 11, 16), date(2026, 11, 30), "ноябрь", TODAY)
    fill, unfilled, quiet, activity = report.sections
    mine = [row for row in unfilled.rows if row[5] == f"/journal/lesson/{lesson}"]
    assert len(mine) == 1 and mine[0][4] == "нет темы, нет посещаемости"  # the stripped lesson, with its link
    assert len(list(unfilled.rows)) == fill.totals[2] or len(list(unfilled.rows)) == 300
    held = (await _rows("SELECT COUNT(*) AS n FROM lesson WHERE on_date >= {} AND on_date <= {} AND NOT cancelled",
                        date(2026, 11, 16), TODAY))[0]["n"]
    assert fill.totals[1] == held == sum(line[1] for line in fill.rows)
    assert fill.totals[2] >= 1 and fill.totals[3] >= 1 and fill.totals[5] < 100
    teachers = next(line for line in activity.rows if line[0] == "Учителя")
    assert teachers[3] >= 1 and teachers[2] >= teachers[3] and teachers[1] >= teachers[2]


async def test_the_authority_gets_the_week_in_one_archive(db):
    await demo_school("S", 2026)
    report = await authority("2026-W47", TODAY)
    assert [s.title for s in report.sections][1:] == ["Активность пользователей", "Ответы на сообщения родителей",
                                                       "Готовность электронного журнала (лист № 1)"]
    assert "с 16.11.2026 по 22.11.2026" in report.scope
    with pytest.raises(ValueError):
        await authority("2031-W10", TODAY)  # no school year
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        r = await c.get("/reports/authority?week=2026-W47&format=zip")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(r.content))
        names = sorted(archive.namelist())
        assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "json"]
        data = json.loads(archive.read(names[1]))
        assert data["report"] == "authority" and len(data["sections"]) == 4
        assert data["sections"][1]["rows"][0]["Кто"] == "Учителя"
        assert "Заполнение журнала по учителям" in archive.read(names[0]).decode("utf-8-sig")
        assert (await c.get("/reports/authority?week=2026-W99")).status_code == 404
        page = (await c.get("/reports/monitoring?month=2026-11")).text
        assert "Заполнение журнала и активность: ноябрь 2026" in page
    async with client() as c:  # the class teacher: not the administration's reports
        await sign_in(c, "klruk", DEMO_PASSWORD)
        assert (await c.get("/reports/authority")).status_code == 403
        assert (await c.get("/reports/monitoring")).status_code == 403


async def test_substitution_hours_per_teacher_add_up_to_the_lessons(db):
    """Issue 11 item 7: each substitute's hours equal the lessons they taught instead of the
    timetable's teacher; the totals equal the lessons listed."""
    from service.reports.staffing import substitutions

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    report = await substitutions(year, year["starts_on"], year["ends_on"], "год", year["ends_on"])
    expected = await _rows("SELECT taught_by, COUNT(*) AS n FROM lesson WHERE taught_by <> teacher AND NOT cancelled "
                           "AND on_date >= {} AND on_date <= {} GROUP BY taught_by", year["starts_on"], year["ends_on"])
    summary, detail = report.sections
    assert expected, "the demo has substitutions"
    assert sorted(line[1] for line in summary.rows) == sorted(r["n"] for r in expected)
    assert summary.totals[1] == len(list(detail.rows)) == sum(r["n"] for r in expected)


async def test_the_class_summary_names_who_needs_attention(db):
    from service.reports.queries import Scope
    from service.reports.staffing import class_summary

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        False))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade DESC LIMIT 1",
                       year["id"]))[0]
    report = await class_summary(Scope("class", year, cls["grade"], cls["id"], cls["name"]), None, TODAY)
    perf, att, attention = report.sections
    assert [line[0] for line in perf.rows] == [cls["name"]] == [line[0] for line in att.rows]
    failing = perf.rows[0][15]
    assert sum(1 for r in attention.rows if r[1] == "неуспевающий") == failing
    assert all(int(r[1].split(": ")[1]) >= 20 for r in attention.rows if r[1].startswith("пропущено"))
    async with client() as c:
        await sign_in(c, "klruk", DEMO_PASSWORD)
        current = (await _rows("SELECT c.id FROM school_class c JOIN academic_year y ON y.id = c.year "
                               "WHERE y.is_current = {}", True))[0]["id"]
        page = await c.get(f"/reports/class-summary?class={current}")
        assert page.status_code == 200 and "Требуют внимания" in page.text
        assert (await c.get("/reports/substitutions")).status_code == 403


async def test_a_journal_without_grades_for_two_weeks_is_listed_with_its_link(db):
    """R-REP-5: lessons went on for 14 days without a grade (here: the journal's grades of the
    last month taken off) — the journal is listed with its teacher and a link to fix it."""
    from service.reports.monitoring import quiet_journals

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    before = await quiet_journals(year, TODAY)
    j = (await _rows("SELECT l.school_class, l.subject FROM lesson l JOIN grade g ON g.lesson = l.id "
                     "WHERE l.study_group IS NULL AND l.student IS NULL AND l.on_date >= {} AND l.on_date <= {} "
                     "ORDER BY l.id LIMIT 1", date(2026, 11, 12), TODAY))[0]
    link = f"/journal/c{j['school_class']}-s{j['subject']}"
    assert link not in [row[4] for row in before.rows]
    await Lesson.raw("UPDATE grade SET removed_at = {} WHERE lesson IN (SELECT id FROM lesson WHERE school_class = {} "
                     "AND subject = {} AND study_group IS NULL AND on_date >= {})", datetime(2026, 11, 25, tzinfo=UTC),
                     j["school_class"], j["subject"], date(2026, 10, 25)).run()
    after = await quiet_journals(year, TODAY)
    row = next(r for r in after.rows if r[4] == link)
    assert row[3] > 0 and (row[2] is None or row[2] <= date(2026, 11, 11))
    async with client() as c:
        await sign_in(c, "zavuch", DEMO_PASSWORD)
        page = (await c.get("/reports/monitoring?month=2026-11")).text
        assert "Журналы без отметок 14 дней" in page
