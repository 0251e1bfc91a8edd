"""The timetable weeks people see: a class's, a teacher's, a room's and a student's week of
dated lessons, Monday–Saturday, with the bell times of each day and the changes for a date
marked (R-TT-2, R-TT-3). Every read is scoped by the viewer; a week costs the same few queries
whatever the size of the school, and its grid is built here, not in the template.

Who sees what:
- a class, teacher or room week: holders of ``timetable.view``; without it a class teacher their
  own class and a teacher their own week (anything else is 404);
- a student's week: the student, their parents (``ParentLink``), holders of ``timetable.view``.

An individual lesson (home schooling) tells of the student's health (152-ФЗ): only the student,
their parents, the lesson's teacher and holders of ``timetable.home`` see it; in a teacher's or
a room's week anyone else sees the time as «занят», and a student's week shown to other staff
leaves it out (and shows the class lessons as if the student were not on home schooling)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import Markup, escape

from service.accounts.viewer import Viewer
from service.school.queries import in_force
from service.school.rules import Day
from service.school.tables import SchoolClass
from service.timetable import rules

KINDS = ("class", "teacher", "room", "student")
DAYS_SHOWN = 6  # Monday–Saturday
MAX_LESSONS = 1000  # a week of one class, teacher, room or student is far below this
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
          "сентября", "октября", "ноября", "декабря")
TEACHER_ROLES = ("teacher", "class_teacher")


def week_of(day: date) -> date:
    """The Monday of the week a date belongs to; a Sunday looks ahead to the coming week."""
    return rules.monday(day + timedelta(days=1) if day.isoweekday() == 7 else day)


def short_name(last: str | None, first: str | None, middle: str | None) -> str:
    """«Кузнецов О. И.»."""
    initials = " ".join(f"{n[0]}." for n in (first, middle) if n)
    return f"{last} {initials}".strip() if last else ""


def room_text(name: str | None) -> str:
    """«каб. 12», or a room's own name («Спортзал»)."""
    if not name:
        return ""
    return f"каб. {name}" if name[0].isdigit() else name


def _in_force_on(alias: str, day_column: str) -> str:
    """The one rule of a dated row in force (service.school.queries.in_force), on each
    lesson's own date instead of a date passed in."""
    return in_force(alias).format(day_column, day_column)


# --- whose week: the header row, or None when the viewer may not see it (→ 404) -------------


@dataclass(frozen=True)
class Whose:
    kind: str  # "class" | "teacher" | "room" | "student"
    id: int
    title: str  # «5А класс», «Кузнецов Олег Иванович», «Кабинет 12», «Морозов Артём, 5А»
    grade: int | None = None  # the class's grade, for the holidays of its calendar
    private: bool = False  # a student's week: the viewer may see their home schooling
    parent: bool = False  # the viewer is one of the student's parents


def _full(row: dict, prefix: str = "") -> str:
    return " ".join(x for x in (row[f"{prefix}last_name"], row[f"{prefix}first_name"],
                                row[f"{prefix}middle_name"]) if x)


async def whose_class(viewer: Viewer, class_id: int) -> Whose | None:
    rows = await SchoolClass.raw(
        "SELECT id, name, grade, class_teacher FROM school_class WHERE id = {}", class_id).run()
    if not rows:
        return None
    row = rows[0]
    if not (viewer.can("timetable.view") or (
            viewer.person_id is not None and row["class_teacher"] == viewer.person_id)):
        return None
    return Whose("class", row["id"], f"{row['name']} класс", grade=row["grade"])


_TEACHER_SQL = """
SELECT p.id, p.last_name, p.first_name, p.middle_name
FROM person p
WHERE p.id = {} AND (EXISTS (SELECT 1 FROM teaching_load t WHERE t.teacher = p.id)
                     OR EXISTS (SELECT 1 FROM timetable_slot s WHERE s.teacher = p.id)
                     OR EXISTS (SELECT 1 FROM lesson l WHERE l.teacher = p.id)
                     OR EXISTS (SELECT 1 FROM lesson l WHERE l.taught_by = p.id)
                     OR EXISTS (SELECT 1 FROM staff_member m WHERE m.person = p.id))
"""


