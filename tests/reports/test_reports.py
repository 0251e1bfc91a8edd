"""The performance report and the summary sheet on the demo school's finished year (R-REP-1,
R-REP-2, issue 11 item 12): every figure checked against the finals read independently from
the database, and the numbers add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.reports import queries
from service.reports.performance import performance
from service.reports.queries import Scope
from service.reports.summary_sheet import summary_sheet
from service.timetable.tables import Lesson
from tests.factories import demo_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 25)


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


async def _last_year_class() -> tuple[dict, dict]:
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year "
                        "WHERE is_current = {} ORDER BY starts_on DESC", False))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {} ORDER BY grade DESC, id LIMIT 1",
                       year["id"]))[0]
    return year, cls


async def test_performance_of_a_class_matches_its_finals(db):
    """R-REP-2: the year's counts of «5»…«2», успеваемость, качество and the average of a class of
    the finished year equal what its pupils' year finals say, counted here without the report's
    rules; the per-class lines add up to the school's totals."""
    await demo_school("S", 2026)
    year, cls = await _last_year_class()
    report = await performance(Scope("class", year, cls["grade"], cls["id"], cls["name"]), None, TODAY)
    [line] = list(report.sections[0].rows)
    pupils = {r["id"] for r in await queries.pupils(Scope("class", year, cls["grade"], cls["id"], cls["name"]),
                                                    year["ends_on"])}
    finals = [r for r in await _rows("SELECT student, subject, mark FROM final_grade WHERE year = {} AND kind = {}",
                                     year["id"], "year") if r["student"] in pupils]
    assert finals, "the demo's finished year has year finals"
    numeric = [int(r["mark"]) for r in finals if r["mark"].isdigit()]
    by_pupil: dict[int, list[str]] = {}
    for r in finals:
        by_pupil.setdefault(r["student"], []).append(r["mark"])
    success = sum(1 for ms in by_pupil.values() if "2" not in ms and "н/а" not in ms and "незач" not in ms)
    quality = sum(1 for ms in by_pupil.values()
                  if all(m in ("4", "5") for m in ms if m.isdigit()) and "2" not in ms and "незач" not in ms)
    name, on_list, with_marks, m5, m4, m3, m2, na, success_pct, quality_pct, average = line[:11]
    assert name == cls["name"] and on_list == len(pupils) and with_marks == len(by_pupil)
    assert (m5, m4, m3, m2) == tuple(numeric.count(k) for k in (5, 4, 3, 2))
    assert success_pct == (Decimal(100 * success) / len(by_pupil)).quantize(Decimal("0.1"))
    assert quality_pct == (Decimal(100 * quality) / len(by_pupil)).quantize(Decimal("0.1"))
    assert average == (Decimal(sum(numeric)) / len(numeric)).quantize(Decimal("0.01"))
    excellent, good, one4, one3, failing, na_pupils = line[11:]
    assert excellent + good == quality and failing == len(by_pupil) - success - na_pupils
    listed = {s.title.split(":")[0]: list(s.rows) for s in report.sections[1:]}
    assert len(listed["Отличники"]) == excellent and len(listed["С одной «4»"]) == one4
    assert len(listed["Неуспевающие"]) == failing


async def test_the_school_line_adds_up_its_classes(sqlite_db):
    await demo_school("M", 2026)
    year, _ = await _last_year_class()
    report = await performance(Scope("school", year), None, TODAY)
    lines, totals = list(report.sections[0].rows), report.sections[0].totals
    assert len(lines) > 3
    for i in (1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16):
        assert totals[i] == sum(line[i] for line in lines), report.sections[0].columns[i].title


async def test_a_period_that_has_not_started_says_so(sqlite_db):
    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    later = [p for p in await queries.periods(year["id"]) if p["starts_on"] > TODAY][0]
    report = await performance(Scope("school", year), later, TODAY)
    assert any("ещё не начался" in n for n in report.sections[0].notes)
    assert all(line[2] == 0 for line in report.sections[0].rows)  # nobody has finals


