"""Report pages (issue 11). Thin: parse the scope (year, class or grade level or the school,
period) → the report → the page, or the file in the chosen format. A class, grade level, year or
period the viewer may not ask for is 404; a pupil's names in a report go to the access log."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, Router, get
from litestar.response import Stream

from service import forms
from service.audit.log import log_access
from service.errors import NotFound
from service.journal import access
from service.reports import queries, writers
from service.reports.attendance import attendance
from service.reports.catalogue import REPORTS
from service.reports.completion import completion
from service.reports.journal_export import journal_export
from service.reports.model import Report, header_runs
from service.reports.monitoring import authority, iso_week, monitoring
from service.reports.performance import performance, performance_by_journal
from service.reports.queries import AGGREGATE, ALL, OWN, Scope, span_of
from service.reports.staffing import class_summary, substitutions
from service.reports.summary_sheet import summary_sheet
from service.settings import get_settings
from service.web import render, requires

SEE = requires(ALL, OWN)
FIGURES = requires(ALL, OWN, AGGREGATE)  # performance and attendance: figures without names for observers


def _figures_only(request: Request, report: Report) -> Report:
    """For a holder of the aggregate right alone: the first section (counts per class) only —
    every section naming pupils is dropped, so nothing personal is shown or logged."""
    if queries.anonymous(request.user):
        report.sections = report.sections[:1]
        report.notes.append("Только сводные показатели, без имён учеников.")
    return report
API_PARAMS = ("Параметры — как у страницы отчёта: year (id учебного года), class, grade, period (id периода или "
              "year), month (ГГГГ-ММ), week (ГГГГ-WНН), teacher, subject; format — json (по умолчанию), csv, txt, "
              "html, xlsx, ods, pdf. Права — права учётной записи, которой выдан ключ.")


def _api(page, code: str, title: str):
    """The same report for integrations at /api/v1/reports/<code>: answers JSON (or the format
    asked) and takes a read-only API key instead of a signed-in browser; in the OpenAPI schema."""

    @get(f"/api/v1/reports/{code}", guards=page.guards, include_in_schema=True, tags=["Отчёты"],
         summary=title, description=API_PARAMS, name=f"api-report-{code}")
    async def handler(request: Request) -> Response:
        return await page.fn(request)

    return handler
FORMAT_CODES = tuple(writers.FORMATS)
QUERY = {
    "year": forms.Int("Учебный год", min=1, default=None),
    "class": forms.Int("Класс", min=1, default=None),
    "grade": forms.Int("Параллель", min=1, max=11, default=None),
    "period": forms.Text("Период", 12),
    "month": forms.Text("Месяц", 7),
    "teacher": forms.Int("Учитель", min=1, default=None),
    "week": forms.Text("Неделя", 8),
    "subject": forms.Int("Предмет", min=1, default=None),
    "format": forms.Choice("Формат", (*FORMAT_CODES, "zip"), default=""),
    "delimiter": forms.Choice("Разделитель", ("semicolon", "comma"), default="semicolon"),
}


async def _params(request: Request) -> tuple[dict, dict, list[dict], list[dict]]:
    values, problems = forms.parse_filters(QUERY, request.query_params)
    if problems:
        raise NotFound()
    years = await queries.years()
    if not years:
        raise NotFound()
    year = (next((y for y in years if y["id"] == values["year"]), None) if values["year"] is not None
            else next((y for y in years if y["is_current"]), years[0]))
    if year is None:
        raise NotFound()
    classes = await queries.classes(request.user, year["id"])
    return values, year, years, classes


def _scope(viewer, values: dict, year: dict, classes: list[dict], need_class: bool) -> Scope:
    if values["class"] is not None:
        chosen = next((c for c in classes if c["id"] == values["class"]), None)
        if chosen is None:
            raise NotFound()
        return Scope("class", year, chosen["grade"], chosen["id"], chosen["name"])
    if need_class or not (viewer.can(ALL) or queries.anonymous(viewer)):
        if not classes:
            raise NotFound()
        c = classes[0]
        return Scope("class", year, c["grade"], c["id"], c["name"])
    if values["grade"] is not None:
        return Scope("grade", year, values["grade"])
    return Scope("school", year)


async def _answer(request: Request, report: Report, values: dict, context: dict, pupils: list[int]) -> Response:
    if pupils:
        await log_access(request.user.actor, pupils, f"отчёт «{report.title}»")
    fmt = values["format"]
    if request.url.path.startswith("/api/"):
        fmt = fmt or "json"  # the API answers data, not a page
    if not fmt:
        query = "&".join(f"{k}={quote(v)}" for k, v in request.query_params.items() if k not in ("format", "delimiter"))
        return render(request, "reports/report.html", report=report, formats=writers.FORMATS, query=query,
                      show=writers.cell_text, header_runs=header_runs, **context)
    if fmt not in writers.FORMATS:
        raise NotFound()
    media, ext, _ = writers.FORMATS[fmt]
    delimiter = ";" if values["delimiter"] == "semicolon" else ","
    options = {"delimiter": delimiter} if fmt == "csv" else {}
    name = f"{report.filename}.{ext}"
    headers = {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
               "Cache-Control": "no-store"}
    if fmt in writers.STREAMED:
        # text formats go out chunk by chunk: a big export is never held whole in memory
        return Stream(writers.stream(report, fmt, **options), media_type=media, headers=headers)
    return Response(writers.write(report, fmt, **options), media_type=media, headers=headers)


@get("/reports", guards=[SEE])
async def index(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    periods = await queries.periods(year["id"])
    grades = sorted({c["grade"] for c in classes})
    teachers = await queries.teachers(year["id"]) if request.user.can(ALL) else []
    subjects = await queries.subjects(year["id"]) if request.user.can(ALL) else []
    return render(request, "reports/index.html", reports=REPORTS, year=year, years=years, classes=classes,
                  periods=periods, grades=grades, school_wide=request.user.can(ALL), teachers=teachers,
                  subjects=subjects)


async def _pupil_ids(scope: Scope) -> list[int]:
    day = queries.report_day(scope.year, access.school_today())
    return [p["id"] for p in await queries.pupils(scope, day)]


@get("/reports/summary-sheet", guards=[SEE])
async def summary_sheet_page(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    scope = _scope(request.user, values, year, classes, need_class=True)
    report = await summary_sheet(scope, access.school_today(), get_settings().school.name)
    return await _answer(request, report, values, {"years": years, "classes": classes, "scope": scope,
                                                   "periods": [], "period": None, "grades": []},
                         await _pupil_ids(scope))


@get("/reports/performance", guards=[FIGURES])
async def performance_page(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    periods = await queries.periods(year["id"])
    context = {"years": years, "classes": classes, "periods": periods, "period": None,
               "grades": sorted({c["grade"] for c in classes})}
    if values["teacher"] is not None or values["subject"] is not None:
        # per teacher or per subject: the administration's, a line per journal
        if not request.user.can(ALL):
            raise NotFound()
        teacher = subject = None
        if values["teacher"] is not None:
            teacher = next((t for t in await queries.teachers(year["id"]) if t["id"] == values["teacher"]), None)
            if teacher is None:
                raise NotFound()
        if values["subject"] is not None:
            subject = next((x for x in await queries.subjects(year["id"]) if x["id"] == values["subject"]), None)
            if subject is None:
                raise NotFound()
        period = _period(values, periods, Scope("school", year))
        report = await performance_by_journal(year, period, access.school_today(), get_settings().school.name,
                                              teacher=teacher, subject=subject)
        return await _answer(request, report, values, {**context, "scope": Scope("school", year)}, [])
    scope = _scope(request.user, values, year, classes, need_class=False)
    period = _period(values, periods, scope)
    report = _figures_only(request, await performance(scope, period, access.school_today(),
                                                      get_settings().school.name))
    names = [p for s in report.sections[1:] for p in s.rows]
    return await _answer(request, report, values, {**context, "scope": scope},
                         await _pupil_ids(scope) if names else [])


def _period(values: dict, periods: list[dict], scope: Scope) -> dict | None:
    """The chosen study period (None: the year); 404 for one that is not the year's or not the
    scope's grade level's."""
    if values["period"] in ("", "year"):
        return None
    period = next((p for p in periods if str(p["id"]) == values["period"]), None)
    if period is None or (scope.grade is not None and not period["grade_from"] <= scope.grade <= period["grade_to"]):
        raise NotFound()
    return period


@get("/reports/attendance", guards=[FIGURES])
async def attendance_page(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    scope = _scope(request.user, values, year, classes, need_class=False)
    periods = await queries.periods(year["id"])
    try:
        start, end, span = span_of(year, _period(values, periods, scope), values["month"])
    except ValueError:
        raise NotFound() from None
    report = _figures_only(request, await attendance(scope, start, end, span, access.school_today(),
                                                     get_settings().school.name))
    return await _answer(request, report, values, {
        "years": years, "classes": classes, "scope": scope, "periods": periods, "period": None,
        "grades": sorted({c["grade"] for c in classes})},
        [] if queries.anonymous(request.user) else await _pupil_ids(scope))


@get("/reports/completion", guards=[SEE])
async def completion_page(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    scope = _scope(request.user, values, year, classes, need_class=False)
    teacher = None
    if values["teacher"] is not None:
        if not request.user.can(ALL):
            raise NotFound()
        teacher = next((t for t in await queries.teachers(year["id"]) if t["id"] == values["teacher"]), None)
        if teacher is None:
            raise NotFound()
    report = await completion(scope, access.school_today(), get_settings().school.name, teacher)
    return await _answer(request, report, values, {
        "years": years, "classes": classes, "scope": scope, "periods": [], "period": None, "grades": []}, [])


async def _school_span_page(request: Request, build) -> Response:
    """A school-wide report over a month, a period or the year (the administration's)."""
    values, year, years, _ = await _params(request)
    periods = await queries.periods(year["id"])
    scope = Scope("school", year)
    try:
        start, end, span = span_of(year, _period(values, periods, scope), values["month"])
    except ValueError:
        raise NotFound() from None
    report = await build(year, start, end, span, access.school_today(), get_settings().school.name)
    return await _answer(request, report, values, {
        "years": years, "classes": [], "scope": scope, "periods": periods, "period": None, "grades": []}, [])


@get("/reports/monitoring", guards=[requires(ALL)])
async def monitoring_page(request: Request) -> Response:
    """Fill per teacher and activity per role: the administration's (no class scope)."""
    return await _school_span_page(request, monitoring)


@get("/reports/substitutions", guards=[requires(ALL)])
async def substitutions_page(request: Request) -> Response:
    return await _school_span_page(request, substitutions)


@get("/reports/class-summary", guards=[SEE])
async def class_summary_page(request: Request) -> Response:
    values, year, years, classes = await _params(request)
    scope = _scope(request.user, values, year, classes, need_class=True)
    periods = await queries.periods(year["id"])
    report = await class_summary(scope, _period(values, periods, scope), access.school_today(),
                                 get_settings().school.name)
    return await _answer(request, report, values, {
        "years": years, "classes": classes, "scope": scope, "periods": periods, "period": None, "grades": []},
        await _pupil_ids(scope))


@get("/reports/journal", guards=[SEE])
async def journal_page(request: Request) -> Response:
    """A class's journals as a table, for a month, a period or the year."""
    values, year, years, classes = await _params(request)
    scope = _scope(request.user, values, year, classes, need_class=True)
    periods = await queries.periods(year["id"])
    try:
        start, end, span = span_of(year, _period(values, periods, scope), values["month"])
    except ValueError:
        raise NotFound() from None
    report = await journal_export(scope, start, end, span, access.school_today(), get_settings().school.name)
    return await _answer(request, report, values, {
        "years": years, "classes": classes, "scope": scope, "periods": periods, "period": None, "grades": []},
        await _pupil_ids(scope))


@get("/reports/oneroster", guards=[requires(ALL)])
async def oneroster_page(request: Request) -> Response:
    """The year as OneRoster 1.2 bulk CSV files in a ZIP (R-X-2), for other systems."""
    _, year, _, _ = await _params(request)
    from service.reports import oneroster

    body = await oneroster.export(year, get_settings().school.name, access.school_today())
    pupils = await queries.pupils(Scope("school", year), queries.report_day(year, access.school_today()))
    await log_access(request.user.actor, [p["id"] for p in pupils], "выгрузка OneRoster")
    name = f"oneroster-{year['name'].replace('/', '-')}.zip"
    return Response(body, media_type="application/zip", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"", "Cache-Control": "no-store"})


