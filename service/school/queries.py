"""Reads of the school's structure, scoped by the viewer."""

from __future__ import annotations

from datetime import date

from service.accounts.viewer import Viewer
from service.school.tables import AcademicYear, SchoolClass


def in_force(alias: str = "") -> str:
    """SQL: the dated row (an enrolment, a teaching load, a staff post) is in force on the day
    passed as the next TWO query arguments («состоит на эту дату»). The one place this rule is
    written: ``starts_on`` inclusive, ``ends_on`` inclusive or open."""
    col = f"{alias}." if alias else ""
    return f"{col}starts_on <= {{}} AND ({col}ends_on IS NULL OR {col}ends_on >= {{}})"


def class_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """SQL (a subquery of class ids) and its arguments: the classes whose pupils the viewer may
    see — all of them, the one they lead, the ones they teach."""
    parts, args = [], []
    if viewer.can("people.view_all"):
        parts.append("SELECT id FROM school_class")
    if viewer.person_id is not None:
        if viewer.can("people.view_class"):
            parts.append("SELECT id FROM school_class WHERE class_teacher = {}")
            args.append(viewer.person_id)
        if viewer.can("people.view_taught"):
            parts.append(f"SELECT school_class FROM teaching_load WHERE teacher = {{}} AND {in_force()}")
            args += [viewer.person_id, today, today]
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
