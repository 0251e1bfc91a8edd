"""Two reports of issue 11 item 7: substitution hours per teacher and month (for payroll — who
taught a lesson instead of its teacher, and how many), and the class teacher's one-page summary
of a class (performance, attendance, the pupils who need attention). Set-based, a constant number
of queries."""

from __future__ import annotations

from collections import Counter
from datetime import date

from service.journal import access
from service.reports import queries
from service.reports.attendance import MISSED, attendance
from service.reports.model import Column, Report, Section
from service.reports.performance import performance
from service.reports.queries import Scope
from service.timetable.tables import Lesson

_SUBSTITUTIONS_SQL = """
SELECT l.on_date AS on_date, l.number AS number, l.taught_by AS taught_by, l.teacher AS teacher,
       l.combined AS combined, s.name AS subject, COALESCE(c.name, g.name, '') AS owner,
       tb.last_name AS tb_last, tb.first_name AS tb_first, tb.middle_name AS tb_middle,
       t.last_name AS t_last, t.first_name AS t_first, t.middle_name AS t_middle
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
JOIN person tb ON tb.id = l.taught_by
JOIN person t ON t.id = l.teacher
WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled AND l.taught_by <> l.teacher
ORDER BY tb.last_name, tb.first_name, tb.middle_name, l.taught_by, l.on_date, l.number
"""


def _name(last: str | None, first: str | None, middle: str | None) -> str:
    return " ".join(x for x in (last, first, middle) if x)


async def substitutions(year: dict, start: date, end: date, span: str, today: date, school: str = "") -> Report:
    """Per teacher who substituted: lessons taught instead of another teacher (one lesson — one
    hour), of them combined with their own class; then every such lesson."""
    end = min(end, today)
    rows = await Lesson.raw(_SUBSTITUTIONS_SQL, start, end).run() if start <= end else []
    per: dict[int, dict] = {}
    for r in rows:
        p = per.setdefault(r["taught_by"], {"name": _name(r["tb_last"], r["tb_first"], r["tb_middle"]),
                                             "hours": 0, "combined": 0, "for": Counter()})
        p["hours"] += 1
        p["combined"] += 1 if r["combined"] else 0
        p["for"][_name(r["t_last"], r["t_first"], r["t_middle"])] += 1
    lines = [[p["name"], p["hours"], p["combined"], ", ".join(f"{who} ({n})" for who, n in p["for"].most_common())]
             for p in per.values()]
    summary = Section("Часы замен по учителям", [
        Column("Учитель (заменял)", "text", 28), Column("Часов замен", "int", 9),
        Column("Из них с объединением классов", "int", 12), Column("Кого заменял (уроков)", "text", 50)],
        lines, totals=["Итого", sum(p["hours"] for p in per.values()), sum(p["combined"] for p in per.values()), ""]
        if per else None, notes=[] if per else ["Замен за эти дни не было."])
    detail = Section("Уроки замен", [
        Column("Дата", "date", 11), Column("Урок", "int", 5), Column("Класс или группа", "text", 16),
        Column("Предмет", "text", 20), Column("Провёл", "text", 28), Column("Вместо", "text", 28),
        Column("Объединение", "text", 11)],
        [[r["on_date"], r["number"], r["owner"], r["subject"], _name(r["tb_last"], r["tb_first"], r["tb_middle"]),
          _name(r["t_last"], r["t_first"], r["t_middle"]), "да" if r["combined"] else ""] for r in rows])
    return Report(code="substitutions", title=f"Замены: {span}", scope=f"вся школа, {year['name']} учебный год",
                  sections=[summary, detail], made_at=access.now(), school=school, landscape=True,
                  notes=[f"С {start:%d.%m.%Y} по {end:%d.%m.%Y}. Замена — урок, проведённый не тем учителем, "
                         "который стоит в расписании; отменённые уроки не считаются. Один урок — один час."])


ATTENTION_ABSENCE = 20  # lessons missed in the span that put a pupil on the list


async def class_summary(scope: Scope, period: dict | None, today: date, school: str = "") -> Report:
    """One class, one period (or the year): its performance line, its attendance line, and the
    pupils who need attention — failing, not attested, a single «3», many lessons missed."""
    perf = await performance(scope, period, today, school)
    start, end, span = queries.span_of(scope.year, period)
    att = await attendance(scope, start, end, span, today, school)
    perf_line = perf.sections[0]
    att_line = att.sections[0]
    attention: list[list] = []
    lists = {s.title.split(":")[0]: list(s.rows) for s in perf.sections[1:]}
    for name, _class, subjects in lists.get("Неуспевающие", []):
        attention.append([name, "неуспевающий", subjects])
    for name, _class, subjects in lists.get("Не аттестованы", []):
        attention.append([name, "не аттестован", subjects])
    for name, _class, subject in lists.get("С одной «3»", []):
        attention.append([name, "одна «3» — резерв качества", subject])
    for row in att.sections[1].rows if len(att.sections) > 1 else []:
        missed = row[1]
        if missed >= ATTENTION_ABSENCE:
            reasons = Counter(dict(zip(MISSED, row[2:6], strict=True)))
            attention.append([row[0], f"пропущено уроков: {missed}",
                              f"без уважительной {reasons['unexcused']}, причина не указана {reasons['absent']}"])
    attention.sort(key=lambda r: r[0])
    sections = [
        Section(f"Успеваемость: {perf.title.split(': ', 1)[1]}", perf_line.columns, list(perf_line.rows),
                notes=perf_line.notes),
        Section(f"Посещаемость: {span}", att_line.columns, list(att_line.rows), notes=att_line.notes),
        Section(f"Требуют внимания: {len(attention)}", [Column("Ученик", "text", 30), Column("Почему", "text", 28),
                                                        Column("Предметы, причины", "text", 40)], attention,
                notes=[] if attention else ["Нет."]),
    ]
    return Report(code="class-summary", title=f"Итоги класса: {period['name'] if period else 'год'}",
                  scope=scope.words, sections=sections, made_at=access.now(), school=school, landscape=True,
                  signatures=["Классный руководитель"],
                  notes=[f"Требуют внимания: неуспевающие, не аттестованные, с одной «3», пропустившие "
                         f"{ATTENTION_ABSENCE} уроков и больше за срок."])
