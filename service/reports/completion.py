"""«Выполнение программы» (R-REP-4): per journal (a class or a group × a subject) of the scope —
its teacher, hours a week by the teaching load, hours of the КТП in total and up to the report's
day, lessons held (not cancelled; one lesson is one hour), the lag in hours and the per cent done;
then every topic of the КТП whose planned date has passed and that no lesson has taken. A
teacher's scope is their journals. Two queries whatever the size of the school; the same
counting as the journal's own plan overview (service/journal/plan_queries.py)."""

from __future__ import annotations

from datetime import date

from service.journal import access
from service.reports import queries
from service.reports.model import Column, Report, Section
from service.reports.queries import Scope
from service.reports.rules import percent
from service.timetable.tables import Lesson

_JOURNALS_SQL = """
WITH j AS (
    SELECT t.school_class, t.study_group, t.subject, MIN(t.teacher) AS teacher, MAX(t.hours_per_week) AS hours_per_week
    FROM teaching_load t
    LEFT JOIN school_class c ON c.id = t.school_class
    LEFT JOIN study_group g ON g.id = t.study_group
    LEFT JOIN school_class gc ON gc.id = g.school_class
    WHERE COALESCE(c.year, g.year) = {} AND t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {}) %s
    GROUP BY t.school_class, t.study_group, t.subject
),
p AS (
    SELECT p.id, p.school_class, p.study_group, p.subject, p.total_hours,
           COALESCE(SUM(CASE WHEN i.planned_on <= {} THEN i.hours ELSE 0 END), 0) AS due_hours,
           COUNT(i.planned_on) AS dated
    FROM thematic_plan p LEFT JOIN plan_item i ON i.plan = p.id
    WHERE p.year = {} AND p.replaced_at IS NULL
    GROUP BY p.id, p.school_class, p.study_group, p.subject, p.total_hours
),
l AS (
    SELECT l.school_class, l.study_group, l.subject, COUNT(*) AS held
    FROM lesson l
    WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled AND l.student IS NULL
    GROUP BY l.school_class, l.study_group, l.subject
)
SELECT j.school_class AS school_class, j.study_group AS study_group, j.subject AS subject,
       j.hours_per_week AS hours_per_week, COALESCE(c.name, g.name) AS owner_name, s.name AS subject_name,
       pe.last_name AS last_name, pe.first_name AS first_name, pe.middle_name AS middle_name,
       p.id AS plan_id, p.total_hours AS total_hours, p.due_hours AS due_hours, p.dated AS dated,
       COALESCE(l.held, 0) AS held
FROM j
JOIN subject s ON s.id = j.subject
LEFT JOIN school_class c ON c.id = j.school_class
LEFT JOIN study_group g ON g.id = j.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
LEFT JOIN person pe ON pe.id = j.teacher
LEFT JOIN p ON p.subject = j.subject AND (p.school_class = j.school_class OR p.study_group = j.study_group)
LEFT JOIN l ON l.subject = j.subject AND (l.study_group = j.study_group
                                          OR (j.study_group IS NULL AND l.study_group IS NULL
                                              AND l.school_class = j.school_class))
ORDER BY COALESCE(c.grade, gc.grade, 99), COALESCE(c.name, g.name), s.name
"""

_MISSED_SQL = """
SELECT p.id AS plan, i.number AS number, i.topic AS topic, i.hours AS hours, i.planned_on AS planned_on
FROM plan_item i JOIN thematic_plan p ON p.id = i.plan
WHERE p.year = {} AND p.replaced_at IS NULL AND i.planned_on IS NOT NULL AND i.planned_on <= {}
  AND NOT EXISTS (SELECT 1 FROM lesson_entry e JOIN lesson l ON l.id = e.lesson
                  WHERE e.plan_item = i.id AND NOT l.cancelled)
ORDER BY p.id, i.number
"""

COLUMNS = [
    Column("Класс или группа", "text", 16), Column("Предмет", "text", 18), Column("Учитель", "text", 18),
    Column("Часов в неделю", "int", 8, "По нагрузке"),
    Column("Всего", "int", 7, "Часов по КТП"), Column("На дату", "int", 7, "Часов по КТП"),
    Column("Проведено уроков", "int", 9), Column("Отставание, ч", "int", 9),
    Column("Выполнено на дату, %", "percent", 11), Column("Выполнено за год, %", "percent", 11),
]


def _initials(r: dict) -> str:
    if not r["last_name"]:
        return ""
    first, middle = (r["first_name"] or "")[:1], (r["middle_name"] or "")[:1]
    return f"{r['last_name']} {first}.{f' {middle}.' if middle else ''}"


async def completion(scope: Scope, today: date, school: str = "", teacher: dict | None = None) -> Report:
    """``teacher``: only that teacher's journals (a row of ``person``)."""
    year = scope.year
    day = queries.report_day(year, today)
    where, args = "", []
    if scope.kind == "class":
        where = "AND (c.id = {} OR gc.id = {})"
        args = [scope.class_id, scope.class_id]
    elif scope.kind == "grade":
        where = "AND COALESCE(c.grade, gc.grade) = {}"
        args = [scope.grade]
    if teacher is not None:
        where += " AND t.teacher = {}"
        args.append(teacher["id"])
    rows = await Lesson.raw(_JOURNALS_SQL % where, year["id"], day, day, *args, day, year["id"],
                            year["starts_on"], day).run()
    missed = await Lesson.raw(_MISSED_SQL, year["id"], day).run()
    lines, plans = [], {}
    for r in rows:
        has_plan = r["plan_id"] is not None
        dated = has_plan and int(r["dated"] or 0) > 0
        held, total = int(r["held"] or 0), int(r["total_hours"] or 0) if has_plan else None
        due = int(r["due_hours"] or 0) if dated else None
        lines.append([r["owner_name"], r["subject_name"], _initials(r), r["hours_per_week"], total, due, held,
                      max(0, due - held) if due is not None else None,
                      percent(held, due) if due else None, percent(held, total) if total else None])
        if has_plan:
            plans[r["plan_id"]] = (r["owner_name"], r["subject_name"])
    section = Section("По журналам", COLUMNS, lines)
    without = sum(1 for line in lines if line[4] is None)
    if without:
        section.notes.append(f"Без КТП: {without} из {len(lines)} журналов — для них проценты не считаются.")
    if not lines:
        section.notes.append("В этой области нет учебной нагрузки.")
    topics = [[*plans[m["plan"]], m["number"], m["topic"], m["hours"], m["planned_on"]]
              for m in missed if m["plan"] in plans]
    gaps = Section(f"Не пройдены темы с прошедшей плановой датой: {len(topics)}",
                   [Column("Класс или группа", "text", 16), Column("Предмет", "text", 18), Column("№", "int", 4),
                    Column("Тема", "text", 50), Column("Часов", "int", 6), Column("Плановая дата", "date", 11)],
                   topics, notes=[] if topics else ["Нет: все темы с прошедшей датой взяты на уроки."])
    who = f", учитель {_initials(teacher)}" if teacher else ""
    return Report(code="completion", title=f"Выполнение программы на {day:%d.%m.%Y}", scope=scope.words + who,
                  sections=[section, gaps], made_at=access.now(), school=school, landscape=True,
                  notes=["Один проведённый (не отменённый) урок — один час. «На дату» — часы тем КТП с плановой "
                         "датой до дня отчёта; отставание — сколько из них не проведено."])

