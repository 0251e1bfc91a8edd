"""«Успеваемость и качество знаний» (R-REP-2): for a class, a grade level or the school and a
period (or the year), per class: how many of each mark, успеваемость %, качество %, the average
mark, and the pupils who are отличники, with a single «4» or a single «3», failing or not
attested. From the confirmed finals of the period (``final_grade``), in a constant number of
queries whatever the size of the school. The definitions are in ``rules`` and docs/reports.md."""

from __future__ import annotations

from datetime import date

from service.journal import access
from service.reports import queries, rules
from service.reports.charts import bars, lines
from service.reports.model import Column, Report, Section
from service.reports.queries import Scope
from service.timetable.tables import Lesson

CLASS_COLUMNS = [
    Column("Класс", "text", 8), Column("Учеников", "int", 9), Column("С отметками", "int", 10),
    Column("«5»", "int", 5, "Отметок"), Column("«4»", "int", 5, "Отметок"), Column("«3»", "int", 5, "Отметок"),
    Column("«2»", "int", 5, "Отметок"), Column("н/а", "int", 5, "Отметок"),
    Column("Успеваемость, %", "percent", 12), Column("Качество, %", "percent", 10),
    Column("Средний балл", "decimal", 9),
    Column("Отличники", "int", 9, "Учеников"), Column("Хорошисты", "int", 9, "Учеников"),
    Column("С одной «4»", "int", 9, "Учеников"), Column("С одной «3»", "int", 9, "Учеников"),
    Column("Неуспевающие", "int", 11, "Учеников"), Column("Не аттестованы", "int", 11, "Учеников"),
]


def full_name(r: dict) -> str:
    return " ".join(x for x in (r["last_name"], r["first_name"], r["middle_name"]) if x)


def _row(name: str, on_list: int, s: rules.Summary) -> list:
    m = s.marks
    return [name, on_list, s.pupils, m.get("5", 0), m.get("4", 0), m.get("3", 0), m.get("2", 0),
            m.get(rules.NOT_ATTESTED, 0), s.success_pct, s.quality_pct, s.average, s.excellent, s.good_only,
            s.single_four, s.single_three, s.failing, s.not_attested]


