"""Reads of the school's structure, scoped by the viewer."""

from __future__ import annotations

from datetime import date

from service.accounts.viewer import Viewer
from service.school.tables import AcademicYear, CalendarDay, SchoolClass, StudyPeriod


def in_force(alias: str = "") -> str:
    """SQL: the dated row (an enrolment, a teaching load, a staff post) is in force on the day
    passed as the next TWO query arguments («состоит на эту дату»). The one place this rule is
    written: ``starts_on`` inclusive, ``ends_on`` inclusive or open."""
    col = f"{alias}." if alias else ""
    return f"{col}starts_on <= {{}} AND ({col}ends_on IS NULL OR {col}ends_on >= {{}})"


def class_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """SQL (a subquery of class ids) and its arguments: the classes whose pupils the viewer may
    see — all of them, the one they lead, the ones they teach (whole or a subgroup)."""
    parts, args = [], []
    if viewer.can("people.view_all"):
        parts.append("SELECT id FROM school_class")
    if viewer.person_id is not None:
        if viewer.can("people.view_class"):
            parts.append("SELECT id FROM school_class WHERE class_teacher = {}")
            args.append(viewer.person_id)
        if viewer.can("people.view_taught"):
            # A class's load, or the load of one of its subgroups: both teach the class.
            parts.append(f"SELECT school_class FROM teaching_load WHERE teacher = {{}} "
                         f"AND school_class IS NOT NULL AND {in_force()}")
            parts.append("SELECT g.school_class FROM teaching_load t "
                         "JOIN study_group g ON g.id = t.study_group "
                         f"WHERE t.teacher = {{}} AND g.school_class IS NOT NULL AND {in_force('t')}")
            args += [viewer.person_id, today, today, viewer.person_id, today, today]
    if not parts:
        return "SELECT CAST(NULL AS INTEGER) WHERE 1 = 0", []
    return " UNION ".join(parts), args


async def current_year() -> dict | None:
    return await AcademicYear.select().where(AcademicYear.is_current.eq(True)).first().run()


async def visible_classes(viewer: Viewer, today: date) -> list[dict]:
    """Classes of the current year the viewer works with, with their pupil counts (2 queries)."""
    scope, args = class_scope(viewer, today)
    sql = f"""
    SELECT c.id, c.name, c.grade, c.letter, c.class_teacher,
           p.last_name AS teacher_last, p.first_name AS teacher_first, p.middle_name AS teacher_middle,
           (SELECT COUNT(*) FROM enrolment e WHERE e.school_class = c.id
              AND {in_force("e")}) AS pupils
    FROM school_class c
    JOIN academic_year y ON y.id = c.year AND y.is_current = {{}}
    LEFT JOIN person p ON p.id = c.class_teacher
    WHERE c.id IN ({scope})
    ORDER BY c.grade, c.letter
    """
    return await SchoolClass.raw(sql, today, today, True, *args).run()


async def class_for_viewer(viewer: Viewer, class_id: int, today: date) -> dict | None:
    """One class, or None when it does not exist or the viewer may not see it (→ 404)."""
    scope, args = class_scope(viewer, today)
    rows = await SchoolClass.raw(
        f"""SELECT c.id, c.name, c.grade, c.letter, c.class_teacher, y.name AS year_name,
                   p.last_name AS teacher_last, p.first_name AS teacher_first,
                   p.middle_name AS teacher_middle
            FROM school_class c JOIN academic_year y ON y.id = c.year
            LEFT JOIN person p ON p.id = c.class_teacher
            WHERE c.id = {{}} AND c.id IN ({scope})""",
        class_id, *args,
    ).run()
    return rows[0] if rows else None


async def school_counts(today: date) -> dict:
    """Aggregate figures without personal data (for observers)."""
    rows = await SchoolClass.raw(
        f"""SELECT
             (SELECT COUNT(*) FROM school_class c JOIN academic_year y ON y.id = c.year
                WHERE y.is_current = {{}}) AS classes,
             (SELECT COUNT(DISTINCT e.student) FROM enrolment e WHERE {in_force("e")}) AS students,
             (SELECT COUNT(*) FROM staff_member s WHERE {in_force("s")}) AS staff,
             (SELECT COUNT(*) FROM account WHERE is_active = {{}}) AS accounts""",
        True, today, today, today, today, True,
    ).run()
    return rows[0]


