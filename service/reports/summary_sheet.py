"""«Сводная ведомость итоговых отметок» (R-REP-1, R-ARC-2): one class, one school year — per
pupil a line per study period, the year and the exams, a column per subject, and the pedagogical
council's decision (promoted, graduated, left) from the order book; signature lines for the
class teacher and the head and a place for the stamp. Printed landscape. The same finals the
archive seals. Six queries whatever the size of the class."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.journal import access
from service.reports import queries
from service.reports.model import Column, Report, Section
from service.reports.performance import full_name
from service.reports.queries import Scope
from service.timetable.tables import Lesson

_DECISIONS_SQL = """
SELECT m.student AS student, m.kind AS kind, m.on_date AS on_date, t.name AS to_name,
       o.number AS number, o.dated AS dated
FROM movement m
JOIN school_order o ON o.id = m.school_order
LEFT JOIN school_class t ON t.id = m.to_class
WHERE m.from_class = {} AND m.kind IN ('promote', 'graduate', 'withdraw', 'transfer')
  AND NOT EXISTS (SELECT 1 FROM school_order x WHERE x.cancels = o.id)
ORDER BY m.on_date, m.id
"""

WORDS = {"promote": "переведён(а) в {to} класс", "graduate": "выпущен(а)", "withdraw": "выбыл(а)",
         "transfer": "переведён(а) в {to} класс"}


def decision_text(r: dict) -> str:
    what = WORDS[r["kind"]].format(to=r["to_name"] or "")
    return f"{what}, приказ № {r['number']} от {r['dated']:%d.%m.%Y}"


@dataclass
class ClassYear:
    """The finals of one class's year as the summary sheet (and the archive's export) lay them
    out: who, which subjects, every confirmed final by (pupil, kind, period, subject)."""

    class_id: int
    name: str
    grade: int
    class_teacher: str  # full name, or ""
    periods: list[dict]  # the study periods of the class's grade, in order
    pupils: list[dict]  # everyone enrolled at any time of the year (id, last/first/middle name)
    subjects: dict[int, str]  # subject id → name
    shorts: dict[int, str]  # subject id → short name (the name when it has none)
    order: list[int]  # subjects by name
    marks: dict[tuple[int, str, int | None, int], str]  # (pupil, kind, period, subject) → mark
    decisions: dict[int, str]  # pupil → the council's decision with its order
    has_exams: bool
    any_finals: bool


async def class_year(year: dict, class_id: int, today: date) -> ClassYear:
    """The class's finals of the year. Six queries whatever the size of the class."""
    classes = await Lesson.raw("SELECT id, name, grade, class_teacher FROM school_class WHERE id = {}",
                               class_id).run()
    grade = classes[0]["grade"]
    periods = [p for p in await queries.periods(year["id"]) if p["grade_from"] <= grade <= p["grade_to"]]
    # everyone enrolled in the class at any time of the year: a pupil who left still has finals
    pupils = await Lesson.raw(
        "SELECT DISTINCT p.id, p.last_name, p.first_name, p.middle_name FROM enrolment e JOIN person p "
        "ON p.id = e.student WHERE e.school_class = {} AND e.starts_on <= {} "
        "ORDER BY p.last_name, p.first_name, p.middle_name, p.id", class_id, min(year["ends_on"], today)).run()
    finals = await queries.finals(year["id"], kinds=("period", "year", "exam"), class_id=class_id)
    decisions = {r["student"]: decision_text(r) for r in await Lesson.raw(_DECISIONS_SQL, class_id).run()}
    subjects: dict[int, str] = {}
    shorts: dict[int, str] = {}
    marks: dict[tuple[int, str, int | None, int], str] = {}
    for r in finals:
        subjects.setdefault(r["subject"], r["subject_name"])
        shorts.setdefault(r["subject"], r["subject_short"] or r["subject_name"])
        marks[(r["student"], r["kind"], r["period"], r["subject"])] = r["mark"]
    teacher = await Lesson.raw("SELECT last_name, first_name, middle_name FROM person WHERE id = {}",
                               classes[0]["class_teacher"]).run() if classes[0]["class_teacher"] else []
    return ClassYear(class_id=class_id, name=classes[0]["name"], grade=grade,
                     class_teacher=full_name(teacher[0]) if teacher else "", periods=periods, pupils=pupils,
                     subjects=subjects, shorts=shorts, order=sorted(subjects, key=lambda s: subjects[s]),
                     marks=marks, decisions=decisions, has_exams=any(k[1] == "exam" for k in marks),
                     any_finals=bool(finals))


async def summary_sheet(scope: Scope, today: date, school: str = "") -> Report:
    """The class's summary sheet of the year (``scope.kind`` is «class»)."""
    cy = await class_year(scope.year, scope.class_id, today)
    periods, pupils, order, marks, shorts = cy.periods, cy.pupils, cy.order, cy.marks, cy.shorts
    lines: list[tuple[str, str, int | None]] = [(p["name"], "period", p["id"]) for p in periods]
    lines.append(("Год", "year", None))
    if cy.has_exams:
        lines.append(("Экзамен", "exam", None))
    columns = [Column("№", "int", 4), Column("Фамилия, имя, отчество", "text", 28), Column("Период", "text", 11)]
    columns += [Column(shorts[s], "mark", 6, "Предметы") for s in order]
    columns.append(Column("Решение педагогического совета", "text", 32))
    rows = []
    for n, p in enumerate(pupils, start=1):
        for i, (label, kind, period) in enumerate(lines):
            row = [n if i == 0 else None, full_name(p) if i == 0 else "", label]
            row += [marks.get((p["id"], kind, period, s), "") for s in order]
            row.append(cy.decisions.get(p["id"], "") if kind == "year" else "")
            rows.append(row)
    section = Section("Итоговые отметки", columns, rows)
    if not pupils:
        section.notes.append("В классе нет учеников.")
    elif not cy.any_finals:
        section.notes.append("Итоговых отметок пока нет.")
    notes = [f"Классный руководитель: {cy.class_teacher}"] if cy.class_teacher else []
    abbreviated = [f"{shorts[s]} — {cy.subjects[s]}" for s in order if shorts[s] != cy.subjects[s]]
    if abbreviated:
        section.notes.append("Сокращения: " + "; ".join(abbreviated) + ".")
    return Report(code="summary-sheet", title="Сводная ведомость итоговых отметок", scope=scope.words,
                  sections=[section], made_at=access.now(), school=school, notes=notes,
                  signatures=["Классный руководитель", "Директор школы"], landscape=True, stamp=True)
