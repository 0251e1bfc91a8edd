"""«Посещаемость» (R-REP-3; the monthly summary of 000 §3.6): for a class, a grade level or the
school and a span (a month, a study period or the year): per class and, for one class, per
pupil — lessons missed, by reason (по болезни, по уважительной, без уважительной, причина не
указана), days missed and lateness. Three queries whatever the size of the school.

A day counts as missed when the pupil missed every lesson of their class held that day (not
cancelled); a lateness is not a miss. Pupils are those in the scope on the span's last day (or
today while it runs); their absences in any lesson of the span count, whatever class or group
it was in."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from service.db import fetch
from service.journal import access
from service.reports import queries
from service.reports.charts import bars, lines
from service.reports.model import Column, Report, Section
from service.reports.performance import full_name
from service.reports.queries import Scope

REASONS = (("ill", "По болезни"), ("excused", "По уважительной"), ("unexcused", "Без уважительной"),
           ("absent", "Причина не указана"))
MISSED = tuple(k for k, _ in REASONS)


def _columns(first: list[Column]) -> list[Column]:
    return [*first, Column("Всего", "int", 7, "Пропущено уроков"),
            *[Column(name, "int", 11, "Пропущено уроков") for _, name in REASONS],
            Column("Дней пропущено", "int", 9), Column("Опозданий", "int", 9)]


def _line(c: Counter, days: int) -> list:
    return [sum(c[k] for k in MISSED), *[c[k] for k in MISSED], days, c["late"]]


async def attendance(scope: Scope, start: date, end: date, span: str, today: date, school: str = "") -> Report:
    """``span``: the span in words («ноябрь 2026», «1 четверть», «год»)."""
    year = scope.year
    day = min(end, today)
    pupils = await queries.pupils(scope, max(day, start))
    ids = {p["id"] for p in pupils}
    class_of = {p["id"]: p["class_id"] for p in pupils}
    where = {"class": "AND c.id = {}", "grade": "AND c.grade = {}", "school": ""}[scope.kind]
    extra = {"class": [scope.class_id], "grade": [scope.grade], "school": []}[scope.kind]
    marks = await fetch(
        "SELECT a.student AS s, a.kind AS k, l.on_date AS d FROM attendance a JOIN lesson l ON l.id = a.lesson "
        "WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled AND a.student IN ("
        "SELECT e.student FROM enrolment e JOIN school_class c ON c.id = e.school_class WHERE c.year = {} "
        + where + ")", start, end, year["id"], *extra)
    held = await fetch(
        "SELECT l.school_class AS c, l.on_date AS d, COUNT(*) AS n FROM lesson l JOIN school_class c "
        "ON c.id = l.school_class WHERE c.year = {} " + where + " AND l.on_date >= {} AND l.on_date <= {} "
        "AND NOT l.cancelled GROUP BY l.school_class, l.on_date", year["id"], *extra, start, end)
    lessons_held = {(c, _day(d)): n for c, d, n in held}
    per_pupil: dict[int, Counter] = defaultdict(Counter)
    per_day: dict[tuple[int, date], int] = Counter()
    for s, k, d in marks:
        if s not in ids:
            continue
        per_pupil[s][k] += 1
        if k in MISSED:
            per_day[(s, _day(d))] += 1
    days_missed: Counter = Counter()
    for (s, d), n in per_day.items():
        held_then = lessons_held.get((class_of[s], d))
        if held_then and n >= held_then:
            days_missed[s] += 1
    classes: dict[str, dict] = {}
    for p in pupils:
        entry = classes.setdefault(p["class_name"], {"pupils": 0, "counts": Counter(), "days": 0})
        entry["pupils"] += 1
        entry["counts"].update(per_pupil.get(p["id"], Counter()))
        entry["days"] += days_missed[p["id"]]
    total, total_days = Counter(), 0
    for e in classes.values():
        total.update(e["counts"])
        total_days += e["days"]
    by_class = Section("По классам", _columns([Column("Класс", "text", 8), Column("Учеников", "int", 9)]),
                       [[name, e["pupils"], *_line(e["counts"], e["days"])] for name, e in classes.items()],
                       totals=["Итого", len(pupils), *_line(total, total_days)] if len(classes) > 1 else None)
    if not pupils:
        by_class.notes.append("В выбранных классах нет учеников.")
    elif start > today:
        by_class.notes.append(f"Этот срок ещё не начался (с {start:%d.%m.%Y}): пропусков нет.")
    sections = [by_class]
    if scope.kind == "class":
        rows = [[full_name(p), *_line(per_pupil.get(p["id"], Counter()), days_missed[p["id"]])] for p in pupils]
        sections.append(Section("По ученикам", _columns([Column("Ученик", "text", 30)]), rows))
    else:
        missing = [p for p in pupils if any(per_pupil[p["id"]][k] for k in MISSED)] if per_pupil else []
        missing.sort(key=lambda p: -sum(per_pupil[p["id"]][k] for k in MISSED))
        rows = [[full_name(p), p["class_name"], *_line(per_pupil[p["id"]], days_missed[p["id"]])]
                for p in missing[:50]]
        sections.append(Section("Больше всего пропусков (до 50 учеников)",
                                 _columns([Column("Ученик", "text", 30), Column("Класс", "text", 8)]), rows,
                                 notes=[] if rows else ["Пропусков нет."]))
    charts = []
    if total:
        charts.append(bars("Пропущено уроков по причинам", [name.lower() for _, name in REASONS],
                           [total[k] for k in MISSED]))
        months: Counter = Counter()
        for s, k, d in marks:
            if s in ids and k in MISSED:
                months[_day(d).strftime("%Y-%m")] += 1
        if len(months) > 1:
            keys = sorted(months)
            charts.append(lines("Пропущено уроков по месяцам", [queries.MONTHS[int(m[5:]) - 1][:3] for m in keys],
                                {"пропущено уроков": [months[m] for m in keys]}))
    return Report(code="attendance", charts=charts, title=f"Посещаемость: {span}", scope=scope.words, sections=sections,
                  made_at=access.now(), school=school, landscape=True,
                  notes=[f"С {start:%d.%m.%Y} по {end:%d.%m.%Y}. День пропущен, если ученик пропустил все уроки "
                         "своего класса в этот день; опоздание пропуском не считается."])


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
