"""Reads about thematic plans, scoped by the viewer: the active plan's items with the lessons
that took them (for the lesson page's topic picker and the plan page), and the overview of
programme completion («выполнение программы», R-LESSON-2) with missing plans flagged.

Completion compares lessons held (not cancelled, up to today) with hours planned: up to today
(items whose planned date has come) and in total; «delivered» counts lessons whose topic was
taken from a plan. A lesson is one hour."""

from __future__ import annotations

from datetime import date

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access
from service.journal.access import JournalRef
from service.journal.plans import may_import, percent
from service.journal.tables import ThematicPlan

_ITEMS_SQL = """
SELECT i.id, i.number, i.topic, i.hours, i.planned_on, u.used_on, u.lesson
FROM plan_item i
JOIN thematic_plan p ON p.id = i.plan
LEFT JOIN (SELECT e.plan_item, MIN(l.on_date) AS used_on, MIN(l.id) AS lesson
           FROM lesson_entry e JOIN lesson l ON l.id = e.lesson
           WHERE e.plan_item IS NOT NULL GROUP BY e.plan_item) u ON u.plan_item = i.id
WHERE p.{column} = {{}} AND p.subject = {{}} AND p.replaced_at IS NULL
ORDER BY i.number
"""


def _column(ref: JournalRef) -> str:
    return "school_class" if ref.kind == "c" else "study_group"


async def active_plan_items(ref: JournalRef) -> list[dict]:
    """The items of the journal's active plan in order, each with ``used_on`` (the date of the
    first lesson that took it as its topic) and ``lesson`` (that lesson's id), or None. One
    query. (A class or group belongs to one year, so the journal names the year.)"""
    rows = await ThematicPlan.raw(_ITEMS_SQL.format(column=_column(ref)), ref.owner, ref.subject).run()
    for r in rows:
        if isinstance(r["used_on"], str):  # SQLite: MIN() of a date is its text
            r["used_on"] = date.fromisoformat(r["used_on"][:10])
    return rows


async def plan_page(viewer: Viewer, ref: JournalRef, today: date) -> dict:
    """Everything the plan page shows; a journal the viewer may not see is ``NotFound``."""
    info = await access.journal(ref)
    if not await access.may_view(viewer, info):
        raise NotFound()
    column = _column(ref)
    plans = await ThematicPlan.raw(
        f"SELECT p.id, p.file_name, p.total_hours, p.imported_at, p.replaced_at, "
        f"pe.last_name, pe.first_name, pe.middle_name, "
        f"(SELECT COUNT(*) FROM plan_item i WHERE i.plan = p.id) AS lines "
        f"FROM thematic_plan p LEFT JOIN person pe ON pe.id = p.imported_by "
        f"WHERE p.{column} = {{}} AND p.subject = {{}} ORDER BY p.imported_at DESC, p.id DESC",
        ref.owner, ref.subject).run()
    items = await active_plan_items(ref)
    lesson_where, args = ref.lesson_sql("l")
    held = (await ThematicPlan.raw(
        "SELECT COUNT(*) AS held, "
        "COALESCE(SUM(CASE WHEN e.plan_item IS NOT NULL THEN 1 ELSE 0 END), 0) AS from_plan, "
        "(SELECT COUNT(*) FROM lesson l2 WHERE " + ref.lesson_sql("l2")[0] + " AND NOT l2.cancelled) AS scheduled "
        "FROM lesson l LEFT JOIN lesson_entry e ON e.lesson = l.id "
        f"WHERE {lesson_where} AND NOT l.cancelled AND l.on_date <= {{}}",
        *ref.lesson_sql("l2")[1], *args, today).run())[0]
    active = next((p for p in plans if p["replaced_at"] is None), None)
    planned_total = sum(i["hours"] for i in items)
    dated = any(i["planned_on"] is not None for i in items)
    planned_to_date = sum(i["hours"] for i in items if i["planned_on"] is not None and i["planned_on"] <= today)
    held_n, from_plan = int(held["held"] or 0), int(held["from_plan"] or 0)
    return {
        "info": info, "ref": ref, "plan": active, "history": [p for p in plans if p["replaced_at"] is not None],
        "items": items, "planned_total": planned_total,
        "planned_to_date": planned_to_date if dated else None,
        "held": held_n, "from_plan": from_plan, "scheduled": int(held["scheduled"] or 0),
        "used": sum(1 for i in items if i["used_on"] is not None),
        "percent_to_date": percent(held_n, planned_to_date) if dated else None,
        "percent_total": percent(held_n, planned_total),
        "may_import": await may_import(viewer, ref) and info["closed_at"] is None,
    }


