"""Monitoring (R-REP-5, issue 11 item 6): how fully the journal is kept, per teacher — lessons
held, without a topic, without attendance taken, without homework, grades entered later than the
school allows, finals overdue — and who uses the journal: the share of teachers, pupils and
parents who signed in during a span. The education authority's weekly figures (003 items 7–9
and the set-up check-list, sheet 1) are these two, the answers to parents' messages and the
readiness check-list, for one ISO week. A constant number of queries whatever the school.

Fill per cent = lessons held with a topic and attendance taken ÷ lessons held. A grade is late
when it was entered more than ``grades_due_days`` (the school's journal settings) after the
lesson's day. Activity: an account is active when a session was started with it during the span
(a sign-in); coverage = active ÷ people of that role (teachers with load, pupils enrolled, their
parents)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from service.db import fetch, is_postgres
from service.journal import access, final_queries
from service.messages import queries as message_queries
from service.messages import rules as message_rules
from service.reports import queries
from service.reports.model import Column, Report, Section
from service.reports.readiness import readiness_figures, readiness_items
from service.reports.rules import percent
from service.settings import get_settings
from service.timetable.tables import Lesson

STATES = {"ok": "выполнено", "partial": "частично", "missing": "нет", "later": "позже"}


def iso_week(text: str) -> tuple[date, date]:
    """Monday and Sunday of «ГГГГ-WНН» (ISO 8601); ``ValueError`` in Russian otherwise."""
    t = (text or "").strip().upper()
    if len(t) not in (7, 8) or t[4:6] != "-W" or not t[:4].isdigit() or not t[6:].isdigit():
        raise ValueError("Неделя: в виде ГГГГ-WНН, например 2026-W47")
    try:
        monday = date.fromisocalendar(int(t[:4]), int(t[6:]), 1)
    except ValueError:
        raise ValueError(f"Неделя: в {t[:4]} году нет недели {t[6:]}") from None
    return monday, monday + timedelta(days=6)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = get_settings().tz
    return (datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC))


def _initials(last: str | None, first: str | None, middle: str | None) -> str:
    if not last:
        return "(не указан)"
    tail = f" {middle[:1]}." if middle else ""
    first_letter = (first or "")[:1]
    return f"{last} {first_letter}.{tail}"


_FILL_SQL = """
SELECT l.taught_by AS teacher, p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name,
       COUNT(*) AS held,
       SUM(CASE WHEN e.id IS NULL OR (COALESCE(e.topic, '') = '' AND e.plan_item IS NULL) THEN 1 ELSE 0 END) AS no_topic,
       SUM(CASE WHEN e.id IS NULL OR e.attendance_at IS NULL THEN 1 ELSE 0 END) AS no_attendance,
       SUM(CASE WHEN e.id IS NULL OR COALESCE(e.homework, '') = '' THEN 1 ELSE 0 END) AS no_homework,
       SUM(CASE WHEN e.id IS NOT NULL AND (COALESCE(e.topic, '') <> '' OR e.plan_item IS NOT NULL)
                 AND e.attendance_at IS NOT NULL THEN 1 ELSE 0 END) AS filled
FROM lesson l
LEFT JOIN lesson_entry e ON e.lesson = l.id
LEFT JOIN person p ON p.id = l.taught_by
WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled
GROUP BY l.taught_by, p.last_name, p.first_name, p.middle_name
ORDER BY p.last_name, p.first_name, p.middle_name, l.taught_by
"""


def _late_sql() -> str:
    due = "(l.on_date + ({}) * INTERVAL '1 day' + INTERVAL '1 day')" if is_postgres() else \
        "datetime(l.on_date, '+' || ({} + 1) || ' days')"
    # created after the end of the last allowed day (the school's day, approximated in UTC by a
    # whole day: a grade entered on the last evening is never counted late)
    return f"""