async def grade_counts(today: date) -> list[dict]:
    return await SchoolClass.raw(
        f"""SELECT c.grade, COUNT(DISTINCT c.id) AS classes, COUNT(e.id) AS students
           FROM school_class c JOIN academic_year y ON y.id = c.year AND y.is_current = {{}}
           LEFT JOIN enrolment e ON e.school_class = c.id AND {in_force("e")}
           GROUP BY c.grade ORDER BY c.grade""",
        True, today, today,
    ).run()


# --- the school's setup pages (years, classes, groups, subjects, load) -----------------------
# Read by those who set the school up (rights school.setup / school.view): the whole school.


async def years() -> list[dict]:
    """Every academic year, newest first, with how many classes and periods it has (1 query)."""
    return await AcademicYear.raw(
        """SELECT y.id, y.name, y.starts_on, y.ends_on, y.is_current, y.closed_at,
                  (SELECT COUNT(*) FROM school_class c WHERE c.year = y.id) AS classes,
                  (SELECT COUNT(*) FROM study_period p WHERE p.year = y.id) AS periods
           FROM academic_year y ORDER BY y.starts_on DESC""").run()


async def year(year_id: int) -> dict | None:
    return await AcademicYear.select().where(AcademicYear.id == year_id).first().run()


async def year_calendar(year_id: int) -> tuple[list[dict], list[dict]]:
    """The year's periods (by grade range, then number) and calendar days (by date)."""
    periods = await AcademicYear.raw(
        """SELECT id, scheme, number, name, grade_from, grade_to, starts_on, ends_on
           FROM study_period WHERE year = {} ORDER BY grade_from, grade_to, number""", year_id).run()
    days = await AcademicYear.raw(
        """SELECT id, kind, name, grade_from, grade_to, starts_on, ends_on
           FROM calendar_day WHERE year = {} ORDER BY starts_on, grade_from""", year_id).run()
    return periods, days


async def year_classes(year_id: int, day: date) -> list[dict]:
    """A year's classes with the class teacher, the week and the pupils on ``day`` (1 query)."""
    return await SchoolClass.raw(
        f"""SELECT c.id, c.name, c.grade, c.letter, c.week_days, c.class_teacher,
                   p.last_name AS teacher_last_name, p.first_name AS teacher_first_name,
                   p.middle_name AS teacher_middle_name,
                   (SELECT COUNT(*) FROM enrolment e WHERE e.school_class = c.id
                      AND {in_force("e")}) AS pupils
            FROM school_class c LEFT JOIN person p ON p.id = c.class_teacher
            WHERE c.year = {{}} ORDER BY c.grade, c.letter""",
        day, day, year_id).run()


async def school_class(class_id: int) -> dict | None:
    rows = await SchoolClass.raw(
        """SELECT c.id, c.name, c.grade, c.letter, c.week_days, c.class_teacher, c.year,
                  y.name AS year_name, y.closed_at
           FROM school_class c JOIN academic_year y ON y.id = c.year WHERE c.id = {}""",
        class_id).run()
    return rows[0] if rows else None


async def staff_on(day: date) -> list[dict]:
    """People on the staff on ``day``, for choosing a class teacher or a teacher (1 query)."""
    return await SchoolClass.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, s.post
            FROM staff_member s JOIN person p ON p.id = s.person
            WHERE {in_force("s")} ORDER BY p.last_name, p.first_name, p.middle_name""",
        day, day).run()


async def subjects() -> list[dict]:
    return await SchoolClass.raw(
        """SELECT s.id, s.name, s.short_name,
                  (SELECT COUNT(*) FROM teaching_load l WHERE l.subject = s.id) AS loads
           FROM subject s ORDER BY s.name""").run()


async def year_groups(year_id: int, day: date) -> list[dict]:
    """A year's groups with their class, subject and members on ``day`` (1 query)."""
    return await SchoolClass.raw(
        f"""SELECT g.id, g.name, g.kind, g.school_class, c.name AS class_name,
                   g.subject, s.name AS subject_name,
                   (SELECT COUNT(*) FROM group_member m WHERE m.study_group = g.id
                      AND {in_force("m")}) AS members
            FROM study_group g LEFT JOIN school_class c ON c.id = g.school_class
            LEFT JOIN subject s ON s.id = g.subject
            WHERE g.year = {{}} ORDER BY g.kind, c.grade, c.letter, g.name""",
        day, day, year_id).run()