async def whose_teacher(viewer: Viewer, person_id: int) -> Whose | None:
    """A teacher's week: any member of staff who teaches (or is on the staff), for holders of
    ``timetable.view``; one's own week for everyone who teaches."""
    if not (viewer.can("timetable.view") or person_id == viewer.person_id):
        return None
    rows = await SchoolClass.raw(_TEACHER_SQL, person_id).run()
    if not rows and person_id == viewer.person_id and set(viewer.roles) & set(TEACHER_ROLES):
        rows = await SchoolClass.raw("SELECT id, last_name, first_name, middle_name FROM person "
                                     "WHERE id = {}", person_id).run()
    if not rows:
        return None
    return Whose("teacher", person_id, _full(rows[0]))


async def whose_room(viewer: Viewer, room_id: int) -> Whose | None:
    if not viewer.can("timetable.view"):
        return None
    rows = await SchoolClass.raw("SELECT id, name FROM room WHERE id = {}", room_id).run()
    if not rows:
        return None
    name = rows[0]["name"]
    return Whose("room", room_id, f"Кабинет {name}" if name[:1].isdigit() else name)


_STUDENT_SQL = f"""
SELECT p.id, p.last_name, p.first_name, p.middle_name, c.name AS class_name, c.grade,
       EXISTS (SELECT 1 FROM parent_link k WHERE k.child = p.id AND k.parent = {{}}) AS is_parent,
       (EXISTS (SELECT 1 FROM enrolment x WHERE x.student = p.id)
        OR EXISTS (SELECT 1 FROM group_member y WHERE y.student = p.id)
        OR EXISTS (SELECT 1 FROM lesson z WHERE z.student = p.id)) AS is_student
FROM person p
LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
LEFT JOIN school_class c ON c.id = e.school_class
WHERE p.id = {{}}
"""


async def whose_student(viewer: Viewer, person_id: int, day: date) -> Whose | None:
    """A student's week: the student, a parent, or a holder of ``timetable.view`` (who must be
    looking at a student, not at any person)."""
    rows = await SchoolClass.raw(_STUDENT_SQL, viewer.person_id or 0, day, day, person_id).run()
    if not rows:
        return None
    row = rows[0]
    is_self = viewer.person_id is not None and viewer.person_id == person_id
    parent = bool(row["is_parent"])
    if not (is_self or parent or (viewer.can("timetable.view") and row["is_student"])):
        return None
    name = f"{row['last_name']} {row['first_name']}"
    title = f"{name}, {row['class_name']}" if row["class_name"] else name
    return Whose("student", person_id, title, grade=row["grade"],
                 private=is_self or parent or viewer.can("timetable.home"), parent=parent)


# --- the lessons -----------------------------------------------------------------------------

LESSON_COLUMNS = """
SELECT l.id, l.on_date, l.number, l.school_class, l.study_group, l.student, l.teacher,
       l.taught_by, l.room, l.cancelled, l.combined, l.room_changed, l.extra, l.moved_from,
       l.moved_from_number, l.change_note, l.changed_at, l.revision,
       s.name AS subject_name, c.name AS class_name, g.name AS group_name,
       COALESCE(c.name, gc.name) AS class_of_group, r.name AS room_name,
       t.last_name AS t_last, t.first_name AS t_first, t.middle_name AS t_middle,
       b.last_name AS b_last, b.first_name AS b_first, b.middle_name AS b_middle,
       st.last_name AS s_last, st.first_name AS s_first, st.middle_name AS s_middle
       {extra}
FROM lesson l
JOIN subject s ON s.id = l.subject
JOIN person t ON t.id = l.teacher
JOIN person b ON b.id = l.taught_by
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
LEFT JOIN room r ON r.id = l.room
LEFT JOIN person st ON st.id = l.student
WHERE l.on_date >= {{}} AND l.on_date <= {{}} AND ({where})
ORDER BY l.on_date, l.number, COALESCE(c.name, gc.name), g.name, l.id
LIMIT {limit}
"""


