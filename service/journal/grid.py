"""The journal grid («страница журнала»): students × lessons of one period with attendance and
grades in each cell, the weighted average and the period final at the right (R-JOURNAL-2).

Built for speed (issue item 12, ../shared/perf-notes.md): a constant number of queries whatever
the size of the class or the period — the journal, its periods and grading system, the lessons
of the period, who belonged, their names, who teaches it, then attendance, grades, finals and
pending corrections together in ONE query joined from the lessons' condition — rows as dicts, and the
table's HTML built here as one string (every text escaped), so Jinja only lays out the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from markupsafe import escape

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, rules
from service.journal.access import JournalRef
from service.timetable.tables import Lesson

SAVE_URL = "/journal/cell"
DETAIL_URL = "/journal/cell"


@dataclass
class Student:
    id: int
    number: int
    name: str  # «Фамилия Имя»
    full_name: str
    spans: list[tuple[date, date | None]]
    note: str = ""  # the dates the student was in the journal, when not the whole period


@dataclass
class GridLesson:
    id: int
    on_date: date
    number: int
    cancelled: bool
    future: bool
    writable: bool  # the viewer may write this lesson's cells (as ``access.may_write`` decides)


@dataclass
class Mark:
    mark: str
    weight: Decimal
    work: str
    comment: str


@dataclass
class Grid:
    info: dict
    ref: JournalRef
    period: dict
    periods: list[dict]
    system: rules.System
    lessons: list[GridLesson]
    students: list[Student]
    teachers: list[str]
    attendance: dict[tuple[int, int], str] = field(default_factory=dict)
    marks: dict[tuple[int, int], list[Mark]] = field(default_factory=dict)
    averages: dict[int, Decimal | None] = field(default_factory=dict)
    finals: dict[int, str] = field(default_factory=dict)
    pending: set[tuple[int, int]] = field(default_factory=set)
    today: date | None = None

    def text(self, lesson: int, student: int) -> str:
        """The cell's canonical text (``rules.cell_text``), as a save's ``was`` names it."""
        return rules.cell_text(self.attendance.get((lesson, student)),
                               [m.mark for m in self.marks.get((lesson, student), ())])

    @property
    def editable(self) -> bool:
        return any(lesson.writable for lesson in self.lessons)


def default_period(periods: list[dict], today: date) -> dict | None:
    """The period holding today, else the last one that began before it, else the first."""
    if not periods:
        return None
    for p in periods:
        if p["starts_on"] <= today <= p["ends_on"]:
            return p
    started = [p for p in periods if p["starts_on"] <= today]
    return started[-1] if started else periods[0]


def _day(d: date) -> str:
    return f"{d:%d.%m}"


def span_note(spans: list[tuple[date, date | None]], start: date, end: date) -> str:
    """«с 14.11», «по 12.11», «02.11–09.11, с 20.11» — the dates a student was in the journal
    during the period, when not all of it (joined, left, home schooling); empty otherwise."""
    inside = sorted((max(s, start), min(e or end, end)) for s, e in spans if s <= end and (e is None or e >= start))
    if len(inside) == 1 and inside[0] == (start, end):
        return ""
    parts = []
    for s, e in inside:
        if s == start:
            parts.append(f"по {_day(e)}")
        elif e == end:
            parts.append(f"с {_day(s)}")
        else:
            parts.append(f"{_day(s)}–{_day(e)}")
    return ", ".join(parts)


def _weight_text(w: Decimal) -> str:
    text = f"{w.normalize():f}"
    return text.replace(".", ",")


# --- reading --------------------------------------------------------------------------------


_TEACHERS_SQL = """
SELECT t.teacher, t.starts_on, t.ends_on, p.last_name, p.first_name, p.middle_name
FROM teaching_load t JOIN person p ON p.id = t.teacher
WHERE t.{column} = {{}} AND t.subject = {{}} AND t.starts_on <= {{}} AND (t.ends_on IS NULL OR t.ends_on >= {{}})
ORDER BY p.last_name, p.first_name, t.id
"""

_NAMES_SQL = """
SELECT p.id, p.last_name, p.first_name, p.middle_name FROM person p
WHERE p.id IN (SELECT m.student FROM {table} m WHERE m.{column} = {{}} AND m.starts_on <= {{}}
               AND (m.ends_on IS NULL OR m.ends_on >= {{}}))
