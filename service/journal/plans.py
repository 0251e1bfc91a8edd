"""Thematic plans («КТП», R-LESSON-2): a plan file read and checked line by line, and
``do_import_plan``, the only code that writes plans.

A file is read whole (``service.readers``: CSV in any common encoding and delimiter, XLSX, ODS),
its header row found by loose names («№», «Тема», «Часы», «Дата»), and every line checked; the
page shows the lines, the totals and every error, and nothing is written until the whole file is
clean. The writing action checks the lines again (and the hours against the teaching load)
inside its transaction, so a direct POST gets the same answers as the page.

**Hours against the load.** The plan's hours may not exceed the journal's weekly hours × the
study weeks of the year. Weekly hours: the largest ``hours_per_week`` among the journal's loads
in force on some day of the year (two teachers sharing a class's subject teach the same lessons).
Study weeks: the working days (Monday–Friday) of the year outside holidays (``calendar_day`` of
kind "holidays" for the journal's grade), divided by five and rounded up — a week cut by
holidays counts for its share, so 34 weeks of lessons give 34."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from service import db
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.errors import NotFound, Refused
from service.journal import access
from service.journal.access import JournalRef
from service.journal.tables import PlanItem, ThematicPlan
from service.readers import NotReadable, Table, read_table
from service.text import plural

MAX_BYTES = 2 * 1024 * 1024  # a year's plan is a few kilobytes
MAX_LINES = 400
MAX_TOPIC = 500
MAX_HOURS = 10
MAX_NUMBER = 9999
HEADER_SEARCH = 20  # rows above the header a file may have (a title, the teacher's name)

COLUMNS = {"number": "№", "topic": "Тема", "hours": "Часы", "planned_on": "Дата"}


class PlanRefused(Refused):
    """The file has problems; ``preview`` lists them. Nothing was written."""

    def __init__(self, preview: PlanPreview):
        errors = preview.errors or ["в файле нет строк с темами"]
        more = f" (и ещё ошибок: {len(errors) - 1})" if len(errors) > 1 else ""
        super().__init__(f"КТП не загружено: {errors[0]}{more}", field="file")
        self.preview = preview


@dataclass
class PlanLine:
    """A line of the file: its number as the teacher sees it, the cells as written, the item it
    gives (none when it is wrong) and its errors."""

    number: int
    cells: list[str]
    item: dict | None = None
    errors: list[str] = field(default_factory=list)
    parsed_number: int | None = None  # its «№» when that cell alone is right


@dataclass
class Limit:
    """What the load allows: ``hours_per_week`` × ``weeks`` = ``hours`` (``hours_per_week``
    none: the journal has no load this year)."""

    hours_per_week: int | None
    weeks: int

    @property
    def hours(self) -> int:
        return (self.hours_per_week or 0) * self.weeks

    def describe(self) -> str:
        return (f"{self.hours_per_week} ч в неделю × {self.weeks} "
                f"{plural(self.weeks, 'неделя', 'недели', 'недель')} = {self.hours} ч")


@dataclass
class PlanPreview:
    lines: list[PlanLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the whole file
    format: str = ""
    encoding: str = ""
    limit: Limit | None = None

    @property
    def items(self) -> list[dict]:
        return [line.item for line in self.lines if line.item is not None]

    @property
    def bad_lines(self) -> list[PlanLine]:
        return [line for line in self.lines if line.errors]

    @property
    def errors(self) -> list[str]:
        return self.problems + [e for line in self.lines for e in line.errors]

    @property
    def total_hours(self) -> int:
        return sum(i["hours"] for i in self.items)

    @property
    def dated(self) -> int:
        return sum(1 for i in self.items if i["planned_on"] is not None)

    @property
    def clean(self) -> bool:
        return not self.errors and bool(self.items)


# --- reading --------------------------------------------------------------------------------


def read(data: bytes) -> Table:
    """The file's rows, or ``Refused`` saying in Russian why it cannot be read."""
    if len(data) > MAX_BYTES:
        raise Refused(f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ — это не КТП. Проверьте, что "
                      "выбран нужный файл.", field="file")
    try:
        return read_table(data)
    except NotReadable as exc:
        raise Refused(f"Файл не прочитан: {exc.message}", field="file") from None