def student_where() -> tuple[str, str, int]:
    """SQL for a student's lessons (its condition and an ``excluded`` column) and how many
    times the student's id is passed (the condition's, then the column's): the individual lessons, the lessons of the class they
    are enrolled in on each date (whole-class ones), of the groups they belong to on that date.
    ``excluded``: a class or subgroup lesson of a subject they are taken out of by home
    schooling on that date (none listed: every subject)."""
    # first an index-friendly cut (the lessons of any class or group the student was ever in:
    # hashed once), so that the exact rules on each lesson's date run on a few dozen lessons, not
    # on the whole school's week (L school: 2,500 lessons a week, 30 ms → under 2)
    where = f"""(l.student = {{}}
        OR l.school_class IN (SELECT e.school_class FROM enrolment e WHERE e.student = {{}})
        OR l.study_group IN (SELECT gm.study_group FROM group_member gm WHERE gm.student = {{}}))
        AND (l.student = {{}}
        OR (l.student IS NULL AND l.study_group IS NULL AND EXISTS (
            SELECT 1 FROM enrolment e WHERE e.student = {{}} AND e.school_class = l.school_class
            AND {_in_force_on("e", "l.on_date")}))
        OR (l.student IS NULL AND EXISTS (
            SELECT 1 FROM group_member m WHERE m.student = {{}} AND m.study_group = l.study_group
            AND {_in_force_on("m", "l.on_date")})))"""
    excluded = f""", (l.student IS NULL AND l.school_class IS NOT NULL AND EXISTS (
            SELECT 1 FROM home_schooling h
            WHERE h.student = {{}} AND {_in_force_on("h", "l.on_date")}
            AND (NOT EXISTS (SELECT 1 FROM home_schooling_subject hs WHERE hs.home_schooling = h.id)
                 OR EXISTS (SELECT 1 FROM home_schooling_subject hs
                            WHERE hs.home_schooling = h.id AND hs.subject = l.subject))))
        AS excluded"""
    return where, excluded, where.count("{}") + excluded.count("{}")


_WHERE = {
    "class": ("(l.school_class = {} OR g.school_class = {}) AND l.student IS NULL", 2),
    "teacher": ("l.teacher = {} OR l.taught_by = {}", 2),
    "room": ("l.room = {}", 1),
}


async def week_lessons(whose: Whose, first: date, last: date) -> list[dict]:
    """The dated lessons of a class, teacher, room or student, ``first``–``last`` (1 query)."""
    if whose.kind == "student":
        where, extra, times = student_where()
    else:
        (where, times), extra = _WHERE[whose.kind], ""
    sql = LESSON_COLUMNS.format(extra=extra, where=where, limit=MAX_LESSONS)
    # the ``excluded`` column's argument comes first (it is in the SELECT list)
    before = [whose.id] if extra else []
    args = [*before, first, last] + [whose.id] * (times - len(before))
    rows = await SchoolClass.raw(sql, *args).run()
    for r in rows:
        r["excluded"] = bool(r.get("excluded"))
    return rows


# --- bells, special days, the week's A/B letter ----------------------------------------------


@dataclass
class Calendar:
    """What the dates of a span need besides lessons: bells, special days, holidays, versions."""

    # schedule → lesson number → (start, end); (year, weekday) → schedule
    bells: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)
    by_weekday: dict[tuple[int, int], int] = field(default_factory=dict)
    days: dict[date, dict] = field(default_factory=dict)  # DaySetting rows by date
    years: list[dict] = field(default_factory=list)
    school_days: list[dict] = field(default_factory=list)  # CalendarDay rows of those years
    versions: list[dict] = field(default_factory=list)

    def year_of(self, day: date) -> dict | None:
        return next((y for y in self.years if y["starts_on"] <= day <= y["ends_on"]), None)

    def bells_on(self, day: date) -> dict[int, tuple[int, int]]:
        """Number → (start, end) on a date: a special day's schedule, else the schedule of its
        weekday (of the weekday it follows, for a moved working day)."""
        setting = self.days.get(day)
        if setting is not None and setting["schedule"] is not None:
            return self.bells.get(setting["schedule"], {})
        year = self.year_of(day)
        if year is None:
            return {}
        weekday = setting["as_weekday"] if setting and setting["as_weekday"] else day.isoweekday()
        schedule = self.by_weekday.get((year["id"], weekday))
        return self.bells.get(schedule, {}) if schedule else {}

    def notes_on(self, day: date, grade: int | None) -> list[str]:
        """«Осенние каникулы», «сокращённый день», «по расписанию понедельника»."""
        notes = [d["name"] for d in self.school_days
                 if d["kind"] in ("holidays", "day_off") and d["starts_on"] <= day <= d["ends_on"]
                 and (d["grade_from"] <= grade <= d["grade_to"] if grade
                      else d["grade_from"] <= 1 and d["grade_to"] >= 11)]
        setting = self.days.get(day)
        if setting is not None:
            if setting["note"]:
                notes.append(setting["note"])
            if setting["as_weekday"] and setting["as_weekday"] != day.isoweekday():
                notes.append(f"по расписанию: {rules.WEEKDAYS[setting['as_weekday']]}")
        return notes

    def week_letter(self, monday: date) -> str:
        """«A» or «B» when the version in force that week has a two-week cycle, else ""."""
        sunday = monday + timedelta(days=6)
        live = [v for v in self.versions
                if v["starts_on"] <= sunday and (v["ends_on"] is None or v["ends_on"] >= monday)]
        if not live:
            return ""
        # the one in force on the Monday, else the one that starts during the week
        version = next((v for v in live if v["starts_on"] <= monday), live[-1])
        if version["cycle"] != 2:
            return ""
        skipped: list[date] = []
        year = next((y for y in self.years if y["id"] == version["year"]), None)
        if version["skip_holiday_weeks"] and year is not None:
            mine = [Day(d["kind"], d["name"], d["grade_from"], d["grade_to"], d["starts_on"],
                        d["ends_on"]) for d in self.school_days if d["year"] == year["id"]]
            skipped = rules.weeks_without_school(year["starts_on"], year["ends_on"], mine)
        kind = rules.week_type(monday, version["cycle"], version["anchor"], skipped)
        return rules.WEEK_LETTERS[kind]


