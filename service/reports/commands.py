"""``ezh report``: every report from the command line, for scheduled delivery and for the
archive — the same builders and writers as the pages. Runs as the system on the server (the
administrator's shell): any scope; the pupils it names go to the access log as «ezh report»."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from service.audit.log import Actor, log_access
from service.journal import access
from service.reports import queries, writers
from service.reports.attendance import attendance
from service.reports.catalogue import NAMES  # noqa: F401  (the command's help, re-exported)
from service.reports.completion import completion
from service.reports.journal_export import journal_export
from service.reports.model import Report
from service.reports.monitoring import authority, monitoring
from service.reports.performance import performance
from service.reports.queries import Scope
from service.reports.staffing import class_summary, substitutions
from service.reports.summary_sheet import summary_sheet
from service.settings import Settings
from service.timetable.tables import Lesson


class ReportError(Exception):
    """A Russian sentence: what was asked that does not exist."""


async def _year(name: str | None) -> dict:
    years = await queries.years()
    if not years:
        raise ReportError("в базе нет ни одного учебного года")
    if name is None:
        return next((y for y in years if y["is_current"]), years[0])
    found = next((y for y in years if y["name"] == name), None)
    if found is None:
        raise ReportError(f"нет учебного года «{name}»; есть: {', '.join(y['name'] for y in years)}")
    return found


async def _scope(year: dict, class_name: str | None, grade: int | None, need_class: bool) -> Scope:
    if class_name:
        rows = await Lesson.raw("SELECT id, name, grade FROM school_class WHERE year = {} AND name = {}",
                                year["id"], class_name).run()
        if not rows:
            raise ReportError(f"нет класса «{class_name}» в {year['name']} учебном году")
        return Scope("class", year, rows[0]["grade"], rows[0]["id"], rows[0]["name"])
    if need_class:
        raise ReportError("укажите класс: --class 5А")
    if grade is not None:
        if not 1 <= grade <= 11:
            raise ReportError("параллель — число от 1 до 11")
        return Scope("grade", year, grade)
    return Scope("school", year)


async def _period(y: dict, period: str | None, grade: int | None) -> dict | None:
    if not period or period == "год":
        return None
    options = [p for p in await queries.periods(y["id"]) if p["name"] == period
               and (grade is None or p["grade_from"] <= grade <= p["grade_to"])]
    if not options:
        raise ReportError(f"нет периода «{period}» в {y['name']} учебном году"
                          + (f" для {grade}-х классов" if grade else ""))
    return options[0]


async def build(name: str, settings: Settings, *, year: str | None = None, class_name: str | None = None,
                grade: int | None = None, period: str | None = None, month: str | None = None,
                week: str | None = None) -> Report:
    today = access.school_today()
    if name == "authority":
        try:
            return await authority(week or f"{today.isocalendar().year}-W{today.isocalendar().week:02d}", today,
                                   settings.school.name)
        except ValueError as exc:
            raise ReportError(str(exc)) from None
    y = await _year(year)
    if name in ("monitoring", "substitutions"):
        try:
            start, end, span = queries.span_of(y, await _period(y, period, None), month or "")
        except ValueError as exc:
            raise ReportError(str(exc)) from None
        build_it = monitoring if name == "monitoring" else substitutions
        return await build_it(y, start, end, span, today, settings.school.name)
    scope = await _scope(y, class_name, grade, need_class=name in ("summary-sheet", "class-summary", "journal"))
    if name == "summary-sheet":
        report = await summary_sheet(scope, today, settings.school.name)
    elif name in ("attendance", "journal"):
        try:
            start, end, span = queries.span_of(y, await _period(y, period, scope.grade), month or "")
        except ValueError as exc:
            raise ReportError(str(exc)) from None
        build_it = attendance if name == "attendance" else journal_export
        report = await build_it(scope, start, end, span, today, settings.school.name)
    elif name == "class-summary":
        report = await class_summary(scope, await _period(y, period, scope.grade), today, settings.school.name)
    elif name == "completion":
        report = await completion(scope, today, settings.school.name)
    else:
        report = await performance(scope, await _period(y, period, scope.grade), today, settings.school.name)
    pupils = [p["id"] for p in await queries.pupils(scope, queries.report_day(y, today))]
    if pupils:
        await log_access(Actor.system("ezh report"), pupils, f"отчёт «{report.title}»")
    return report


def deliver(report: Report, fmt: str, delimiter: str, output: Path | None) -> str:
    """Write the file (or standard output); a sentence saying where it went."""
    body = writers.write(report, fmt, **({"delimiter": delimiter} if fmt == "csv" else {}))
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return ""
    output.write_bytes(body)
    size = f"{len(body):,}".replace(",", " ")
    return f"{report.title} ({report.scope}) — {output} ({size} байт)"


async def oneroster_zip(settings: Settings, year: str | None, output: Path) -> str:
    """The year as OneRoster 1.2 CSV files in a ZIP at ``output``; the pupils in the access log."""
    from service.reports import oneroster

    y = await _year(year)
    today = access.school_today()
    body = await oneroster.export(y, settings.school.name, today)
    await anyio.Path(output).write_bytes(body)
    pupils = await queries.pupils(Scope("school", y), queries.report_day(y, today))
    if pupils:
        await log_access(Actor.system("ezh report"), [p["id"] for p in pupils], "выгрузка OneRoster")
    size = f"{len(body):,}".replace(",", " ")
    return f"OneRoster 1.2, {y['name']} учебный год — {output} ({size} байт)"