def _norm(value: object) -> str:
    text = str(value or "").strip().lower().replace("ё", "е")
    return re.sub(r"[\s.:,()/\\-]+", " ", text).strip()


def column_of(header: object) -> str | None:
    """Which column a header names, matched loosely: «№ п/п», «Номер урока», «Тема урока»,
    «Кол-во часов», «Дата проведения», «Планируемая дата»…"""
    text = _norm(header)
    words = text.split()
    if not words:
        return None
    if any(w in ("тема", "темы", "раздел", "наименование", "содержание") for w in words):
        return "topic"
    if any(w.startswith("час") for w in words):
        return "hours"
    if any(w.startswith("дат") for w in words) or words[0] in ("срок", "сроки", "когда"):
        return "planned_on"
    if words[0].startswith(("№", "номер")) or words[0] in ("n", "no", "nn"):
        return "number"
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _whole(value: object) -> int | None:
    """A whole number written as a number or as text («7», «7.», «7,0»); none otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e9 else None
    text = str(value).strip().rstrip(".")
    text = re.sub(r"[,.]0+$", "", text)
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*г\.?)?$")


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE.match(str(value).strip())
    if not m:
        return None
    try:
        return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def preview_table(table: Table, year_starts: date, year_ends: date) -> PlanPreview:
    """Every line of the file checked (no database: pure). Hours against the load are added by
    :func:`check_limit`."""
    preview = PlanPreview(format=table.format, encoding=table.encoding)
    header_at, columns = None, {}
    for i, row in enumerate(table.rows[:HEADER_SEARCH]):
        found: dict[str, int] = {}
        for j, cell in enumerate(row):
            name = column_of(cell)
            if name and name not in found:
                found[name] = j
        if "topic" in found:
            header_at, columns = i, found
            break
    if header_at is None:
        preview.problems.append("не найдена шапка таблицы: нужен столбец «Тема» (и, если есть, "
                                "«№», «Часы», «Дата») в одной строке над темами")
        return preview
    body = [(n, row) for n, row in zip(table.numbers[header_at + 1:], table.rows[header_at + 1:], strict=True)
            if any(c is not None and str(c).strip() for c in row)]
    if len(body) > MAX_LINES:
        preview.problems.append(f"в файле {len(body)} строк с темами, а в КТП их может быть не "
                                f"больше {MAX_LINES}")
        return preview
    for position, (number, row) in enumerate(body, start=1):
        raw = {name: (row[j] if j < len(row) else None) for name, j in columns.items()}
        line = PlanLine(number=number, cells=[_cell_text(raw.get(name)) for name in COLUMNS])
        line.item, line.errors, line.parsed_number = _check_raw(raw, position, number)
        preview.lines.append(line)
    _check_order(preview.lines, year_starts, year_ends)
    return preview


def _check_raw(raw: dict, position: int, line: int) -> tuple[dict | None, list[str], int | None]:
    errors = []
    where = f"Строка {line}"
    number = position if "number" not in raw or raw["number"] is None else _whole(raw["number"])
    if number is None or not 1 <= number <= MAX_NUMBER:
        errors.append(f"{where}: № — целое число от 1 до {MAX_NUMBER}")
        number = None
    topic = " ".join(str(raw.get("topic") or "").split())
    if isinstance(raw.get("topic"), float | int) and not isinstance(raw.get("topic"), bool):
        topic = _cell_text(raw["topic"])
    if not topic:
        errors.append(f"{where}: тема не указана")
    elif len(topic) > MAX_TOPIC:
        errors.append(f"{where}: тема длиннее {MAX_TOPIC} знаков ({len(topic)})")
    hours = 1 if raw.get("hours") is None else _whole(raw["hours"])
    if hours is None or not 1 <= hours <= MAX_HOURS:
        errors.append(f"{where}: часы — целое число от 1 до {MAX_HOURS}")
    planned = None
    if raw.get("planned_on") is not None:
        planned = _day(raw["planned_on"])
        if planned is None:
            errors.append(f"{where}: дата — в виде дд.мм.гггг, например 01.09.2026")
    if errors:
        return None, errors, number
    return {"number": number, "topic": topic, "hours": hours, "planned_on": planned}, [], number


def _check_order(lines: list[PlanLine], year_starts: date, year_ends: date) -> None:
    """Numbers unique and increasing, dates inside the school year (lines already wrong for
    their own cells are left out of the comparison)."""
    previous = None
    for line in lines:
        errors = []
        number = line.parsed_number
        if number is not None:
            if previous is not None and number <= previous:
                errors.append(f"Строка {line.number}: № {number} не больше предыдущего ({previous}) — "
                              "номера идут по возрастанию без повторов")
            previous = max(previous or 0, number)
        day = line.item["planned_on"] if line.item else None
        if day is not None and not year_starts <= day <= year_ends:
            errors.append(f"Строка {line.number}: дата {day:%d.%m.%Y} вне учебного года "
                          f"({year_starts:%d.%m.%Y}–{year_ends:%d.%m.%Y})")
        if errors:
            line.errors.extend(errors)
            line.item = None


def check_items(items: list[dict], year_starts: date, year_ends: date) -> PlanPreview:
    """The same checks for items given directly (a caller that skipped the file)."""
    preview = PlanPreview()
    if len(items) > MAX_LINES:
        preview.problems.append(f"в КТП не больше {MAX_LINES} строк, а их {len(items)}")
        return preview
    for position, given in enumerate(items, start=1):
        raw = {"number": given.get("number"), "topic": given.get("topic"),
               "hours": given.get("hours"), "planned_on": given.get("planned_on")}
        line = PlanLine(number=position, cells=[_cell_text(raw[name]) for name in COLUMNS])
        line.item, line.errors, line.parsed_number = _check_raw(raw, position, position)
        preview.lines.append(line)
    _check_order(preview.lines, year_starts, year_ends)
    return preview


def study_weeks(starts: date, ends: date, holidays: list[tuple[date, date]]) -> int:
    """Working days (Monday–Friday) of ``starts``–``ends`` outside ``holidays``, divided by
    five and rounded up."""
    if ends < starts:
        return 0
    days = 0
    day = starts
    while day <= ends:
        if day.weekday() < 5 and not any(a <= day <= b for a, b in holidays):
            days += 1
        day += timedelta(days=1)
    return math.ceil(days / 5)


def check_limit(preview: PlanPreview, limit: Limit) -> None:
    preview.limit = limit
    if limit.hours_per_week is None:
        preview.problems.append("у журнала нет учебной нагрузки в этом году: КТП не с чем сверить "
                                "(нагрузку вносит администрация)")
    elif preview.total_hours > limit.hours:
        preview.problems.append(f"В файле {preview.total_hours} ч, а по нагрузке {limit.describe()}")


# --- what the database says -----------------------------------------------------------------


async def plan_year(ref: JournalRef) -> dict:
    """The journal with its year's dates, whether the year is current, its weekly hours and
    the holidays of its grade. Three queries (the journal, the load and year, the holidays)."""
    info = await access.journal(ref)
    column = "school_class" if ref.kind == "c" else "study_group"
    rows = await ThematicPlan.raw(
        f"SELECT y.is_current, (SELECT MAX(t.hours_per_week) FROM teaching_load t "
        f"WHERE t.{column} = {{}} AND t.subject = {{}} AND t.starts_on <= y.ends_on "
        "AND (t.ends_on IS NULL OR t.ends_on >= y.starts_on)) AS hours_per_week "
        "FROM academic_year y WHERE y.id = {}", ref.owner, ref.subject, info["year"]).run()
    info["is_current"] = bool(rows and rows[0]["is_current"])
    hours = rows[0]["hours_per_week"] if rows else None
    holidays = await ThematicPlan.raw(
        "SELECT starts_on, ends_on FROM calendar_day WHERE year = {} AND kind = 'holidays' "
        "AND grade_from <= {} AND grade_to >= {}", info["year"], info["grade"] or 1, info["grade"] or 1).run()
    weeks = study_weeks(info["year_starts"], info["year_ends"], [(h["starts_on"], h["ends_on"]) for h in holidays])
    info["limit"] = Limit(int(hours) if hours is not None else None, weeks)
    return info


async def may_import(viewer: Viewer, ref: JournalRef) -> bool:
    """The journal's teacher (with journal.teach) or a holder of journal.edit."""
    if viewer.can("journal.edit"):
        return True
    return (viewer.person_id is not None and viewer.can("journal.teach")
            and await access.teaches(viewer.person_id, ref))