async def calendar(first: date, last: date, *, versions: bool = True) -> Calendar:
    """Bells, special days, holidays and timetable versions for ``first``–``last`` (4–5 queries,
    whatever the span)."""
    cal = Calendar()
    cal.years = await SchoolClass.raw(
        "SELECT id, starts_on, ends_on FROM academic_year WHERE starts_on <= {} AND ends_on >= {} "
        "ORDER BY starts_on", last, first).run()
    if not cal.years:
        return cal
    ids = ", ".join(str(int(y["id"])) for y in cal.years)
    rows = await SchoolClass.raw(
        f"""SELECT s.id AS schedule, s.year, s.weekdays, b.number, b.starts_at, b.ends_at
            FROM bell_schedule s JOIN bell_time b ON b.schedule = s.id
            WHERE s.year IN ({ids})""").run()
    for r in rows:
        cal.bells.setdefault(r["schedule"], {})[r["number"]] = (r["starts_at"], r["ends_at"])
        for ch in r["weekdays"] or "":
            if ch.isdigit():
                cal.by_weekday[(r["year"], int(ch))] = r["schedule"]
    cal.days = {r["on_date"]: r for r in await SchoolClass.raw(
        "SELECT on_date, schedule, as_weekday, note FROM day_setting "
        "WHERE on_date >= {} AND on_date <= {}", first, last).run()}
    cal.school_days = await SchoolClass.raw(
        f"SELECT year, kind, name, grade_from, grade_to, starts_on, ends_on FROM calendar_day "
        f"WHERE year IN ({ids})").run()
    if versions:
        cal.versions = await SchoolClass.raw(
            "SELECT id, year, starts_on, ends_on, cycle, anchor, skip_holiday_weeks FROM timetable "
            "WHERE starts_on <= {} AND (ends_on IS NULL OR ends_on >= {}) ORDER BY starts_on",
            last, first).run()
    return cal


# --- the grid ----------------------------------------------------------------------------------


def day_month(day: date) -> str:
    return f"{day:%d.%m}"


def changes_of(lesson: dict, whose_kind: str | None = None,
               whose_id: int | None = None) -> list[str]:
    """What was changed for the date, as the marks a user reads: «замена: Кузнецов О. И.»,
    «совмещение», «отменён», «кабинет изменён», «перенесён с 24.11, 3-й урок»,
    «дополнительный урок»."""
    marks = []
    if lesson["cancelled"]:
        marks.append("отменён")
    if lesson["taught_by"] != lesson["teacher"]:
        who = short_name(lesson["b_last"], lesson["b_first"], lesson["b_middle"])
        planned = short_name(lesson["t_last"], lesson["t_first"], lesson["t_middle"])
        word = "совмещение" if lesson["combined"] else "замена"
        if whose_kind == "teacher" and whose_id == lesson["taught_by"]:
            marks.append(f"{word}: вместо {planned}")
        else:
            marks.append(f"{word}: {who}")
    elif lesson["combined"]:
        marks.append("совмещение")
    if lesson["room_changed"]:
        marks.append("кабинет изменён")
    if lesson["moved_from"] is not None:
        number = lesson["moved_from_number"]
        marks.append(f"перенесён с {day_month(lesson['moved_from'])}"
                     + (f", {rules.lesson_name(number)}" if number is not None else ""))
    if lesson["extra"]:
        marks.append("дополнительный урок")
    return marks