_OVERVIEW_SQL = """
WITH j AS (
    SELECT t.school_class, t.study_group, t.subject, MIN(t.teacher) AS teacher,
           MAX(t.hours_per_week) AS hours_per_week
    FROM teaching_load t
    LEFT JOIN school_class c ON c.id = t.school_class
    LEFT JOIN study_group g ON g.id = t.study_group
    LEFT JOIN school_class gc ON gc.id = g.school_class
    WHERE COALESCE(c.year, g.year) = {{}} AND t.starts_on <= {{}} AND (t.ends_on IS NULL OR t.ends_on >= {{}})
      {scope}
    GROUP BY t.school_class, t.study_group, t.subject
),
p AS (
    SELECT p.id, p.school_class, p.study_group, p.subject, p.total_hours, p.imported_at,
           COALESCE(SUM(CASE WHEN i.planned_on <= {{}} THEN i.hours ELSE 0 END), 0) AS due_hours,
           COUNT(i.planned_on) AS dated
    FROM thematic_plan p LEFT JOIN plan_item i ON i.plan = p.id
    WHERE p.year = {{}} AND p.replaced_at IS NULL
    GROUP BY p.id, p.school_class, p.study_group, p.subject, p.total_hours, p.imported_at
),
l AS (
    SELECT l.school_class, l.study_group, l.subject, COUNT(*) AS held,
           SUM(CASE WHEN e.plan_item IS NOT NULL THEN 1 ELSE 0 END) AS from_plan
    FROM lesson l LEFT JOIN lesson_entry e ON e.lesson = l.id
    WHERE l.on_date >= {{}} AND l.on_date <= {{}} AND NOT l.cancelled AND l.student IS NULL
    GROUP BY l.school_class, l.study_group, l.subject
)
SELECT j.school_class, j.study_group, j.subject, j.hours_per_week,
       COALESCE(c.name, g.name) AS owner_name, s.name AS subject_name,
       pe.last_name, pe.first_name, pe.middle_name,
       p.id AS plan_id, p.total_hours, p.imported_at, p.due_hours, p.dated,
       COALESCE(l.held, 0) AS held, COALESCE(l.from_plan, 0) AS from_plan
FROM j
JOIN subject s ON s.id = j.subject
LEFT JOIN school_class c ON c.id = j.school_class
LEFT JOIN study_group g ON g.id = j.study_group
LEFT JOIN person pe ON pe.id = j.teacher
LEFT JOIN p ON p.subject = j.subject AND (p.school_class = j.school_class OR p.study_group = j.study_group)
LEFT JOIN l ON l.subject = j.subject AND (l.study_group = j.study_group
                                          OR (j.study_group IS NULL AND l.study_group IS NULL
                                              AND l.school_class = j.school_class))
ORDER BY COALESCE(c.grade, 99), COALESCE(c.name, g.name), s.name
"""


async def current_year() -> dict | None:
    rows = await ThematicPlan.raw(
        "SELECT id, name, starts_on, ends_on FROM academic_year WHERE is_current ORDER BY starts_on DESC LIMIT 1").run()
    return rows[0] if rows else None


def _initials(row: dict) -> str:
    if not row.get("last_name"):
        return ""
    first = (row["first_name"] or "")[:1]
    middle = (row["middle_name"] or "")[:1]
    return f"{row['last_name']} {first}.{f' {middle}.' if middle else ''}"


async def overview(viewer: Viewer, today: date) -> dict:
    """The journals of the current year the viewer answers for (every one with journal.view;
    a teacher's own; a class teacher's class), each with its plan and completion. Three
    queries whatever the number of journals."""
    year = await current_year()
    if year is None:
        return {"year": None, "rows": [], "due": None, "overdue": False, "missing": 0}
    settings = await access.settings(year["id"])
    args: list = [year["id"], year["ends_on"], year["starts_on"]]
    scope = ""
    if not viewer.can("journal.view"):
        person = viewer.person_id or 0
        parts = []
        if viewer.can("journal.teach"):
            parts.append("t.teacher = {}")
            args.append(person)
        if viewer.can("journal.class"):
            parts.append("c.class_teacher = {} OR gc.class_teacher = {}")
            args += [person, person]
        scope = "AND (" + " OR ".join(parts or ["1 = 0"]) + ")"
    args += [today, year["id"], year["starts_on"], today]
    rows = await ThematicPlan.raw(_OVERVIEW_SQL.format(scope=scope), *args).run()
    overdue = settings.plans_due is not None and today > settings.plans_due
    result = []
    for r in rows:
        ref = JournalRef("g", r["study_group"], r["subject"]) if r["study_group"] else \
            JournalRef("c", r["school_class"], r["subject"])
        has_plan = r["plan_id"] is not None
        dated = has_plan and int(r["dated"] or 0) > 0
        held = int(r["held"] or 0)
        due = int(r["due_hours"] or 0) if dated else None
        result.append({
            "ref": ref, "title": f"{r['owner_name']} · {r['subject_name']}", "teacher": _initials(r),
            "hours_per_week": r["hours_per_week"], "has_plan": has_plan,
            "imported_at": r["imported_at"], "total_hours": int(r["total_hours"] or 0) if has_plan else None,
            "due_hours": due, "held": held, "from_plan": int(r["from_plan"] or 0),
            "percent_to_date": percent(held, due) if due is not None else None,
            "percent_total": percent(held, int(r["total_hours"] or 0)) if has_plan else None,
            "missing": not has_plan and overdue,
        })
    return {"year": year, "rows": result, "due": settings.plans_due, "overdue": overdue,
            "missing": sum(1 for r in result if r["missing"])}