SELECT l.taught_by AS teacher, COUNT(*) AS late
FROM grade g JOIN lesson l ON l.id = g.lesson
WHERE l.on_date >= {{}} AND l.on_date <= {{}} AND g.removed_at IS NULL AND g.created_at > {due}
GROUP BY l.taught_by
"""


FILL_COLUMNS = [
    Column("Учитель", "text", 22), Column("Проведено уроков", "int", 9),
    Column("Без темы", "int", 8, "Из них"), Column("Без отметки посещаемости", "int", 12, "Из них"),
    Column("Без домашнего задания", "int", 12, "Из них"),
    Column("Заполнено, %", "percent", 10), Column("Отметок внесено с опозданием", "int", 12),
    Column("Журналов без итоговых в срок", "int", 12),
]


async def fill_section(year: dict, start: date, end: date, today: date) -> tuple[Section, dict]:
    """Per teacher over [start, end] (not beyond today), and the school's totals."""
    end = min(end, today)
    settings = await access.settings(year["id"])
    rows = await Lesson.raw(_FILL_SQL, start, end).run() if start <= end else []
    late = {r[0]: r[1] for r in await fetch(_late_sql(), start, end, settings.grades_due_days)} if start <= end else {}
    overdue: dict[int, int] = {}
    for j in await final_queries.missing_finals(year, today):
        for teacher in j["teacher_ids"]:
            overdue[teacher] = overdue.get(teacher, 0) + 1
    lines, totals = [], {"held": 0, "no_topic": 0, "no_attendance": 0, "no_homework": 0, "filled": 0, "late": 0,
                         "overdue": sum(overdue.values())}
    for r in rows:
        held, filled = int(r["held"]), int(r["filled"] or 0)
        lines.append([_initials(r["last_name"], r["first_name"], r["middle_name"]), held, int(r["no_topic"] or 0),
                      int(r["no_attendance"] or 0), int(r["no_homework"] or 0), percent(filled, held),
                      late.get(r["teacher"], 0), overdue.get(r["teacher"], 0)])
        for key in ("held", "no_topic", "no_attendance", "no_homework", "filled"):
            totals[key] += int(r[key] or 0)
        totals["late"] += late.get(r["teacher"], 0)
    totals["fill_pct"] = percent(totals["filled"], totals["held"])
    section = Section("Заполнение журнала по учителям", FILL_COLUMNS, lines,
                      totals=["Итого", totals["held"], totals["no_topic"], totals["no_attendance"],
                              totals["no_homework"], totals["fill_pct"], totals["late"], totals["overdue"]])
    section.notes.append(f"С {start:%d.%m.%Y} по {end:%d.%m.%Y}. Заполненный урок — с темой и отметкой посещаемости; "
                         f"отметка с опозданием — внесена позже {settings.grades_due_days} дн. после урока.")
    if not lines:
        section.notes.append("Уроков за эти дни не было.")
    return section, totals


_PEOPLE_SQL = """
SELECT 'teacher' AS role, COUNT(DISTINCT t.teacher) AS n FROM teaching_load t
  WHERE t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {})
UNION ALL
SELECT 'student', COUNT(DISTINCT e.student) FROM enrolment e
  WHERE e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})
UNION ALL
SELECT 'parent', COUNT(DISTINCT pl.parent) FROM parent_link pl JOIN enrolment e ON e.student = pl.child
  WHERE e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})
"""

_ACCOUNTS_SQL = """
SELECT CASE WHEN r.code IN ('teacher', 'class_teacher') THEN 'teacher' ELSE r.code END AS role,
       COUNT(DISTINCT a.id) AS accounts,
       COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM user_session s WHERE s.account = a.id
                                        AND s.created_at >= {} AND s.created_at < {}) THEN a.id END) AS active
FROM account a JOIN account_role ar ON ar.account = a.id JOIN role r ON r.id = ar.role
WHERE a.is_active AND r.code IN ('teacher', 'class_teacher', 'student', 'parent')
GROUP BY CASE WHEN r.code IN ('teacher', 'class_teacher') THEN 'teacher' ELSE r.code END
"""

UNFILLED_SHOWN = 300  # lessons listed with their links; the per-teacher counts above hold them all

_UNFILLED_SQL = """
SELECT l.id AS id, l.on_date AS on_date, l.number AS number, COALESCE(c.name, g.name, '') AS owner,
       s.name AS subject_name, p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name,
       CASE WHEN e.id IS NULL OR (COALESCE(e.topic, '') = '' AND e.plan_item IS NULL) THEN 1 ELSE 0 END AS no_topic,
       CASE WHEN e.id IS NULL OR e.attendance_at IS NULL THEN 1 ELSE 0 END AS no_attendance
FROM lesson l
LEFT JOIN lesson_entry e ON e.lesson = l.id
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
LEFT JOIN person p ON p.id = l.taught_by
WHERE l.on_date >= {} AND l.on_date <= {} AND NOT l.cancelled
  AND (e.id IS NULL OR (COALESCE(e.topic, '') = '' AND e.plan_item IS NULL) OR e.attendance_at IS NULL)
ORDER BY p.last_name, p.first_name, l.on_date, l.number, l.id
LIMIT {}
"""