async def performance(scope: Scope, period: dict | None, today: date, school: str = "") -> Report:
    """``period``: a study period of the scope's year; None — the year finals."""
    year = scope.year
    day = min(period["ends_on"], today) if period else queries.report_day(year, today)
    grade_from, grade_to = (period["grade_from"], period["grade_to"]) if period else (1, 11)
    on_list = await queries.pupils(scope, day, grade_from, grade_to)
    rows = await queries.finals(year["id"], kinds=("period",) if period else ("year",),
                                period=period["id"] if period else None,
                                class_id=scope.class_id if scope.kind == "class" else None,
                                grade=scope.grade if scope.kind == "grade" else None)
    pupils: dict[int, rules.Pupil] = {}
    for p in on_list:
        pupils[p["id"]] = rules.Pupil(p["id"], full_name(p), p["class_name"])
    latest: dict[tuple[int, int], dict] = {}
    for r in rows:  # ordered by confirmation: a later final of a subject replaces an earlier one
        if r["student"] in pupils:
            latest[(r["student"], r["subject"])] = r
    for (student, _), r in latest.items():
        pupils[student].marks.append(rules.classify(r["mark"], r["system_kind"], r["low"], r["high"],
                                                    r["pass_from"], _bool(r["mark_passing"]), r["subject_name"]))
    by_class: dict[str, list[rules.Pupil]] = {}
    listed: dict[str, int] = {}
    for p in on_list:
        by_class.setdefault(p["class_name"], []).append(pupils[p["id"]])
        listed[p["class_name"]] = listed.get(p["class_name"], 0) + 1
    everyone = list(pupils.values())
    marked = {name: ps for name, ps in by_class.items() if any(p.counted for p in ps)}
    in_lines = [p for ps in marked.values() for p in ps]
    totals = _row("Итого", len(in_lines), rules.summarise(in_lines))
    section = Section("Итоги по классам", CLASS_COLUMNS,
                      [_row(name, listed[name], rules.summarise(ps)) for name, ps in marked.items()],
                      totals=totals if len(marked) > 1 else None)
    unmarked = [name for name in by_class if name not in marked]
    if unmarked and marked:
        section.notes.append(f"Классы без итоговых отметок (в отчёт не входят): {', '.join(unmarked)}.")
    without = sum(1 for p in in_lines if not p.counted)
    if period and period["starts_on"] > today:
        section.notes.append(f"Период «{period['name']}» ещё не начался (начнётся {period['starts_on']:%d.%m.%Y}): "
                             "итоговых отметок за него нет.")
    elif not marked:
        section.notes.append(f"Итоговых отметок за {'период' if period else 'год'} пока нет"
                             + (" — в выбранных классах нет учеников." if not on_list else "."))
    elif without:
        section.notes.append(f"У {without} из {len(in_lines)} учеников нет итоговых отметок за "
                             f"{'период' if period else 'год'}: они не входят в проценты и средний балл.")
    lists = [
        ("Отличники", [[p.name, p.class_name, ""] for p in everyone if p.excellent]),
        ("С одной «4»", [[p.name, p.class_name, p.single(4)] for p in everyone if p.single(4)]),
        ("С одной «3»", [[p.name, p.class_name, p.single(3)] for p in everyone if p.single(3)]),
        ("Неуспевающие", [[p.name, p.class_name, ", ".join(p.failing)] for p in everyone if p.failing]),
        ("Не аттестованы", [[p.name, p.class_name, ", ".join(p.not_attested)] for p in everyone if p.not_attested]),
    ]
    sections = [section]
    for title, items in lists:
        cols = [Column("Ученик", "text", 30), Column("Класс", "text", 8),
                Column("Предметы" if title in ("Неуспевающие", "Не аттестованы") else "Предмет", "text", 30)]
        if title == "Отличники":
            cols = cols[:2]
            items = [i[:2] for i in items]
        sections.append(Section(f"{title}: {len(items)}", cols, items,
                                notes=[] if items else ["Нет."]))
    what = period["name"] if period else "год"
    charts = []
    if in_lines:
        overall = rules.summarise(in_lines)
        charts.append(bars("Итоговые отметки", ["«5»", "«4»", "«3»", "«2»", "н/а"],
                           [overall.marks.get(k, 0) for k in ("5", "4", "3", "2", rules.NOT_ATTESTED)]))
        by_grade: dict[int, list[rules.Pupil]] = {}
        grade_of = {p["id"]: p["grade"] for p in on_list}
        for p in in_lines:
            by_grade.setdefault(grade_of[p.id], []).append(p)
        if len(marked) > 1:
            grades = sorted(by_grade)
            summaries = [rules.summarise(by_grade[g]) for g in grades]
            charts.append(lines("Успеваемость и качество по параллелям, %", [f"{g} кл." for g in grades],
                                {"успеваемость": [x.success_pct for x in summaries],
                                 "качество": [x.quality_pct for x in summaries]}, ""))
    if period is None and in_lines:
        charts.append(await _over_periods(scope, on_list, {p.id for p in in_lines}))
    return Report(code="performance", charts=charts, title=f"Успеваемость и качество знаний: {what}", scope=scope.words,
                  sections=sections, made_at=access.now(), school=school, landscape=True,
                  notes=["Успеваемость — доля учеников без «2» и «н/а»; качество — доля учеников только с «4» и «5»; "
                         "средний балл — по всем итоговым отметкам пятибалльной шкалы. Ученики без итоговых "
                         "отметок в проценты не входят."])


async def _over_periods(scope: Scope, on_list: list[dict], ids: set[int]):
    """успеваемость and качество of the year's pupils period by period (the year's chart over
    time); a period counts the pupils of the grades it is for."""
    rows = await queries.finals(scope.year["id"], kinds=("period",),
                                class_id=scope.class_id if scope.kind == "class" else None,
                                grade=scope.grade if scope.kind == "grade" else None)
    periods = await queries.periods(scope.year["id"])
    names = {p["id"]: full_name(p) for p in on_list}
    per: dict[int, dict[int, dict[int, rules.Mark]]] = {}
    for r in rows:
        if r["student"] in ids and r["period"] is not None:
            per.setdefault(r["period"], {}).setdefault(r["student"], {})[r["subject"]] = rules.classify(
                r["mark"], r["system_kind"], r["low"], r["high"], r["pass_from"], _bool(r["mark_passing"]),
                r["subject_name"])
    # periods with the same number and name across schemes are drawn as one point per name
    labels, success, quality = [], [], []
    for name in dict.fromkeys(p["name"] for p in periods):
        pupils = [rules.Pupil(s, names.get(s, ""), "", list(m.values()))
                  for p in periods if p["name"] == name for s, m in per.get(p["id"], {}).items()]
        if not pupils:
            continue
        summary = rules.summarise(pupils)
        labels.append(name.replace(" четверть", " ч.").replace(" полугодие", " п/г"))
        success.append(summary.success_pct)
        quality.append(summary.quality_pct)
    return lines("Успеваемость и качество по периодам, %", labels, {"успеваемость": success, "качество": quality})