def _times(times: tuple[int, int] | None) -> str:
    return f"{rules.time_text(times[0])}–{rules.time_text(times[1])}" if times else ""


def may_see_individual(viewer: Viewer, lesson: dict, whose: Whose) -> bool:
    """An individual (home schooling) lesson: the student, their parents, its teacher and
    holders of ``timetable.home``."""
    if whose.kind == "student" and whose.private:
        return True
    return viewer.can("timetable.home") or viewer.person_id in (
        lesson["teacher"], lesson["taught_by"], lesson["student"])


def cell_of(lesson: dict, whose: Whose, viewer: Viewer, times: tuple[int, int] | None) -> dict:
    """One lesson as the grid shows it: a title, lines (who, where), the change marks."""
    time = _times(times)
    if lesson["student"] is not None and not may_see_individual(viewer, lesson, whose):
        return {"id": lesson["id"], "time": time, "title": "занят", "lines": [], "marks": [],
                "cancelled": False, "changed": False, "busy": True, "note": "", "href": None}
    teacher = short_name(lesson["b_last"], lesson["b_first"], lesson["b_middle"])
    group = lesson["group_name"]
    if lesson["student"] is not None:
        student = short_name(lesson["s_last"], lesson["s_first"], lesson["s_middle"])
        target = f"индивидуально: {student}"
    else:
        target = group or lesson["class_name"] or ""
    lines = {
        "class": [group or "", teacher, room_text(lesson["room_name"])],
        "teacher": [target, room_text(lesson["room_name"])],
        "room": [target, teacher],
        "student": [group if group and lesson["student"] is None else "", teacher,
                    room_text(lesson["room_name"])],
    }[whose.kind]
    if whose.kind == "student" and lesson["student"] is not None:
        lines[0] = "индивидуальное занятие"
    marks = changes_of(lesson, whose.kind, whose.id)
    return {"id": lesson["id"], "time": time, "title": lesson["subject_name"],
            "lines": [x for x in lines if x], "marks": marks,
            "cancelled": bool(lesson["cancelled"]), "changed": bool(marks), "busy": False,
            "note": lesson["change_note"] or "", "href": None}


def lesson_html(cell: dict) -> Markup:
    """A cell's lesson as HTML, built here once rather than by per-cell template logic (the
    week shows it twice: as a table and, on a phone, day by day)."""
    classes = "tt-lesson" + "".join(f" {c}" for c, on in (("tt-cancelled", cell["cancelled"]),
                                                        ("tt-changed", cell["changed"]),
                                                        ("tt-busy", cell["busy"])) if on)
    title = escape(cell["title"])
    if cell["cancelled"]:
        title = Markup("<s>") + title + Markup("</s>")
    parts = [Markup('<div class="{}">').format(classes)]
    if cell["time"]:
        parts.append(Markup('<span class="tt-time">{}</span>').format(cell["time"]))
    if cell["href"]:
        parts.append(Markup('<a class="tt-title" href="{}">{}</a>').format(cell["href"], title))
    else:
        parts.append(Markup('<span class="tt-title">{}</span>').format(title))
    parts += [Markup('<span class="tt-line">{}</span>').format(line) for line in cell["lines"]]
    parts += [Markup('<span class="tt-mark">{}</span>').format(mark) for mark in cell["marks"]]
    if cell["note"]:
        parts.append(Markup('<span class="tt-line muted">{}</span>').format(cell["note"]))
    parts.append(Markup("</div>"))
    return Markup("").join(parts)


def visible(lessons: list[dict], whose: Whose, viewer: Viewer) -> list[dict]:
    """A student's week: the lessons the viewer may know of (see the module's docstring)."""
    if whose.kind != "student":
        return lessons
    if whose.private:
        return [x for x in lessons if not x["excluded"]]
    return [x for x in lessons if x["student"] is None or may_see_individual(viewer, x, whose)]


