"""Reads shared by the reports, set-based (one query for a whole school, never a query per pupil),
and the scopes a viewer may ask for: the administration (``reports.view``) any class, grade
level or the school; a class teacher (``reports.own``) their own classes. A scope the viewer may
not ask for does not exist for them (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.accounts.viewer import Viewer
from service.timetable.tables import Lesson

ALL = "reports.view"
OWN = "reports.own"
AGGREGATE = "reports.aggregate"  # the school's figures without pupils' names (the education authority)


def anonymous(viewer: Viewer) -> bool:
    """The viewer sees figures only: no report section that names pupils, no access log."""
    return viewer.can(AGGREGATE) and not viewer.can(ALL) and not viewer.can(OWN)


@dataclass(frozen=True)
class Scope:
    """What a report covers: the school, a grade level (``grade``) or a class (``class_id``)."""

    kind: str  # "school" | "grade" | "class"
    year: dict
    grade: int | None = None
    class_id: int | None = None
    class_name: str = ""

    @property
    def words(self) -> str:
        if self.kind == "class":
            return f"{self.class_name}, {self.year['name']} учебный год"
        if self.kind == "grade":
            return f"{self.grade}-е классы, {self.year['name']} учебный год"
        return f"вся школа, {self.year['name']} учебный год"


async def years() -> list[dict]:
    return await Lesson.raw("SELECT id, name, starts_on, ends_on, is_current FROM academic_year "
                            "ORDER BY starts_on DESC").run()


async def classes(viewer: Viewer, year_id: int) -> list[dict]:
    """The classes of the year the viewer may report on (the administration: all; a class
    teacher: their own)."""
    if viewer.can(ALL) or anonymous(viewer):
        return await Lesson.raw("SELECT id, name, grade, letter, class_teacher FROM school_class WHERE year = {} "
                                "ORDER BY grade, letter, name", year_id).run()
    if viewer.can(OWN) and viewer.person_id is not None:
        return await Lesson.raw("SELECT id, name, grade, letter, class_teacher FROM school_class WHERE year = {} "
                                "AND class_teacher = {} ORDER BY grade, letter, name", year_id, viewer.person_id).run()
    return []


async def teachers(year_id: int) -> list[dict]:
    """Everyone with teaching load in the year."""
    return await Lesson.raw(
        "SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name FROM teaching_load t "
        "JOIN person p ON p.id = t.teacher LEFT JOIN school_class c ON c.id = t.school_class "
        "LEFT JOIN study_group g ON g.id = t.study_group WHERE COALESCE(c.year, g.year) = {} "
        # a finished year keeps no load: its teachers are those who confirmed its finals
        "UNION SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name FROM final_grade f "
        "JOIN person p ON p.id = f.confirmed_by WHERE f.year = {} "
        "ORDER BY 2, 3, 4, 1", year_id, year_id).run()


async def subjects(year_id: int) -> list[dict]:
    """The subjects taught in the year."""
    return await Lesson.raw(
        "SELECT DISTINCT s.id, s.name FROM teaching_load t JOIN subject s ON s.id = t.subject "
        "LEFT JOIN school_class c ON c.id = t.school_class LEFT JOIN study_group g ON g.id = t.study_group "
        "WHERE COALESCE(c.year, g.year) = {} UNION SELECT DISTINCT s.id, s.name FROM final_grade f "
        "JOIN subject s ON s.id = f.subject WHERE f.year = {} ORDER BY 2", year_id, year_id).run()


async def periods(year_id: int) -> list[dict]:
    return await Lesson.raw("SELECT id, name, number, scheme, grade_from, grade_to, starts_on, ends_on "
                            "FROM study_period WHERE year = {} ORDER BY starts_on, grade_from", year_id).run()


MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь")


def span_of(year: dict, period: dict | None, month: str = "") -> tuple[date, date, str]:
    """The dates a report covers and their name: a month «ГГГГ-ММ» of the year, a study period,
    or the whole year. ``ValueError`` for a month that is not «ГГГГ-ММ» or outside the year."""
    if month:
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
            raise ValueError("Месяц: в виде ГГГГ-ММ")
        y, m = int(month[:4]), int(month[5:])
        if not 1 <= m <= 12:
            raise ValueError("Месяц: от 01 до 12")
        first = date(y, m, 1)
        last = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        if last < year["starts_on"] or first > year["ends_on"]:
            raise ValueError(f"Месяц: вне {year['name']} учебного года")
        return max(first, year["starts_on"]), min(last, year["ends_on"]), f"{MONTHS[m - 1]} {y}"
    if period is not None:
        return period["starts_on"], period["ends_on"], period["name"]
    return year["starts_on"], year["ends_on"], "учебный год"


def report_day(year: dict, today: date) -> date:
    """The day whose class lists a report of the year uses: its last day, or today while it runs."""
    return min(year["ends_on"], today)


_PUPILS_SQL = """
SELECT e.student AS id, p.last_name, p.first_name, p.middle_name, c.id AS class_id, c.name AS class_name,
       c.grade AS grade, c.letter AS letter
FROM enrolment e
JOIN school_class c ON c.id = e.school_class AND c.year = {}
JOIN person p ON p.id = e.student
WHERE e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {}) %s
ORDER BY c.grade, c.letter, c.name, p.last_name, p.first_name, p.middle_name, e.student
"""


async def pupils(scope: Scope, day: date, grade_from: int = 1, grade_to: int = 11) -> list[dict]:
    """The pupils of the scope on ``day`` (one row each, in class order), grades within range."""
    where, args = "AND c.grade >= {} AND c.grade <= {}", [grade_from, grade_to]
    if scope.kind == "class":
        where += " AND c.id = {}"
        args.append(scope.class_id)
    elif scope.kind == "grade":
        where += " AND c.grade = {}"
        args.append(scope.grade)
    return await Lesson.raw(_PUPILS_SQL % where, scope.year["id"], day, day, *args).run()


_FINALS_SQL = """
SELECT f.student AS student, f.subject AS subject, s.name AS subject_name, s.short_name AS subject_short,
       f.kind AS kind, f.period AS period, f.school_class AS school_class, f.study_group AS study_group,
       f.confirmed_by AS confirmed_by,
       f.mark AS mark, g.kind AS system_kind, g.low AS low, g.high AS high, g.pass_from AS pass_from,
       gm.passing AS mark_passing
FROM final_grade f
JOIN subject s ON s.id = f.subject
JOIN grading_system g ON g.id = f.system
LEFT JOIN grading_mark gm ON gm.system = f.system AND gm.text = f.mark
WHERE f.year = {} %s
ORDER BY f.student, s.name, f.subject, f.confirmed_at
"""


async def finals(year_id: int, *, kinds: tuple[str, ...], period: int | None = None,
                 class_id: int | None = None, grade: int | None = None) -> list[dict]:
    """Confirmed finals of the year of ``kinds`` («period», «year», «exam»), of one period when
    given; of the pupils enrolled in one class or grade level of the year when given. One query."""
    where = f" AND f.kind IN ({', '.join('{}' for _ in kinds)})"
    args: list = [year_id, *kinds]
    if period is not None:
        where += " AND f.period = {}"
        args.append(period)
    if class_id is not None or grade is not None:
        where += (" AND f.student IN (SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class "
                  "WHERE c.year = {}" + (" AND c.id = {}" if class_id is not None else " AND c.grade = {}") + ")")
        args += [year_id, class_id if class_id is not None else grade]
    return await Lesson.raw(_FINALS_SQL % where, *args).run()
