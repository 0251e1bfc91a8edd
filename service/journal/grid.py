"""The journal grid («страница журнала»): students × lessons of one period with attendance and
grades in each cell, the weighted average and the period final at the right (R-JOURNAL-2).

Built for speed (issue item 12, ../shared/perf-notes.md): a constant number of queries whatever
the size of the class or the period — the journal, its periods and grading system, the lessons
of the period, who belonged, their names, who teaches it, then attendance, grades, finals and
pending corrections: one query in all (``grid_queries``; two between periods), rows read as tuples, and the
table's HTML built here as one string (every text escaped), so Jinja only lays out the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, grid_queries, rules
from service.journal.access import JournalRef

SAVE_URL = "/journal/cell"
DETAIL_URL = "/journal/cell"


@dataclass(slots=True)
class Student:
    id: int
    number: int
    name: str  # «Фамилия Имя»
    full_name: str
    spans: list[tuple[date, date | None]]
    note: str = ""  # the dates the student was in the journal, when not the whole period


@dataclass(slots=True)
class GridLesson:
    id: int
    on_date: date
    number: int
    cancelled: bool
    future: bool
    writable: bool  # the viewer may write this lesson's cells (as ``access.may_write`` decides)


class Mark(NamedTuple):
    """A grade as the grid shows it (a tuple: cells with the same grades share their HTML)."""

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

    @cached_property
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


async def load(viewer: Viewer, ref: JournalRef, period_id: int | None = None) -> Grid:
    """The grid of a journal and period as the viewer may see it; ``NotFound`` for a journal the
    viewer may not see, a missing one, or a period that is not the journal's. One query
    (``grid_queries.journal``: the journal's context and the period's content); a second one only
    when no period was asked for and none holds today (the holidays: the last period begun)."""
    today = access.school_today()
    ctx, found = await grid_queries.journal(ref, viewer.person_id, period_id, today)
    if ctx is None:
        raise NotFound()
    info = ctx["info"]
    # access.may_view, with "teaches" read in the same query
    if not (access.may_view_without_load(viewer, info)
            or (viewer.person_id is not None and viewer.can("journal.teach") and ctx["teaches"])):
        raise NotFound()
    periods = ctx["periods"]
    if period_id is None:
        period = default_period(periods, today)
    else:
        period = next((p for p in periods if p["id"] == period_id), None)
    if period is None:
        raise NotFound()
    start, end = period["starts_on"], period["ends_on"]
    data = found[1] if found is not None and found[0] == period["id"] else await grid_queries.content(ref, period)

    # who teaches it, and which lessons the viewer writes (``access.may_write`` without a query each)
    teachers: list[str] = []
    own_load: list[tuple[date, date | None]] = []
    for teacher, starts_on, ends_on, last, first, middle, _ in data["load"]:
        name = f"{last} {first[:1]}. {middle[:1] + '.' if middle else ''}".strip()
        if name not in teachers:
            teachers.append(name)
        if teacher == viewer.person_id:
            own_load.append((starts_on, ends_on))
    edit_all = viewer.can("journal.edit")
    teach = viewer.person_id is not None and viewer.can("journal.teach")
    lessons = []
    for lid, on_date, number, cancelled, planned, taught_by in data["lessons"]:
        writable = edit_all or (teach and (viewer.person_id in (planned, taught_by) or access.belongs(own_load, on_date)))
        lessons.append(GridLesson(lid, on_date, number, cancelled, on_date > today, writable))

    names, spans = data["names"], data["spans"]
    people = sorted((p for p in spans if p in names),
                    key=lambda p: (names[p][0].replace("ё", "е").replace("Ё", "Е"), names[p][1], names[p][2], p))
    students = []
    for number, p in enumerate(people, 1):
        last, first, middle = names[p]
        students.append(Student(
            id=p, number=number, name=f"{last} {first}", full_name=" ".join(x for x in (last, first, middle) if x),
            spans=spans[p], note=span_note(spans[p], start, end)))

    grid = Grid(info=info, ref=ref, period=period, periods=periods, system=ctx["system"], lessons=lessons,
                students=students, teachers=teachers, attendance=data["attendance"], finals=data["finals"],
                pending=data["pending"], today=today)
    sums: dict[int, list[Decimal]] = {}  # student → [Σ value·weight, Σ weight] of the grades that count
    counts = rules.counts
    marks = grid.marks
    numbers: dict[str | None, Decimal | None] = {None: None}  # weights and values repeat: one Decimal each
    works = ctx["works"]
    i1, i2, i5, t1, t2, n1, n2 = (grid_queries.I1, grid_queries.I2, grid_queries.I5, grid_queries.C1,
                                  grid_queries.C2, grid_queries.C3, grid_queries.C4)
    for r in data["grades"]:
        w, v = r[n2], r[n1]
        weight = numbers[w] if w in numbers else numbers.setdefault(w, Decimal(w))
        value = numbers[v] if v in numbers else numbers.setdefault(v, Decimal(v))
        student = r[i2]
        marks.setdefault((r[i1], student), []).append(Mark(r[t1], weight, works.get(r[i5], ""), r[t2] or ""))
        if counts(value, weight):
            acc = sums.get(student)
            if acc is None:
                sums[student] = [value * weight, weight]
            else:
                acc[0] += value * weight
                acc[1] += weight
    average = rules.average_of_sums
    grid.averages = {s.id: average(*sums[s.id]) if s.id in sums else None for s in students}
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


def _esc(text: str) -> str:
    """markupsafe's ``escape`` as a plain str — the same five characters, the same entities —
    without a Markup object for each of the table's few hundred texts."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def _marks_html(marks: list[Mark], cache: dict) -> str:
    out = []
    for m in marks:
        html = cache.get(m)
        if html is None:
            cls = []
            title = f"{m.work}, вес {_weight_text(m.weight)}"
            if m.weight > 1:
                cls.append("heavy")
            if m.comment:
                cls.append("note")
                title += f". Комментарий: {m.comment}"
            klass = f' class="{" ".join(cls)}"' if cls else ""
            html = f'<b{klass} title="{_esc(title)}">{_esc(m.mark)}</b>'
            cache[m] = html
        out.append(html)
    return " ".join(out)


