"""The journal grid's read side (R-JOURNAL-2, R-GRADE-1, R-GRADE-3, R-ATT-1): which pupils and
lessons it shows, what each cell says (attendance letter, marks, heavier kinds of work and
comments marked), which cells are closed to editing, the weighted average and the period final.
Grid contents are arranged directly here; the writers' rules are tested in test_cells."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from service.accounts.tables import Person
from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, grid
from service.journal.tables import Attendance, FinalGrade, Grade, GradingSystem, WorkKind
from service.school.tables import Enrolment
from service.timetable.tables import Lesson
from tests.journal.factories import JournalSchool, journal_school
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio


# --- arranging contents (shared with test_grid_routes) ---------------------------------------


async def add_pupils(s: JournalSchool, count: int, class_name: str = "5А", starts_on: date = date(2026, 9, 1),
                     ends_on: date | None = None, last_name: str = "Ученикова") -> list[int]:
    now = datetime.now(UTC)
    ids = []
    for i in range(count):
        ids.append((await Person.insert(Person(last_name=f"{last_name}{i:02d}" if count > 1 else last_name,
                                               first_name="Вера", created_at=now))
                    .returning(Person.id).run())[0]["id"])
    await Enrolment.insert(*[Enrolment(student=p, school_class=s.classes[class_name], starts_on=starts_on,
                                       ends_on=ends_on) for p in ids]).run()
    return ids


async def defaults() -> tuple[int, dict[str, tuple[int, Decimal]]]:
    five = (await GradingSystem.select(GradingSystem.id).where(GradingSystem.code == "5").first().run())["id"]
    kinds = {r["name"]: (r["id"], Decimal(str(r["weight"])))
             for r in await WorkKind.select(WorkKind.id, WorkKind.name, WorkKind.weight).run()}
    return five, kinds


async def add_grade(lesson: int, student: int, mark: str, work: str = "Ответ на уроке", comment: str = "",
                    position: int = 0, removed: bool = False, valued: bool = True,
                    weight: Decimal | None = None) -> None:
    five, kinds = await defaults()
    kind, work_weight = kinds[work]
    now = datetime.now(UTC)
    await Grade.insert(Grade(lesson=lesson, student=student, system=five, work_kind=kind, mark=mark,
                             value=Decimal(mark) if valued else None,
                             weight=work_weight if weight is None else weight, position=position, comment=comment,
                             created_at=now, updated_at=now, removed_at=now if removed else None)).run()


async def add_absence(lesson: int, student: int, kind: str = "absent") -> None:
    await Attendance.insert(Attendance(lesson=lesson, student=student, kind=kind,
                                       updated_at=datetime.now(UTC))).run()


async def fill(lessons: list[int], students: list[int]) -> None:
    """A grade or an absence in every cell, in bulk."""
    five, kinds = await defaults()
    kind, weight = kinds["Ответ на уроке"]
    now = datetime.now(UTC)
    grades, absences = [], []
    for i, lesson in enumerate(lessons):
        for j, student in enumerate(students):
            if (i + j) % 11 == 0:
                absences.append(Attendance(lesson=lesson, student=student, kind="absent", updated_at=now))
            else:
                mark = str(2 + (i * 7 + j * 3) % 4)
                grades.append(Grade(lesson=lesson, student=student, system=five, work_kind=kind, mark=mark,
                                    value=Decimal(mark), weight=weight, created_at=now, updated_at=now))
    if grades:
        await Grade.insert(*grades).run()
    if absences:
        await Attendance.insert(*absences).run()


async def add_final(s: JournalSchool, student: int, period: int, mark: str) -> None:
    five, _ = await defaults()
    await FinalGrade.insert(FinalGrade(
        year=s.t.year, student=student, subject=s.math.subject, school_class=s.math.owner, kind="period",
        period=period, system=five, mark=mark, value=Decimal(mark), confirmed_at=datetime.now(UTC))).run()


def teacher(s: JournalSchool, key: str = "uchitel", *rights: str) -> Viewer:
    return Viewer(s.users.get(key, 1), key, s.people[key], key, ("teacher",),
                  frozenset({"journal.teach", *rights}))


def deputy(s: JournalSchool) -> Viewer:
    return Viewer(s.users["admin"], "admin", s.people["admin"], "admin", ("deputy",),
                  frozenset({"journal.view"}))


def cell(html: str, lesson: int, student: int) -> str:
    """A writable cell: the student's row (``data-s``), the lesson's column (``data-l``)."""
    row = re.search(rf'<tr data-s="{student}"[^>]*>.*?</tr>', html)
    assert row, student
    m = re.search(rf'<td data-l="{lesson}"[^>]*>(.*?)</td>', row.group(0))
    assert m, (lesson, student)
    return m.group(0)


# --- the tests -------------------------------------------------------------------------------


def test_the_default_period_holds_today_else_the_last_begun():
    """R-JOURNAL-2: the grid opens on the period of today; between periods on the last one."""
    periods = [{"id": 1, "starts_on": date(2026, 9, 1), "ends_on": date(2026, 10, 25)},
               {"id": 2, "starts_on": date(2026, 11, 5), "ends_on": date(2026, 12, 29)}]
    assert grid.default_period(periods, date(2026, 11, 25))["id"] == 2
    assert grid.default_period(periods, date(2026, 10, 30))["id"] == 1
    assert grid.default_period(periods, date(2026, 8, 1))["id"] == 1
    assert grid.default_period(periods, date(2027, 6, 1))["id"] == 2
    assert grid.default_period([], date(2026, 8, 1)) is None


def test_a_pupil_who_came_or_left_shows_the_dates():
    """R-JOURNAL-2: a row of a pupil who joined, left or was taught at home names the dates."""
    a, b = date(2026, 11, 5), date(2026, 12, 29)
    assert grid.span_note([(date(2026, 9, 1), None)], a, b) == ""
    assert grid.span_note([(date(2026, 11, 16), None)], a, b) == "с 16.11"
    assert grid.span_note([(date(2026, 9, 1), date(2026, 11, 20))], a, b) == "по 20.11"
    assert grid.span_note([(date(2026, 9, 1), date(2026, 11, 9)), (date(2026, 11, 20), None)], a, b) == \
        "по 09.11, с 20.11"
    assert grid.span_note([(date(2026, 11, 10), date(2026, 11, 12))], a, b) == "10.11–12.11"


async def test_cells_show_attendance_marks_weights_and_comments(db):
    """R-JOURNAL-2, R-GRADE-1, R-GRADE-3, R-ATT-1: a cell reads «н 5»; a heavier kind of work
    is marked with its name and weight, a mark with a comment is marked; removed grades are gone;
    the weighted average and the period final are at the right of the row."""
    s = await journal_school()
    p1, p2 = s.people["pupil1"], s.people["pupil2"]
    d1, d2, d3 = s.lessons[date(2026, 11, 9)], s.lessons[date(2026, 11, 11)], s.lessons[date(2026, 11, 13)]
    await add_absence(d1, p1)
    await add_grade(d1, p1, "5")
    await add_grade(d2, p1, "3", work="Контрольная работа", comment="Ошибки в задаче 2 <b>")
    await add_grade(d3, p1, "2", removed=True)
    await add_grade(d3, p2, "4")
    await add_grade(d1, p2, "5", weight=Decimal(0))  # neither a weight of 0 …
    await add_grade(d2, p2, "2", valued=False)  # … nor a mark without a value counts
    await add_absence(d3, p1, "ill")
    await add_final(s, p1, s.periods[2], "4")
    g = await grid.load(teacher(s), s.math)
    assert [st.name for st in g.students] == ["Морозов Артём", "Павлова Софья"]
    assert g.text(d1, p1) == "н 5" and g.text(d3, p1) == "б" and g.text(d3, p2) == "4" and g.text(d2, p2) == "2"
    assert g.averages[p1] == Decimal("3.50")  # (5·1 + 3·3) / 4
    assert g.averages[p2] == Decimal("4.00")
    assert g.finals == {p1: "4"}
    html = grid.body_html(g)
    first = cell(html, d1, p1)
    assert 'data-v="н 5"' in first and '<i title="отсутствовал (причина не указана)">н</i>' in first
    heavy = cell(html, d2, p1)
    assert 'class="heavy note"' in heavy and "Контрольная работа, вес 3" in heavy
    assert "Ошибки в задаче 2 &lt;b&gt;" in heavy and "<b>" not in heavy.replace("<b class", "")
    assert cell(html, d3, p1).endswith(">" + '<i title="по болезни">б</i></td>')
    assert '<td class="avg">3,50</td><td class="fin">4</td>' in html
    data = grid.as_data(g)
    assert data.students[0].cells == {str(d1): "н 5", str(d2): "3", str(d3): "б"}
    assert (data.students[0].average, data.students[0].final) == ("3.50", "4")


async def test_closed_cells_future_cancelled_and_not_in_the_class(db):
    """R-JOURNAL-2, R-ATT-1: cells of a future or cancelled lesson and of a pupil who was not in
    the class that day are shown but not editable; the pupil's row names the dates."""
    s = await journal_school()
    late = (await add_pupils(s, 1, starts_on=date(2026, 11, 16), last_name="Абрамова"))[0]
    gone = (await add_pupils(s, 1, starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 10), last_name="Яковлева"))[0]
    old = (await add_pupils(s, 1, starts_on=date(2026, 9, 1), ends_on=date(2026, 10, 1), last_name="Бывшая"))[0]
    cancelled = s.lessons[date(2026, 11, 18)]
    await Lesson.update({Lesson.cancelled: True}).where(Lesson.id == cancelled).run()
    g = await grid.load(teacher(s), s.math)
    names = [(st.name, st.note) for st in g.students]
    assert names == [("Абрамова Вера", "с 16.11"), ("Морозов Артём", ""), ("Павлова Софья", ""),
                     ("Яковлева Вера", "по 10.11")]
    assert old not in {st.id for st in g.students}
    html = grid.body_html(g)
    rows = {st.id: row for st, row in zip(g.students, html.split("</tr>"), strict=False)}
    assert all(rows[st.id].startswith(f'<tr data-s="{st.id}"') for st in g.students)
    assert f'data-l="{s.lessons[date(2026, 11, 13)]}"' not in rows[late]
    assert f'data-l="{s.lessons[date(2026, 11, 16)]}"' in rows[late]
    assert f'data-l="{s.lessons[date(2026, 11, 11)]}"' not in rows[gone]
    assert f'data-l="{s.lessons[date(2026, 11, 9)]}"' in rows[gone]
    assert 'title="Не в списке в этот день"' in rows[late]
    p1 = s.people["pupil1"]
    assert f'data-l="{cancelled}"' not in html and '<td class="cancel">' in rows[p1]
    assert f'data-l="{s.lessons[date(2026, 11, 27)]}"' not in html and '<td class="future">' in rows[p1]
    assert f'data-l="{s.lessons[date(2026, 11, 25)]}"' in rows[p1]  # today's lesson
    head = grid.head_html(g)
    assert 'class="cancel"' in head and "отменён" in head and f'href="/journal/lesson/{cancelled}"' in head