def build_week(whose: Whose, viewer: Viewer, monday: date, lessons: list[dict], cal: Calendar,
               today: date, changes_link: bool = False) -> dict:
    """The week as the template lays it out: days (columns) and lesson numbers (rows), each
    cell a list of lesson dicts; ghosts at the old place of a lesson moved within the week."""
    days = [monday + timedelta(days=i) for i in range(DAYS_SHOWN)]
    lessons = visible(lessons, whose, viewer)
    cells: dict[tuple[date, int], list[dict]] = defaultdict(list)
    for lesson in lessons:
        day, number = lesson["on_date"], lesson["number"]
        cell = cell_of(lesson, whose, viewer, cal.bells_on(day).get(number))
        if changes_link and not cell["busy"]:
            cell["href"] = f"/timetable/changes?day={day.isoformat()}"
        cells[(day, number)].append(cell)
        moved = lesson["moved_from"]
        if (moved is not None and monday <= moved < monday + timedelta(days=DAYS_SHOWN)
                and lesson["moved_from_number"] is not None and not cell["busy"]):
            times = cal.bells_on(moved).get(lesson["moved_from_number"])
            cells[(moved, lesson["moved_from_number"])].append({
                **cell, "time": _times(times),
                "marks": [f"перенесён на {day_month(day)}, {rules.lesson_name(number)}"],
                "cancelled": True, "changed": True, "href": None, "note": ""})
    saturday = days[-1]
    if not any(d == saturday for d, _ in cells) and not cal.bells_on(saturday):
        days = days[:-1]
    numbers = sorted({n for _, n in cells})
    if numbers:
        numbers = list(range(min(numbers[0], 1), numbers[-1] + 1))
    columns = [{"date": d, "weekday": rules.WEEKDAYS_SHORT[d.isoweekday()],
                "label": f"{rules.WEEKDAYS[d.isoweekday()]}, {day_month(d)}",
                "short": f"{rules.WEEKDAYS_SHORT[d.isoweekday()]} {day_month(d)}",
                "today": d == today, "notes": cal.notes_on(d, whose.grade)} for d in days]
    for cell in (c for group in cells.values() for c in group):
        cell["html"] = lesson_html(cell)
    rows = [{"number": n, "label": "0" if n == 0 else str(n),
             "cells": [cells.get((d, n), []) for d in days]} for n in numbers]
    last = days[-1]
    ends = f"{last.day} {MONTHS[last.month - 1]} {last.year}"
    span = (f"{monday.day}–{ends}" if monday.month == last.month
            else f"{monday.day} {MONTHS[monday.month - 1]} – {ends}")
    return {"monday": monday, "span": span, "letter": cal.week_letter(monday), "columns": columns,
            "rows": rows, "count": sum(1 for x in lessons if not x["cancelled"]),
            "prev": (monday - timedelta(days=7)).isoformat(),
            "next": (monday + timedelta(days=7)).isoformat(),
            "is_current": monday == week_of(today)}


def shown_students(grid_lessons: list[dict], whose: Whose, viewer: Viewer) -> list[int]:
    """Students whose individual lessons the viewer is shown in detail (for the access log)."""
    return sorted({x["student"] for x in grid_lessons if x["student"] is not None
                   and x["student"] != viewer.person_id and may_see_individual(viewer, x, whose)})


# --- the entry page: whose weeks the viewer has, and the pickers ---------------------------


async def children(viewer: Viewer, day: date) -> list[dict]:
    """The viewer's children with their class today (1 query)."""
    if viewer.person_id is None:
        return []
    return await SchoolClass.raw(
        f"""SELECT p.id, p.last_name, p.first_name, c.name AS class_name
            FROM parent_link k JOIN person p ON p.id = k.child
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            WHERE k.parent = {{}} ORDER BY p.first_name, p.id""",
        day, day, viewer.person_id).run()


async def pickers(day: date) -> dict:
    """Every class of the current year, every teacher, every room (3 queries)."""
    classes = await SchoolClass.raw(
        """SELECT c.id, c.name FROM school_class c JOIN academic_year y ON y.id = c.year
           WHERE y.is_current = {} ORDER BY c.grade, c.letter""", True).run()
    teachers = await SchoolClass.raw(
        """SELECT p.id, p.last_name, p.first_name, p.middle_name FROM person p
           WHERE p.id IN (SELECT teacher FROM teaching_load
                          UNION SELECT teacher FROM timetable_slot)
           ORDER BY p.last_name, p.first_name, p.middle_name""").run()
    rooms = await SchoolClass.raw("SELECT id, name FROM room ORDER BY name").run()
    return {"classes": classes,
            "teachers": [{"id": t["id"], "name": _full(t)} for t in teachers],
            "rooms": [{"id": r["id"], "name": room_text(r["name"])} for r in rooms]}