"""

_CELLS_SQL = """
SELECT 0 AS part, a.lesson, a.student, a.kind AS mark, NULL AS value, NULL AS weight, NULL AS work,
       '' AS comment, 0 AS position, a.id
FROM attendance a JOIN lesson l ON l.id = a.lesson
WHERE {where} AND l.on_date >= {{}} AND l.on_date <= {{}}
UNION ALL
SELECT 1 AS part, g.lesson, g.student, g.mark, g.value, g.weight, w.name AS work, g.comment, g.position, g.id
FROM grade g JOIN lesson l ON l.id = g.lesson JOIN work_kind w ON w.id = g.work_kind
WHERE {where} AND l.on_date >= {{}} AND l.on_date <= {{}} AND g.removed_at IS NULL
UNION ALL
SELECT 2 AS part, NULL, f.student, f.mark, NULL, NULL, NULL, '', 0, f.id
FROM final_grade f
WHERE f.kind = 'period' AND f.period = {{}} AND f.subject = {{}} AND f.{column} = {{}}
UNION ALL
SELECT 3 AS part, c.lesson, c.student, NULL, NULL, NULL, NULL, '', 0, c.id
FROM correction c JOIN lesson l ON l.id = c.lesson
WHERE c.status = 'pending' AND c.target = 'cell' AND {where} AND l.on_date >= {{}} AND l.on_date <= {{}}
ORDER BY 1, 2, 3, 9, 10
"""


async def load(viewer: Viewer, ref: JournalRef, period_id: int | None = None) -> Grid:
    """The grid of a journal and period as the viewer may see it; ``NotFound`` for a journal the
    viewer may not see, a missing one, or a period that is not the journal's."""
    info = await access.journal(ref)
    if not await access.may_view(viewer, info):
        raise NotFound()
    periods = await access.periods(info["year"], info["grade"] or 1)
    today = access.school_today()
    if period_id is None:
        period = default_period(periods, today)
    else:
        period = next((p for p in periods if p["id"] == period_id), None)
    if period is None:
        raise NotFound()
    start, end = period["starts_on"], period["ends_on"]
    system = await access.system_for(info["year"], info["grade"] or 1, ref.subject, info["group_kind"])
    column = "school_class" if ref.kind == "c" else "study_group"
    where, args = ref.lesson_sql("l")

    lesson_rows = await Lesson.raw(
        f"SELECT l.id, l.on_date, l.number, l.cancelled, l.teacher, l.taught_by FROM lesson l "
        f"WHERE {where} AND l.on_date >= {{}} AND l.on_date <= {{}} ORDER BY l.on_date, l.number, l.id",
        *args, start, end).run()
    load_rows = await Lesson.raw(_TEACHERS_SQL.format(column=column), ref.owner, ref.subject, end, start).run()
    spans = await access.members(ref, start, end)
    table = "enrolment" if ref.kind == "c" else "group_member"
    name_rows = await Lesson.raw(_NAMES_SQL.format(table=table, column=column), ref.owner, end, start).run()
    cell_rows = await Lesson.raw(_CELLS_SQL.format(where=where, column=column), *args, start, end, *args, start, end,
                                 period["id"], ref.subject, ref.owner, *args, start, end).run()

    # who teaches it, and which lessons the viewer writes (``access.may_write`` without a query each)
    teachers: list[str] = []
    own_load: list[tuple[date, date | None]] = []
    for r in load_rows:
        name = f"{r['last_name']} {r['first_name'][:1]}. {r['middle_name'][:1] + '.' if r['middle_name'] else ''}".strip()
        if name not in teachers:
            teachers.append(name)
        if r["teacher"] == viewer.person_id:
            own_load.append((r["starts_on"], r["ends_on"]))
    edit_all = viewer.can("journal.edit")
    teach = viewer.person_id is not None and viewer.can("journal.teach")
    lessons = []
    for r in lesson_rows:
        writable = edit_all or (teach and (viewer.person_id in (r["teacher"], r["taught_by"])
                                           or access.belongs(own_load, r["on_date"])))
        lessons.append(GridLesson(r["id"], r["on_date"], r["number"], bool(r["cancelled"]),
                                  r["on_date"] > today, writable))

    names = {r["id"]: r for r in name_rows}
    people = sorted((p for p in spans if p in names),
                    key=lambda p: (names[p]["last_name"].replace("ё", "е").replace("Ё", "Е"),
                                   names[p]["first_name"], names[p]["middle_name"], p))
    students = []
    for number, p in enumerate(people, 1):
        n = names[p]
        students.append(Student(
            id=p, number=number, name=f"{n['last_name']} {n['first_name']}",
            full_name=" ".join(x for x in (n["last_name"], n["first_name"], n["middle_name"]) if x),
            spans=spans[p], note=span_note(spans[p], start, end)))

    grid = Grid(info=info, ref=ref, period=period, periods=periods, system=system, lessons=lessons,
                students=students, teachers=teachers, today=today)
    counted: dict[int, list[tuple[Decimal | None, Decimal]]] = {}
    for r in cell_rows:
        key = (r["lesson"], r["student"])
        part = r["part"]
        if part == 0:
            grid.attendance[key] = r["mark"]
            continue
        if part == 2:
            grid.finals[r["student"]] = r["mark"]
            continue
        if part == 3:
            grid.pending.add(key)
            continue
        weight = Decimal(str(r["weight"]))
        grid.marks.setdefault(key, []).append(Mark(r["mark"], weight, r["work"], r["comment"] or ""))
        value = None if r["value"] is None else Decimal(str(r["value"]))
        counted.setdefault(r["student"], []).append((value, weight))
    grid.averages = {s.id: rules.weighted_average(counted.get(s.id, [])) for s in students}
    return grid