async def unfilled_lessons(start: date, end: date) -> Section:
    """Each held lesson without a topic or without attendance, with a link to its page, where
    the teacher fills it in (at most ``UNFILLED_SHOWN``; the counts per teacher hold them all)."""
    rows = await Lesson.raw(_UNFILLED_SQL, start, end, UNFILLED_SHOWN + 1).run() if start <= end else []
    lines = [[_initials(r["last_name"], r["first_name"], r["middle_name"]), r["on_date"], r["number"],
              f"{r['owner']} · {r['subject_name']}",
              ", ".join(x for x, on in (("нет темы", r["no_topic"]), ("нет посещаемости", r["no_attendance"])) if on),
              f"/journal/lesson/{r['id']}"] for r in rows[:UNFILLED_SHOWN]]
    notes = [f"Показаны первые {UNFILLED_SHOWN}; остальные — в счётчиках по учителям выше."] \
        if len(rows) > UNFILLED_SHOWN else ([] if lines else ["Нет: все проведённые уроки заполнены."])
    return Section(f"Незаполненные уроки: {len(lines)}{'+' if len(rows) > UNFILLED_SHOWN else ''}", [
        Column("Учитель", "text", 22), Column("Дата", "date", 11), Column("Урок", "int", 5),
        Column("Журнал", "text", 30), Column("Чего нет", "text", 24), Column("Урок", "link", 24)], lines,
        notes=notes)


QUIET_DAYS = 14  # a journal whose lessons went on without a grade this long is listed

_QUIET_SQL = """
SELECT t.school_class AS school_class, t.study_group AS study_group, t.subject AS subject,
       COALESCE(c.name, g.name) AS owner, s.name AS subject_name,
       p.last_name AS last_name, p.first_name AS first_name, p.middle_name AS middle_name,
       (SELECT MAX(l.on_date) FROM grade gr JOIN lesson l ON l.id = gr.lesson
         WHERE gr.removed_at IS NULL AND l.subject = t.subject AND l.on_date >= {}
           AND ((t.study_group IS NOT NULL AND l.study_group = t.study_group)
                OR (t.study_group IS NULL AND l.study_group IS NULL AND l.school_class = t.school_class))) AS last_grade,
       (SELECT COUNT(*) FROM lesson l WHERE NOT l.cancelled AND l.subject = t.subject AND l.on_date > {}
           AND l.on_date <= {} AND ((t.study_group IS NOT NULL AND l.study_group = t.study_group)
                OR (t.study_group IS NULL AND l.study_group IS NULL AND l.school_class = t.school_class))) AS held
FROM teaching_load t
JOIN subject s ON s.id = t.subject JOIN person p ON p.id = t.teacher
LEFT JOIN school_class c ON c.id = t.school_class LEFT JOIN study_group g ON g.id = t.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
WHERE COALESCE(c.year, g.year) = {} AND t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {})
  AND COALESCE(g.kind, '') NOT IN ('club', 'gpd', 'extra') AND COALESCE(c.grade, gc.grade, 0) > 1
ORDER BY p.last_name, p.first_name, owner, subject_name
"""


async def quiet_journals(year: dict, today: date) -> Section:
    """Journals whose lessons went on for ``QUIET_DAYS`` days or more without a single grade
    (first grades and clubs, which get no marks, are left out), with a link to each journal."""
    since = today - timedelta(days=QUIET_DAYS)
    rows = await Lesson.raw(_QUIET_SQL, year["starts_on"], since, today, year["id"], today, today).run()
    lines = []
    for r in rows:
        last = r["last_grade"]
        last = last if last is None or isinstance(last, date) else date.fromisoformat(str(last)[:10])
        if int(r["held"] or 0) and (last is None or last <= since):
            key = f"g{r['study_group']}-s{r['subject']}" if r["study_group"] else f"c{r['school_class']}-s{r['subject']}"
            lines.append([_initials(r["last_name"], r["first_name"], r["middle_name"]), f"{r['owner']} · {r['subject_name']}",
                          last, int(r["held"]), f"/journal/{key}"])
    return Section(f"Журналы без отметок {QUIET_DAYS} дней и дольше: {len(lines)}", [
        Column("Учитель", "text", 22), Column("Журнал", "text", 30), Column("Последняя отметка", "date", 12),
        Column(f"Уроков за {QUIET_DAYS} дней", "int", 10), Column("Журнал", "link", 24)], lines,
        notes=[] if lines else ["Нет: во всех журналах с уроками есть свежие отметки."])