async def preview_file(viewer: Viewer, ref: JournalRef, data: bytes) -> PlanPreview:
    """The whole file checked, nothing written (the page's preview)."""
    info = await writable(viewer, ref)
    preview = preview_table(read(data), info["year_starts"], info["year_ends"])
    check_limit(preview, info["limit"])
    return preview


async def writable(viewer: Viewer, ref: JournalRef) -> dict:
    info = await plan_year(ref)
    if not await access.may_view(viewer, info):
        raise NotFound()
    if not await may_import(viewer, ref):
        raise Refused("КТП загружает учитель, который ведёт этот журнал, или завуч")
    if info["closed_at"] is not None or not info["is_current"]:
        raise Refused("КТП загружается только для журналов текущего учебного года")
    return info


# --- writing --------------------------------------------------------------------------------


async def do_import_plan(viewer: Viewer, ref: JournalRef, rows: list[dict], file_name: str) -> int:
    """Load a plan for a journal: ``rows`` are the items (number, topic, hours, planned_on),
    checked again here. The new plan replaces the earlier one (``replaced_at``); lessons that
    took topics from the old plan keep their text. Returns the new plan's id. Raises
    ``PlanRefused`` (with the checked lines) when anything is wrong: nothing is written."""
    file_name = " ".join(str(file_name or "").split())[:200]
    async with db.atomic():
        await db.xact_lock(f"journal.plan:{ref.key}")
        info = await writable(viewer, ref)
        preview = check_items(rows, info["year_starts"], info["year_ends"])
        check_limit(preview, info["limit"])
        if not preview.clean:
            raise PlanRefused(preview)
        now = access.now()
        column = "school_class" if ref.kind == "c" else "study_group"
        await ThematicPlan.raw(
            f"UPDATE thematic_plan SET replaced_at = {{}} WHERE year = {{}} AND {column} = {{}} "
            "AND subject = {} AND replaced_at IS NULL", now, info["year"], ref.owner, ref.subject).run()
        plan_id = (await ThematicPlan.insert(ThematicPlan(
            year=info["year"], subject=ref.subject, school_class=ref.school_class,
            study_group=ref.study_group, file_name=file_name, total_hours=preview.total_hours,
            imported_at=now, imported_by=viewer.person_id)).returning(ThematicPlan.id).run())[0]["id"]
        await db.bulk_insert(PlanItem, [PlanItem.plan, PlanItem.number, PlanItem.topic, PlanItem.hours,
                                        PlanItem.planned_on],
                             [(plan_id, i["number"], i["topic"], i["hours"], i["planned_on"])
                              for i in preview.items])
        await record(viewer.actor, "journal.plan_imported", "thematic_plan", plan_id,
                     new={"journal": ref.key, "file": file_name, "lines": len(preview.items),
                          "hours": preview.total_hours, "limit": info["limit"].hours})
    return plan_id


def percent(part: int | None, whole: int | None) -> int | None:
    """Whole per cent (none when there is nothing to compare with)."""
    if not whole or part is None:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).to_integral_value())