async def test_the_summary_sheet_holds_every_final_of_the_class_once(db):
    """R-REP-1: a line per pupil and period, «Год» and «Экзамен»; every period, year and exam
    final of the class's pupils in its place; the council's decision on the year line; two
    signature lines and the stamp."""
    await demo_school("S", 2026)
    year, cls = await _last_year_class()
    report = await summary_sheet(Scope("class", year, cls["grade"], cls["id"], cls["name"]), TODAY)
    section = report.sections[0]
    rows = list(section.rows)
    subjects = [c.title for c in section.columns[3:-1]]
    periods = [p for p in await queries.periods(year["id"]) if p["grade_from"] <= cls["grade"] <= p["grade_to"]]
    pupils = await _rows("SELECT DISTINCT student FROM enrolment WHERE school_class = {}", cls["id"])
    lines = len(periods) + 1 + (1 if any(r[2] == "Экзамен" for r in rows) else 0)
    assert len(rows) == len(pupils) * lines
    filled = sum(1 for r in rows for v in r[3:-1] if v)
    finals = await _rows(
        "SELECT COUNT(*) AS n FROM final_grade WHERE year = {} AND kind IN ('period', 'year', 'exam') AND student IN "
        "(SELECT student FROM enrolment WHERE school_class = {})", year["id"], cls["id"])
    assert filled == finals[0]["n"] > 0
    assert len(subjects) == len(set(subjects))
    year_lines = [r for r in rows if r[2] == "Год"]
    assert sum(1 for r in year_lines if "приказ №" in r[-1]) >= len(year_lines) - 2  # promoted or graduated
    assert report.signatures == ["Классный руководитель", "Директор школы"] and report.stamp and report.landscape


async def test_attendance_of_a_class_matches_its_absences(db):
    """R-REP-3: per pupil of a class in a month, lessons missed by reason and lateness equal the
    attendance rows of their lessons that month counted here; the class line is their sum; a day
    counts as missed only when every class lesson of the day was missed."""
    from service.reports.attendance import attendance

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {}", year["id"]))[0]
    start, end, span = queries.span_of(year, None, "2026-11")
    assert (start, end, span) == (date(2026, 11, 1), date(2026, 11, 30), "ноябрь 2026")
    report = await attendance(Scope("class", year, cls["grade"], cls["id"], cls["name"]), start, end, span, TODAY)
    [line] = list(report.sections[0].rows)
    pupils = list(report.sections[1].rows)
    raw = await _rows("SELECT a.student, a.kind FROM attendance a JOIN lesson l ON l.id = a.lesson "
                      "WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled", start, end)
    kinds = [r["kind"] for r in raw]
    assert line[2] == sum(kinds.count(k) for k in ("ill", "excused", "unexcused", "absent")) > 0
    assert line[3:7] == [kinds.count(k) for k in ("ill", "excused", "unexcused", "absent")]
    assert line[8] == kinds.count("late")
    for i in range(2, 9):
        assert line[i] == sum(p[i - 1] for p in pupils)
    assert 0 < line[7] <= line[2]  # days missed: some, never more than lessons missed
    with pytest.raises(ValueError):
        queries.span_of(year, None, "2030-01")
    with pytest.raises(ValueError):
        queries.span_of(year, None, "2026-13")