# --- HTML -----------------------------------------------------------------------------------


MONTHS = ("", "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь")


def head_html(grid: Grid) -> str:
    """The table's header: a row of months over a row of dates (each linking to its lesson)."""
    months: list[list] = []
    for lesson in grid.lessons:
        if months and months[-1][0] == lesson.on_date.month:
            months[-1][1] += 1
        else:
            months.append([lesson.on_date.month, 1])
    out = ['<tr class="months"><th class="num" rowspan="2" scope="col">№</th>'
           '<th class="name" rowspan="2" scope="col">Ученик</th>']
    for month, span in months:
        out.append(f'<th colspan="{span}" scope="colgroup">{MONTHS[month]}</th>')
    if not grid.lessons:
        out.append('<th rowspan="2" scope="col" class="empty">уроков нет</th>')
    out.append('<th class="avg" rowspan="2" scope="col" title="Средний взвешенный балл за период">Ср.</th>'
               '<th class="fin" rowspan="2" scope="col" title="Итоговая отметка за период">Итог</th></tr><tr class="days">')
    for lesson in grid.lessons:
        cls = "cancel" if lesson.cancelled else ("future" if lesson.future else "")
        title = f"{lesson.on_date:%d.%m.%Y}, {lesson.number}-й урок" + (" — отменён" if lesson.cancelled else "")
        out.append(f'<th scope="col" class="{cls}"><a href="/journal/lesson/{lesson.id}" title="{title}">'
                   f'{lesson.on_date.day:02d}<small>{lesson.number}</small></a></th>')
    out.append("</tr>")
    return "".join(out)


def _marks_html(marks: list[Mark], cache: dict) -> str:
    out = []
    for m in marks:
        key = (m.mark, m.weight, m.work, m.comment)
        html = cache.get(key)
        if html is None:
            cls = []
            title = f"{m.work}, вес {_weight_text(m.weight)}"
            if m.weight > 1:
                cls.append("heavy")
            if m.comment:
                cls.append("note")
                title += f". Комментарий: {m.comment}"
            klass = f' class="{" ".join(cls)}"' if cls else ""
            html = f'<b{klass} title="{escape(title)}">{escape(m.mark)}</b>'
            cache[key] = html
        out.append(html)
    return " ".join(out)