async def study_group(group_id: int) -> dict | None:
    rows = await SchoolClass.raw(
        """SELECT g.id, g.name, g.kind, g.year, y.name AS year_name, y.closed_at,
                  c.name AS class_name, s.name AS subject_name
           FROM study_group g JOIN academic_year y ON y.id = g.year
           LEFT JOIN school_class c ON c.id = g.school_class
           LEFT JOIN subject s ON s.id = g.subject WHERE g.id = {}""", group_id).run()
    return rows[0] if rows else None


async def group_members(group_id: int, day: date) -> list[dict]:
    """The group's members on ``day`` (the order book writes them; this page only reads)."""
    return await SchoolClass.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, m.starts_on,
                   (SELECT c.name FROM enrolment e JOIN school_class c ON c.id = e.school_class
                     WHERE e.student = p.id AND {in_force("e")} LIMIT 1) AS class_name
            FROM group_member m JOIN person p ON p.id = m.student
            WHERE m.study_group = {{}} AND {in_force("m")}
            ORDER BY p.last_name, p.first_name, p.middle_name""",
        day, day, group_id, day, day).run()


async def year_load(year_id: int, teacher: int | None = None, class_id: int | None = None,
                    group_id: int | None = None) -> list[dict]:
    """Every load row of a year's classes and groups, closed ones too («кто вёл что и когда»),
    optionally of one teacher, one class (with its subgroups) or one group (1 query)."""
    where, args = ["COALESCE(c.year, g.year) = {}"], [year_id]
    if teacher is not None:
        where.append("l.teacher = {}")
        args.append(teacher)
    if class_id is not None:
        where.append("(l.school_class = {} OR g.school_class = {})")
        args += [class_id, class_id]
    if group_id is not None:
        where.append("l.study_group = {}")
        args.append(group_id)
    return await SchoolClass.raw(
        f"""SELECT l.id, l.teacher, l.subject, l.school_class, l.study_group, l.hours_per_week,
                   l.starts_on, l.ends_on, s.name AS subject_name,
                   p.last_name AS teacher_last_name, p.first_name AS teacher_first_name,
                   p.middle_name AS teacher_middle_name,
                   COALESCE(c.name, g.name) AS target_name, c.grade AS grade
            FROM teaching_load l JOIN subject s ON s.id = l.subject
            JOIN person p ON p.id = l.teacher
            LEFT JOIN school_class c ON c.id = l.school_class
            LEFT JOIN study_group g ON g.id = l.study_group
            WHERE {" AND ".join(where)}
            ORDER BY p.last_name, p.first_name, s.name, COALESCE(c.name, g.name), l.starts_on""",
        *args).run()


async def load_row(load_id: int) -> dict | None:
    rows = await SchoolClass.raw(
        """SELECT l.id, l.teacher, l.subject, l.school_class, l.study_group, l.hours_per_week,
                  l.starts_on, l.ends_on, s.name AS subject_name,
                  p.last_name AS teacher_last_name, p.first_name AS teacher_first_name,
                  p.middle_name AS teacher_middle_name, COALESCE(c.name, g.name) AS target_name,
                  y.id AS year, y.name AS year_name, y.closed_at
           FROM teaching_load l JOIN subject s ON s.id = l.subject JOIN person p ON p.id = l.teacher
           LEFT JOIN school_class c ON c.id = l.school_class
           LEFT JOIN study_group g ON g.id = l.study_group
           JOIN academic_year y ON y.id = COALESCE(c.year, g.year)
           WHERE l.id = {}""", load_id).run()
    return rows[0] if rows else None


async def period_year(period_id: int) -> int | None:
    row = await StudyPeriod.select(StudyPeriod.year).where(StudyPeriod.id == period_id).first().run()
    return row["year"] if row else None


async def day_year(day_id: int) -> int | None:
    row = await CalendarDay.select(CalendarDay.year).where(CalendarDay.id == day_id).first().run()
    return row["year"] if row else None