async def test_programme_completion_counts_hours_lessons_and_missed_topics(db):
    """R-REP-4: a journal's КТП hours in total and up to the day, the lessons held, the lag and
    the per cent; every topic whose planned date has passed and that no lesson took is listed.
    The demo's plans have no dates: one plan is given dates here, half of them in the past."""
    from service.reports.completion import completion

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {}", year["id"]))[0]
    plan = (await _rows("SELECT p.id, p.subject, p.total_hours, s.name FROM thematic_plan p JOIN subject s "
                        "ON s.id = p.subject WHERE p.year = {} AND p.school_class = {} AND p.replaced_at IS NULL "
                        "ORDER BY p.id LIMIT 1", year["id"], cls["id"]))[0]
    items = await _rows("SELECT id, number, hours FROM plan_item WHERE plan = {} ORDER BY number", plan["id"])
    for i, item in enumerate(items):
        await Lesson.raw("UPDATE plan_item SET planned_on = {} WHERE id = {}",
                         date(2026, 9, 1) if i < len(items) // 2 else date(2027, 5, 20), item["id"]).run()
    report = await completion(Scope("class", year, cls["grade"], cls["id"], cls["name"]), TODAY)
    line = next(r for r in report.sections[0].rows if r[0] == cls["name"] and r[1] == plan["name"])
    due = sum(item["hours"] for item in items[: len(items) // 2])
    held = (await _rows("SELECT COUNT(*) AS n FROM lesson WHERE school_class = {} AND subject = {} AND study_group "
                        "IS NULL AND student IS NULL AND NOT cancelled AND on_date >= {} AND on_date <= {}",
                        cls["id"], plan["subject"], year["starts_on"], TODAY))[0]["n"]
    assert due > 0 and line[4:8] == [plan["total_hours"], due, held, max(0, due - held)]
    used = {r["plan_item"] for r in await _rows("SELECT plan_item FROM lesson_entry WHERE plan_item IS NOT NULL")}
    expected = [item["number"] for item in items[: len(items) // 2] if item["id"] not in used]
    listed = [r[2] for r in report.sections[1].rows if r[1] == plan["name"]]
    assert listed == expected


async def test_a_class_journal_exports_every_grade_and_absence_in_its_cell(db):
    """Issue 11 item 9: a section per journal of the class, a column per lesson, every current
    grade and attendance mark of the month in its pupil's and lesson's cell; readable back from
    XLSX as the same table."""
    from service.reports import writers
    from service.reports.journal_export import journal_export

    await demo_school("S", 2026)
    year = (await _rows("SELECT id, name, starts_on, ends_on, is_current FROM academic_year WHERE is_current = {}",
                        True))[0]
    cls = (await _rows("SELECT id, name, grade FROM school_class WHERE year = {}", year["id"]))[0]
    start, end, span = queries.span_of(year, None, "2026-11")
    report = await journal_export(Scope("class", year, cls["grade"], cls["id"], cls["name"]), start, end, span, TODAY)
    filled = sum(len(cell.split("/")) for s in report.sections for row in s.rows for cell in row[1:] if cell)
    grades = (await _rows("SELECT COUNT(*) AS n FROM grade g JOIN lesson l ON l.id = g.lesson WHERE g.removed_at IS NULL "
                          "AND l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled AND l.student IS NULL",
                          start, end))[0]["n"]
    absences = (await _rows("SELECT COUNT(*) AS n FROM attendance a JOIN lesson l ON l.id = a.lesson "
                            "WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled AND l.student IS NULL",
                            start, end))[0]["n"]
    assert filled == grades + absences > 0
    subjects = (await _rows("SELECT COUNT(DISTINCT subject) AS n FROM lesson WHERE school_class = {} AND on_date >= {} "
                            "AND on_date <= {}", cls["id"], start, end))[0]["n"]
    assert len(report.sections) >= subjects
    import io

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(writers.write(report, "xlsx")))
    assert len(book.sheet_names) == len(report.sections)


async def test_performance_per_teacher_and_per_subject_has_a_line_per_journal(db):
    """R-REP-2 per teacher / per subject: a line per journal; each line's marks are that
    journal's finals; the finished year's teachers are those who confirmed its finals."""
    from service.reports.performance import performance_by_journal

    await demo_school("S", 2026)
    year, cls = await _last_year_class()
    subject = (await queries.subjects(year["id"]))[0]
    report = await performance_by_journal(year, None, TODAY, subject=subject)
    lines = list(report.sections[0].rows)
    finals = await _rows("SELECT mark FROM final_grade WHERE year = {} AND kind = 'year' AND subject = {}",
                         year["id"], subject["id"])
    assert lines and all(subject["name"] in line[0] for line in lines)
    assert sum(line[3] + line[4] + line[5] + line[6] for line in lines) == sum(1 for f in finals if f["mark"].isdigit())
    teacher = (await queries.teachers(year["id"]))[0]
    mine = await performance_by_journal(year, None, TODAY, teacher=teacher)
    confirmed = await _rows("SELECT DISTINCT school_class, study_group, subject FROM final_grade WHERE year = {} "
                            "AND kind = 'year' AND confirmed_by = {}", year["id"], teacher["id"])
    assert len(list(mine.sections[0].rows)) == len(confirmed) > 0