def _bool(value) -> bool | None:
    return None if value is None else bool(value)


JOURNAL_COLUMNS = [
    Column("Журнал", "text", 26), Column("Учитель", "text", 18), Column("С отметками", "int", 10),
    Column("«5»", "int", 5, "Отметок"), Column("«4»", "int", 5, "Отметок"), Column("«3»", "int", 5, "Отметок"),
    Column("«2»", "int", 5, "Отметок"), Column("н/а", "int", 5, "Отметок"),
    Column("Успеваемость, %", "percent", 12), Column("Качество, %", "percent", 10),
    Column("Средний балл", "decimal", 9),
]

_LOAD_SQL = """
SELECT DISTINCT t.school_class AS school_class, t.study_group AS study_group, t.subject AS subject,
       t.teacher AS teacher, p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name
FROM teaching_load t JOIN person p ON p.id = t.teacher
LEFT JOIN school_class c ON c.id = t.school_class LEFT JOIN study_group g ON g.id = t.study_group
WHERE COALESCE(c.year, g.year) = {}
"""


async def performance_by_journal(year: dict, period: dict | None, today: date, school: str = "", *,
                                 teacher: dict | None = None, subject: dict | None = None) -> Report:
    """R-REP-2 per teacher or per subject: a line per journal (a class or group × a subject) —
    its finals of the period (or the year), успеваемость and качество in that subject alone, the
    average. A journal's teacher is its teaching load's (a finished year: who confirmed the finals)."""
    rows = await queries.finals(year["id"], kinds=("period",) if period else ("year",),
                                period=period["id"] if period else None)
    load = await Lesson.raw(_LOAD_SQL, year["id"]).run()
    people = {t["id"]: t for t in await queries.teachers(year["id"])}
    names = await Lesson.raw("SELECT id, name FROM school_class WHERE year = {} UNION ALL "
                             "SELECT -id, name FROM study_group WHERE year = {}", year["id"], year["id"]).run()
    owner_name = {r["id"]: r["name"] for r in names}
    teachers: dict[tuple, dict] = {}
    for r in load:
        teachers.setdefault((r["school_class"], r["study_group"], r["subject"]), r)
    journals: dict[tuple, dict] = {}
    for r in rows:
        key = (r["school_class"], r["study_group"], r["subject"])
        t = teachers.get(key)
        if t is None and r["confirmed_by"] in people:  # a finished year: who confirmed the finals
            t = {**people[r["confirmed_by"]], "teacher": r["confirmed_by"]}
        if teacher is not None and (t is None or t["teacher"] != teacher["id"]):
            continue
        if subject is not None and r["subject"] != subject["id"]:
            continue
        j = journals.setdefault(key, {"subject": r["subject_name"], "teacher": t, "marks": {}})
        j["marks"][r["student"]] = rules.classify(r["mark"], r["system_kind"], r["low"], r["high"], r["pass_from"],
                                                  _bool(r["mark_passing"]), r["subject_name"])
    lines = []
    for (cls, group, _), j in sorted(journals.items(), key=lambda kv: (
            owner_name.get(kv[0][0] if kv[0][0] else -(kv[0][1] or 0), ""), kv[1]["subject"])):
        owner = owner_name.get(cls) if cls else owner_name.get(-(group or 0), "")
        pupils = [rules.Pupil(s, "", "", [m]) for s, m in j["marks"].items()]
        summary = rules.summarise(pupils)
        t = j["teacher"]
        who = f"{t['last_name']} {(t['first_name'] or '')[:1]}." if t else ""
        m = summary.marks
        lines.append([f"{owner} · {j['subject']}", who, summary.pupils, m.get("5", 0), m.get("4", 0), m.get("3", 0),
                      m.get("2", 0), m.get(rules.NOT_ATTESTED, 0), summary.success_pct, summary.quality_pct,
                      summary.average])
    section = Section("По журналам", JOURNAL_COLUMNS, lines, notes=[] if lines else ["Итоговых отметок нет."])
    what = period["name"] if period else "год"
    if teacher is not None:
        scope = f"учитель {full_name(teacher)}, {year['name']} учебный год"
    else:
        scope = f"предмет «{subject['name'] if subject else ''}», {year['name']} учебный год"
    return Report(code="performance", title=f"Успеваемость и качество знаний: {what}", scope=scope,
                  sections=[section], made_at=access.now(), school=school, landscape=True,
                  notes=["По каждому журналу: успеваемость — доля учеников без «2» и «н/а» по этому предмету, "
                         "качество — доля с «4» и «5»."])