def _cells_html(grid: Grid) -> dict[tuple[int, int], tuple[str, str]]:
    """Each filled cell's (``data-v`` text, escaped; inner HTML), made once per distinct content
    (in a class's journal most filled cells repeat a few dozen contents)."""
    cache: dict = {}  # content → the cell
    marks_cache: dict = {}  # a grade → its HTML
    letters = {kind: f'<i title="{_esc(name)}">{letter}</i>' for kind, (letter, name) in rules.ATTENDANCE.items()}
    attendance = grid.attendance
    cells = {}
    for key, marks in grid.marks.items():
        att = attendance.get(key)
        content = (att, *marks)
        cell = cache.get(content)
        if cell is None:
            inner = _marks_html(marks, marks_cache)
            cell = cache[content] = (_esc(rules.cell_text(att, [m.mark for m in marks])),
                                     f"{letters[att]} {inner}" if att else inner)
        cells[key] = cell
    for key, att in attendance.items():
        if key not in cells:
            cell = cache.get(att)
            if cell is None:
                cell = cache[att] = (_esc(rules.cell_text(att, ())), letters[att])
            cells[key] = cell
    return cells


def body_html(grid: Grid) -> str:
    """The table's body: one row per student (``data-s``), one cell per lesson (``data-l`` when
    the viewer may write it, ``data-v`` its text when filled). The hot loop: every column's
    empty cell and each distinct filled cell are made once; a row of a pupil in the journal the
    whole period, without pending corrections, is only lookups."""
    start, end = grid.period["starts_on"], grid.period["ends_on"]
    columns = []  # (lesson id, date, opening of a filled cell, the empty cell)
    for lesson in grid.lessons:
        if lesson.cancelled or lesson.future or not lesson.writable:
            cls = "cancel" if lesson.cancelled else ("future" if lesson.future else "ro")
            columns.append((lesson.id, lesson.on_date, f'<td class="{cls}"', f'<td class="{cls}"></td>', False))
        else:
            columns.append((lesson.id, lesson.on_date, f'<td data-l="{lesson.id}"', f'<td data-l="{lesson.id}"></td>',
                            True))
    cells, pending = _cells_html(grid), grid.pending
    by_lesson = {lid: (i, opening, writable) for i, (lid, _, opening, _, writable) in enumerate(columns)}
    filled = {}  # (lesson, student) → the whole cell
    row_cells: dict[int, list[tuple[int, str]]] = {}  # student → (column, the whole cell) of each filled one
    for key, (text, inner) in cells.items():
        i, opening, writable = by_lesson.get(key[0], (None, '<td class="ro"', False))
        whole_cell = filled[key] = f'{opening} data-v="{text}">{inner}</td>' if writable else f"{opening}>{inner}</td>"
        if i is not None:
            row_cells.setdefault(key[1], []).append((i, whole_cell))
    empties = [empty for _, _, _, empty, _ in columns]
    out = []
    add = out.append
    for s in grid.students:
        note = f'<small class="span">{_esc(s.note)}</small>' if s.note else ""
        name = _esc(s.name)
        add(f'<tr data-s="{s.id}" data-name="{name}"><td class="num">{s.number}</td>'
            f'<th scope="row" class="name" title="{_esc(s.full_name)}">{name}{note}</th>')
        sid = s.id
        whole = not s.note and access.belongs(s.spans, start) and access.belongs(s.spans, end)
        if whole and not pending:
            row = empties.copy()
            for i, whole_cell in row_cells.get(sid, ()):
                row[i] = whole_cell
            out.extend(row)
        else:
            for lid, day, opening, empty, writable in columns:
                key = (lid, sid)
                if not whole and not access.belongs(s.spans, day):
                    add(f'<td class="out" title="Не в списке в этот день">{cells.get(key, ("", ""))[1]}</td>')
                elif key in pending:
                    text, inner = cells.get(key, ("", ""))
                    value = f' data-v="{text}"' if writable and text else ""
                    add(f'{opening}{value} data-pending="1" title="Исправление ждёт утверждения">{inner}</td>')
                else:
                    add(filled.get(key) or empty)
        if not grid.lessons:
            add('<td class="empty"></td>')
        avg = grid.averages.get(s.id)
        add(f'<td class="avg">{"" if avg is None else str(avg).replace(".", ",")}</td>'
            f'<td class="fin">{_esc(grid.finals.get(s.id, ""))}</td></tr>')
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