def body_html(grid: Grid) -> str:
    """The table's body: one row per student, one cell per lesson (the hot loop: plain strings,
    lesson-level pieces made once, a pupil in the journal the whole period checked once)."""
    cache: dict = {}
    letters = {kind: f'<i title="{escape(name)}">{letter}</i>' for kind, (letter, name) in rules.ATTENDANCE.items()}
    start, end = grid.period["starts_on"], grid.period["ends_on"]
    columns = []
    for lesson in grid.lessons:
        if lesson.cancelled or lesson.future or not lesson.writable:
            cls = "cancel" if lesson.cancelled else ("future" if lesson.future else "ro")
            columns.append((lesson.id, lesson.on_date, None, f'<td class="{cls}"'))
        else:
            columns.append((lesson.id, lesson.on_date, f'<td data-l="{lesson.id}" data-s="', None))
    attendance, marks_of, pending = grid.attendance, grid.marks, grid.pending
    out = []
    add = out.append
    for s in grid.students:
        note = f'<small class="span">{escape(s.note)}</small>' if s.note else ""
        add(f'<tr data-name="{escape(s.name)}"><td class="num">{s.number}</td>'
            f'<th scope="row" class="name" title="{escape(s.full_name)}">{escape(s.name)}{note}</th>')
        whole = not s.note and access.belongs(s.spans, start) and access.belongs(s.spans, end)
        sid = f'{s.id}"'
        for lid, day, open_td, closed_td in columns:
            key = (lid, s.id)
            att = attendance.get(key)
            marks = marks_of.get(key)
            if att is None and marks is None:
                inner = text = ""
            else:
                text = rules.cell_text(att, [m.mark for m in marks] if marks else ())
                inner = cache.get(text) if marks is None else None
                if inner is None:
                    inner = " ".join(([letters[att]] if att else []) + ([_marks_html(marks, cache)] if marks else []))
                    if marks is None:
                        cache[text] = inner
            extra = ' data-pending="1" title="Исправление ждёт утверждения"' if pending and key in pending else ""
            if not whole and not access.belongs(s.spans, day):
                add(f'<td class="out" title="Не в списке в этот день">{inner}</td>')
            elif open_td is None:
                add(f"{closed_td}{extra}>{inner}</td>")
            else:
                add(f'{open_td}{sid} data-v="{escape(text) if text else ""}"{extra}>{inner}</td>')
        if not grid.lessons:
            add('<td class="empty"></td>')
        avg = grid.averages.get(s.id)
        add(f'<td class="avg">{"" if avg is None else str(avg).replace(".", ",")}</td>'
            f'<td class="fin">{escape(grid.finals.get(s.id, ""))}</td></tr>')
    return "".join(out)


# --- JSON -----------------------------------------------------------------------------------


@dataclass
class PeriodData:
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


@dataclass
class LessonData:
    id: int
    date: date
    number: int
    cancelled: bool
    editable: bool


@dataclass
class StudentData:
    id: int
    number: int
    name: str
    note: str
    cells: dict[str, str]  # lesson id → the cell's text («н 5»); empty cells are left out
    average: str | None  # weighted average of the period, «4.25»
    final: str | None  # the period final


@dataclass
class GridData:
    """The journal grid of a period (students × lessons) as the JSON API gives it."""

    journal: str
    title: str
    period: PeriodData
    system: str
    teachers: list[str]
    lessons: list[LessonData]
    students: list[StudentData]


def as_data(grid: Grid) -> GridData:
    """The same grid for the JSON API: students, lessons, cells as text, averages, finals."""
    p = grid.period
    return GridData(
        journal=grid.ref.key, title=grid.info["title"],
        period=PeriodData(p["id"], p["name"], p["starts_on"], p["ends_on"], bool(p["closed"])),
        system=grid.system.name, teachers=grid.teachers,
        lessons=[LessonData(lesson.id, lesson.on_date, lesson.number, lesson.cancelled,
                            lesson.writable and not lesson.cancelled and not lesson.future)
                 for lesson in grid.lessons],
        students=[StudentData(
            s.id, s.number, s.full_name, s.note,
            {str(lesson.id): grid.text(lesson.id, s.id) for lesson in grid.lessons
             if (lesson.id, s.id) in grid.attendance or (lesson.id, s.id) in grid.marks},
            None if grid.averages.get(s.id) is None else str(grid.averages[s.id]),
            grid.finals.get(s.id)) for s in grid.students],
    )