ROLE_NAMES = {"teacher": "Учителя", "student": "Ученики", "parent": "Родители"}
ACTIVITY_COLUMNS = [Column("Кто", "text", 10), Column("Всего в школе", "int", 9), Column("С учётной записью", "int", 10),
                    Column("Входили за срок", "int", 10), Column("Охват, %", "percent", 9),
                    Column("Из учётных записей, %", "percent", 11)]


async def activity_section(start: date, end: date, day: date) -> tuple[Section, dict]:
    people = {r["role"]: int(r["n"]) for r in await Lesson.raw(_PEOPLE_SQL, day, day, day, day, day, day).run()}
    lo, hi = _bounds(start, end)
    accounts = {r["role"]: r for r in await Lesson.raw(_ACCOUNTS_SQL, lo, hi).run()}
    lines, data = [], {}
    for role, name in ROLE_NAMES.items():
        total = people.get(role, 0)
        acc = int(accounts[role]["accounts"]) if role in accounts else 0
        active = int(accounts[role]["active"]) if role in accounts else 0
        lines.append([name, total, acc, active, percent(active, total), percent(active, acc)])
        data[role] = {"people": total, "accounts": acc, "active": active, "coverage_pct": percent(active, total)}
    return Section("Активность пользователей", ACTIVITY_COLUMNS, lines,
                   notes=["Входил — начал сеанс (вошёл по логину и паролю) в эти дни. Охват — от всех учителей "
                          "с нагрузкой, учеников и их родителей."]), data


async def monitoring(year: dict, start: date, end: date, span: str, today: date, school: str = "") -> Report:
    """Fill per teacher and activity per role over [start, end] (R-REP-5)."""
    fill, _ = await fill_section(year, start, end, today)
    active, _ = await activity_section(start, end, min(end, today))
    sections = [fill, await unfilled_lessons(start, min(end, today)), await quiet_journals(year, min(end, today)),
                active]
    return Report(code="monitoring", title=f"Заполнение журнала и активность: {span}",
                  scope=f"вся школа, {year['name']} учебный год", sections=sections, made_at=access.now(),
                  school=school, landscape=True)


async def authority(week: str, today: date, school: str = "") -> Report:
    """The education authority's weekly figures for an ISO week (003 items 7–9, sheet 1)."""
    monday, sunday = iso_week(week)
    years = [y for y in await queries.years() if y["starts_on"] <= sunday and y["ends_on"] >= monday]
    if not years:
        raise ValueError(f"Неделя {week}: вне учебных годов")
    year = years[0]
    fill, _ = await fill_section(year, max(monday, year["starts_on"]), min(sunday, year["ends_on"]), today)
    active, _ = await activity_section(monday, sunday, min(sunday, today))
    lo, hi = _bounds(monday, sunday)
    stats = message_rules.answer_stats(await message_queries.parent_waits(lo, hi), get_settings().tz, access.now())
    t = message_rules.totals(stats)
    answers = Section("Ответы на сообщения родителей", [
        Column("Обращений родителей", "int", 12), Column("С ответом", "int", 9),
        Column("Ответ в течение суток, %", "percent", 12), Column("Не прочитаны", "int", 10),
        Column("Прочитаны без ответа", "int", 12)],
        [[t["received"], t["answered"], t["within_day_share"], t["unread"], t["read_only"]]])
    items = readiness_items(await readiness_figures(min(sunday, today)))
    setup = Section("Готовность электронного журнала (лист № 1)",
                    [Column("№", "text", 5), Column("Показатель", "text", 50), Column("Состояние", "text", 12),
                     Column("Подробности", "text", 50)],
                    [[i.number, i.title, STATES.get(i.state, i.state), i.detail] for i in items])
    return Report(code="authority", title=f"Еженедельная статистика для управления образования: неделя {week.upper()}",
                  scope=f"с {monday:%d.%m.%Y} по {sunday:%d.%m.%Y}, {year['name']} учебный год",
                  sections=[fill, active, answers, setup], made_at=access.now(), school=school, landscape=True)
