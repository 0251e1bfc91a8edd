"""A class's journal as a report (issue 11 item 9: «a whole journal of a class exportable the same
way»): a section per journal of the class — its own subjects and its subgroups' — with a line
per pupil and a column per lesson of the span (date and number), each cell the lesson's grades
and attendance letter («5/4», «н», «оп»), then the pupil's finals of the periods in the span.
Four queries whatever the size of the class; big spans stream through the writers like any
report."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from service.journal import access
from service.journal import rules as journal_rules
from service.reports.model import Column, Report, Section
from service.reports.performance import full_name
from service.reports.queries import Scope
from service.school.queries import in_force
from service.timetable.tables import Lesson

_LESSONS_SQL = """
SELECT l.id AS id, l.on_date AS on_date, l.number AS number, l.subject AS subject, l.school_class AS school_class,
       l.study_group AS study_group, s.name AS subject_name, g.name AS group_name
FROM lesson l JOIN subject s ON s.id = l.subject
LEFT JOIN study_group g ON g.id = l.study_group
WHERE (l.school_class = {} OR l.study_group IN (SELECT id FROM study_group WHERE school_class = {}))
  AND l.student IS NULL AND NOT l.cancelled AND l.on_date >= {} AND l.on_date <= {}
ORDER BY s.name, g.name, l.on_date, l.number, l.id
"""

_MARKS_SQL = """
SELECT x.lesson AS lesson, x.student AS student, x.mark AS mark, x.what AS what FROM (
  SELECT gr.lesson, gr.student, gr.mark, 'grade' AS what, gr.position AS pos FROM grade gr
    JOIN lesson l ON l.id = gr.lesson
    WHERE gr.removed_at IS NULL AND l.on_date >= {} AND l.on_date <= {}
      AND (l.school_class = {} OR l.study_group IN (SELECT id FROM study_group WHERE school_class = {}))
  UNION ALL
  SELECT a.lesson, a.student, a.kind, 'attendance', 99 FROM attendance a
    JOIN lesson l ON l.id = a.lesson
    WHERE l.on_date >= {} AND l.on_date <= {}
      AND (l.school_class = {} OR l.study_group IN (SELECT id FROM study_group WHERE school_class = {}))
) x ORDER BY x.lesson, x.student, x.pos
"""


async def journal_export(scope: Scope, start: date, end: date, span: str, today: date, school: str = "") -> Report:
    """The class's journals over [start, end] (``scope.kind`` is «class»)."""
    cid = scope.class_id
    lessons = await Lesson.raw(_LESSONS_SQL, cid, cid, start, end).run()
    marks = await Lesson.raw(_MARKS_SQL, start, end, cid, cid, start, end, cid, cid).run()
    day = min(end, today)
    pupils = await Lesson.raw(
        f"SELECT p.id, p.last_name, p.first_name, p.middle_name FROM enrolment e JOIN person p ON p.id = e.student "
        f"WHERE e.school_class = {{}} AND {in_force('e')} ORDER BY p.last_name, p.first_name, p.middle_name, p.id",
        cid, day, day).run()
    members = await Lesson.raw(
        "SELECT m.study_group, m.student FROM group_member m JOIN study_group g ON g.id = m.study_group "
        "WHERE g.school_class = {} AND m.starts_on <= {} AND (m.ends_on IS NULL OR m.ends_on >= {})",
        cid, end, start).run()
    in_group: dict[int, set[int]] = defaultdict(set)
    for m in members:
        in_group[m["study_group"]].add(m["student"])
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for m in marks:
        text = m["mark"] if m["what"] == "grade" else journal_rules.ATTENDANCE.get(m["mark"], (m["mark"], ""))[0]
        cells[(m["lesson"], m["student"])].append(text)
    journals: dict[tuple, list[dict]] = {}
    for lesson in lessons:
        key = (lesson["subject_name"], lesson["group_name"] or "", lesson["study_group"])
        journals.setdefault(key, []).append(lesson)
    sections = []
    for (subject, group, gid), items in journals.items():
        who = [p for p in pupils if gid is None or p["id"] in in_group[gid]]
        columns = [Column("Ученик", "text", 26)] + [
            Column(f"{x['on_date']:%d.%m}" + (f" ({x['number']})" if x["number"] else ""), "mark", 6,
                   f"{x['on_date']:%m.%Y}") for x in items]
        rows = [[full_name(p)] + ["/".join(cells.get((x["id"], p["id"]), [])) for x in items] for p in who]
        title = f"{subject}" + (f" · {group}" if group else "")
        sections.append(Section(f"{title}: уроков {len(items)}", columns, rows))
    report = Report(code="journal", title=f"Журнал класса: {span}", scope=scope.words, sections=sections,
                    made_at=access.now(), school=school, landscape=True,
                    notes=[f"С {start:%d.%m.%Y} по {end:%d.%m.%Y}. В клетке — отметки урока через «/» и отметка "
                           "посещаемости: н — не был (причина не указана), б — по болезни, у — по уважительной, "
                           "п — без уважительной, оп — опоздал."])
    if not sections:
        report.notes.append("Уроков за этот срок нет.")
    return report