async def test_who_may_edit_which_lessons(db):
    """R-SEC-3: the grid offers editing only where the cell's writer would accept it: the
    journal's teachers and a substitute for their lessons; a deputy head who only views reads."""
    s = await journal_school()
    lesson = s.lessons[date(2026, 11, 23)]
    assert all(le.writable for le in (await grid.load(teacher(s), s.math)).lessons)
    viewing = await grid.load(deputy(s), s.math)
    assert not viewing.editable and "data-l=" not in grid.body_html(viewing)
    await Lesson.update({Lesson.taught_by: s.people["other"]}).where(Lesson.id == lesson).run()
    sub = await grid.load(teacher(s, "other"), s.math)  # taught one lesson: may see the journal
    assert [le.id for le in sub.lessons if le.writable] == [lesson]
    with pytest.raises(NotFound):
        await grid.load(teacher(s, "other"), s.english.__class__("c", s.classes["6Б"], s.math.subject))


async def test_the_period_chosen_and_a_foreign_period(db):
    """R-JOURNAL-2: another period shows its own lessons; a period that is not the journal's is
    not found."""
    s = await journal_school(start=date(2026, 10, 12), end=date(2026, 11, 13))
    g = await grid.load(teacher(s), s.math, s.periods[1])
    assert g.period["name"] == "1 четверть" and {le.on_date.month for le in g.lessons} == {10}
    with pytest.raises(NotFound):
        await grid.load(teacher(s), s.math, 10_000)