def zip_of(report: Report) -> bytes:
    """CSV and JSON of a report in one archive (the authority's weekly download)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{report.filename}.csv", writers.write(report, "csv"))
        archive.writestr(f"{report.filename}.json", writers.write(report, "json"))
    return out.getvalue()


@get("/reports/authority", guards=[requires(ALL)])
async def authority_page(request: Request) -> Response:
    values, _, years, _ = await _params(request)
    today = access.school_today()
    week = values["week"] or f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    try:
        iso_week(week)
        report = await authority(week, today, get_settings().school.name)
    except ValueError:
        raise NotFound() from None
    if values["format"] == "zip":
        name = f"{report.filename}.zip"
        return Response(zip_of(report), media_type="application/zip", headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"", "Cache-Control": "no-store"})
    scope = Scope("school", next(y for y in years if y["is_current"]) if any(y["is_current"] for y in years)
                  else years[0])
    return await _answer(request, report, values, {
        "years": years, "classes": [], "scope": scope, "periods": [], "period": None, "grades": [],
        "extra": [("CSV и JSON одним архивом (ZIP)", "zip")]}, [])


API_HANDLERS = [_api(page, code, next(r["title"] for r in REPORTS if r["code"] == code)) for page, code in (
    (summary_sheet_page, "summary-sheet"), (performance_page, "performance"), (attendance_page, "attendance"),
    (completion_page, "completion"), (monitoring_page, "monitoring"), (authority_page, "authority"),
    (substitutions_page, "substitutions"), (class_summary_page, "class-summary"), (journal_page, "journal"))]

router = Router(path="/", route_handlers=[*API_HANDLERS, index, summary_sheet_page, performance_page, attendance_page,
                                             completion_page, monitoring_page, authority_page, substitutions_page,
                                             class_summary_page, journal_page, oneroster_page])
