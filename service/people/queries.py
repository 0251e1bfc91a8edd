"""Reads of people's records, always scoped by the viewer: a record the viewer may not see
is indistinguishable from one that does not exist."""

from __future__ import annotations

from datetime import date

from service.accounts.tables import Person
from service.accounts.viewer import Viewer
from service.school.queries import class_scope, in_force


def student_scope(viewer: Viewer, today: date) -> tuple[str, list]:
    """SQL (a subquery of person ids) and arguments: the students the viewer may see."""
    classes, args = class_scope(viewer, today)
    parts = [f"SELECT student FROM enrolment WHERE school_class IN ({classes}) AND {in_force()}"]
    args = [*args, today, today]
    if viewer.person_id is not None:
        if viewer.can("people.view_children"):
            parts.append("SELECT child FROM parent_link WHERE parent = {}")
            args.append(viewer.person_id)
        if viewer.can("people.view_self"):
            parts.append("SELECT id FROM person WHERE id = {}")
            args.append(viewer.person_id)
    return " UNION ".join(parts), args


async def class_students(viewer: Viewer, class_id: int, today: date) -> list[dict]:
    """Pupils of a class on ``today`` that the viewer may see, with whether each (and each
    parent) already has an account — for the class page and the invitation sheet. 2 queries."""
    scope, args = student_scope(viewer, today)
    students = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.birth_date,
                   EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
            FROM enrolment e JOIN person p ON p.id = e.student
            WHERE e.school_class = {{}} AND {in_force("e")} AND p.id IN ({scope})
            ORDER BY p.last_name, p.first_name, p.middle_name""",
        class_id, today, today, *args,
    ).run()
    if not students:
        return []
    ids = [s["id"] for s in students]
    placeholders = ", ".join("{}" for _ in ids)
    parents = await Person.raw(
        f"""SELECT l.child, l.kind, p.id, p.last_name, p.first_name, p.middle_name,
                   EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
            FROM parent_link l JOIN person p ON p.id = l.parent
            WHERE l.child IN ({placeholders})
            ORDER BY p.last_name, p.first_name""",
        *ids,
    ).run()
    by_child: dict[int, list[dict]] = {i: [] for i in ids}
    for parent in parents:
        by_child[parent["child"]].append(parent)
    for student in students:
        student["parents"] = by_child[student["id"]]
        student["has_account"] = bool(student["has_account"])
        student["full_name"] = full_name(student)
        for parent in student["parents"]:
            parent["has_account"] = bool(parent["has_account"])
            parent["full_name"] = full_name(parent)
    return students


def full_name(row: dict) -> str:
    """«Фамилия Имя Отчество», built once here rather than per cell in the template."""
    return " ".join(p for p in (row["last_name"], row["first_name"], row["middle_name"]) if p)


async def student_card(viewer: Viewer, person_id: int, today: date) -> dict | None:
    """A student's card, or None (→ 404) if there is no such student visible to the viewer."""
    scope, args = student_scope(viewer, today)
    rows = await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, p.sex, p.birth_date,
                   c.id AS class_id, c.name AS class_name
            FROM person p
            LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
            LEFT JOIN school_class c ON c.id = e.school_class
            WHERE p.id = {{}} AND p.id IN ({scope})""",
        today, today, person_id, *args,
    ).run()
    if not rows:
        return None
    card = rows[0]
    card["parents"] = await Person.raw(
        """SELECT p.id, p.last_name, p.first_name, p.middle_name, l.kind
           FROM parent_link l JOIN person p ON p.id = l.parent WHERE l.child = {}
           ORDER BY p.last_name""", person_id).run()
    return card


async def children_of(viewer: Viewer, today: date) -> list[dict]:
    if viewer.person_id is None:
        return []
    return await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, c.id AS class_id, c.name AS class_name
           FROM parent_link l JOIN person p ON p.id = l.child
           LEFT JOIN enrolment e ON e.student = p.id AND {in_force("e")}
           LEFT JOIN school_class c ON c.id = e.school_class
           WHERE l.parent = {{}} ORDER BY p.first_name""",
        today, today, viewer.person_id,
    ).run()


async def staff_members(today: date) -> list[dict]:
    """Current staff with their post, the class they lead (if any) and whether they already
    have an account — for the staff invitation sheet. One query."""
    return await Person.raw(
        f"""SELECT p.id, p.last_name, p.first_name, p.middle_name, s.post,
                  (SELECT c.name FROM school_class c JOIN academic_year y ON y.id = c.year
                    WHERE c.class_teacher = p.id AND y.is_current = {{}} LIMIT 1) AS leads_class,
                  EXISTS (SELECT 1 FROM account a WHERE a.person = p.id) AS has_account
           FROM staff_member s JOIN person p ON p.id = s.person
           WHERE {in_force("s")}
           ORDER BY p.last_name, p.first_name, p.middle_name""",
        True, today, today,
    ).run()