async def test_the_grid_opens_on_the_period_of_today_else_the_last_begun(db, monkeypatch):
    """R-JOURNAL-2: opened without a period, the grid shows the period holding today — read with
    the journal in one statement — and, between periods, before or after the year, the one
    ``default_period`` names (a second statement), each with that period's lessons."""
    s = await journal_school(start=date(2026, 10, 12), end=date(2026, 11, 13))
    periods = (await grid.load(teacher(s), s.math, s.periods[1])).periods
    for day, statements in [(date(2026, 10, 20), 1), (date(2026, 11, 10), 1), (date(2026, 10, 30), 2),
                            (date(2026, 8, 15), 2), (date(2027, 7, 1), 2)]:
        monkeypatch.setattr(access, "school_today", lambda day=day: day)
        with counting(monkeypatch) as seen:
            g = await grid.load(teacher(s), s.math)
        expected = grid.default_period(periods, day)
        assert (g.period["id"], len(seen)) == (expected["id"], statements), day
        assert all(expected["starts_on"] <= le.on_date <= expected["ends_on"] for le in g.lessons)
        assert bool(g.lessons) == (expected["starts_on"] <= date(2026, 11, 13) and expected["ends_on"] >= date(2026, 10, 12))
        asked = await grid.load(teacher(s), s.math, expected["id"])
        assert [le.id for le in asked.lessons] == [le.id for le in g.lessons]
