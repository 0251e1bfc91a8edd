"""Pages of the school's setup: academic years with their calendar, classes, subjects, groups,
teaching load. Thin: parse the form → action or query → template; every rule is the action's."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.school import actions, queries, rules
from service.web import existing_id, redirect, render, requires, today

SETUP = requires("school.setup")
SEE = requires("school.setup", "school.view")

GRADE = forms.Int("Классы", min=1, max=11)
YEAR_FORM = {
    "name": forms.Text("Название", 20, required=True),
    "starts_on": forms.Day("Начало учебного года", required=True),
    "ends_on": forms.Day("Окончание учебного года", required=True),
    "junior": forms.Choice("Периоды 1–9 классов", ("quarters", "trimesters"), default="quarters"),
    "copy_from": forms.Int("Скопировать календарь из года", min=1),
    "make_current": forms.Flag("Сделать текущим"),
}
PERIOD_FORM = {
    "scheme": forms.Choice("Вид периодов", tuple(rules.SCHEMES)),
    "number": forms.Int("Номер", min=1, max=4, default=None),
    "grade_from": forms.Int("Классы с", min=1, max=11, default=None),
    "grade_to": forms.Int("Классы по", min=1, max=11, default=None),
    "starts_on": forms.Day("Начало", required=True),
    "ends_on": forms.Day("Окончание", required=True),
    "name": forms.Text("Название периода", 40),
}
PERIOD_CHANGE_FORM = {k: PERIOD_FORM[k] for k in ("starts_on", "ends_on", "name")}
DAY_FORM = {
    "kind": forms.Choice("Вид дня", tuple(rules.DAY_KINDS)),
    "name": forms.Text("Название", forms.NAME_MAX, required=True),
    "grade_from": forms.Int("Классы с", min=1, max=11, default=1),
    "grade_to": forms.Int("Классы по", min=1, max=11, default=11),
    "starts_on": forms.Day("Начало", required=True),
    "ends_on": forms.Day("Окончание"),
}
DAY_CHANGE_FORM = {k: DAY_FORM[k] for k in ("name", "starts_on", "ends_on")}
CLASS_FORM = {
    "grade": forms.Int("Параллель", min=1, max=11, default=None),
    "letter": forms.Text("Буква", 4, required=True),
    "week_days": forms.Choice("Учебная неделя", ("5", "6"), default="5"),
    "class_teacher": forms.Int("Классный руководитель", min=1),
}
CLASS_CHANGE_FORM = {k: CLASS_FORM[k] for k in ("week_days", "class_teacher")}
SUBJECT_FORM = {
    "name": forms.Text("Название предмета", forms.SHORT_MAX, required=True),
    "short_name": forms.Text("Краткое название", 30),
}
GROUP_FORM = {
    "kind": forms.Choice("Вид группы", tuple(rules.GROUP_KINDS)),
    "name": forms.Text("Название группы", forms.NAME_MAX, required=True),
    "school_class": forms.Int("Класс", min=1),
    "subject": forms.Int("Предмет", min=1),
}
LOAD_FORM = {
    "teacher": forms.Int("Учитель", min=1, default=None),
    "subject": forms.Int("Предмет", min=1, default=None),
    "target": forms.Text("Класс или группа", 20, required=True),
    "hours": forms.Int("Часов в неделю", min=rules.HOURS_MIN, max=rules.HOURS_MAX, default=None),
    "starts_on": forms.Day("С какого дня", required=True),
}
LOAD_FILTER = {"teacher": forms.Int("Учитель", min=1), "class_id": forms.Int("Класс", min=1)}
LOAD_CHANGE_FORM = {
    "teacher": forms.Int("Учитель", min=1, default=None),
    "hours": forms.Int("Часов в неделю", min=rules.HOURS_MIN, max=rules.HOURS_MAX, default=None),
    "from_date": forms.Day("С какого дня", required=True),
}
LOAD_END_FORM = {"last_day": forms.Day("Последний день", required=True)}


async def _typed(request: Request, form: dict) -> dict:
    """What was typed, cut short, to show the form again after a refusal."""
    data = await request.form()
    return {name: (data.get(name) if isinstance(data.get(name), str) else "")[:200] for name in form}


async def _parse(request: Request, form: dict, required: tuple[str, ...] = ()) -> dict:
    """The clean values, or ``FormErrors``; ``required`` are number fields that may not be
    left empty."""
    values = forms.parse(form, await request.form())
    missing = {name: f"{form[name].label}: заполните поле" for name in required if values[name] is None}
    if missing:
        raise forms.FormErrors(missing)
    return values


async def _year_or_404(year_id: int) -> dict:
    existing_id(year_id)
    year = await queries.year(year_id)
    if year is None:
        raise NotFound()
    return year


def _may_edit(request: Request, year: dict) -> bool:
    return request.user.can("school.setup") and year["closed_at"] is None


# --- years ----------------------------------------------------------------------------------


async def _years_page(request: Request, status: int = 200, errors: dict | None = None,
                      typed: dict | None = None) -> Response:
    all_years = await queries.years()
    # the year after the newest one, or the school year of today on a fresh installation
    day = today()
    first = all_years[0]["starts_on"].year + 1 if all_years else (day.year if day.month >= 7 else day.year - 1)
    suggestion = {"name": f"{first}/{first + 1}", "starts_on": f"{first}-09-01",
                  "ends_on": f"{first + 1}-05-26"} if status == 200 else {}
    return render(request, "school/years.html", status_code=status, years=all_years,
                  errors=errors or {}, typed=typed or suggestion,
                  may_setup=request.user.can("school.setup"))


@get("/years", guards=[SEE])
async def years_page(request: Request) -> Response:
    return await _years_page(request)


@post("/years", guards=[SETUP])
async def year_create(request: Request) -> Response:
    typed = await _typed(request, YEAR_FORM)
    try:
        values = await _parse(request, YEAR_FORM)
        year_id = await actions.do_create_year(
            request.user.actor, values["name"], values["starts_on"], values["ends_on"],
            junior=values["junior"], copy_from=values["copy_from"], make_current=values["make_current"])
    except Refused as exc:
        return await _years_page(request, 400, forms.errors(exc), typed)
    return redirect(f"/school/years/{year_id}", request)


async def _year_page(request: Request, year: dict, status: int = 200, errors: dict | None = None,
                     typed: dict | None = None, form: str = "") -> Response:
    periods, days = await queries.year_calendar(year["id"])
    calendar = [rules.Day(d["kind"], d["name"], d["grade_from"], d["grade_to"], d["starts_on"], d["ends_on"])
                for d in days]
    ranges: dict[tuple[int, int], list[dict]] = {}
    for p in periods:
        # school days of the range's first grade: a five- and a six-day week (R-YEAR-2)
        p["school_days"] = [rules.count_school_days(p["starts_on"], p["ends_on"], p["grade_from"], n,
                                                    year["starts_on"], year["ends_on"], calendar)
                            for n in rules.WEEK_DAYS]
        ranges.setdefault((p["grade_from"], p["grade_to"]), []).append(p)
    return render(request, "school/year.html", status_code=status, year=year, ranges=ranges,
                  days=days, may_edit=_may_edit(request, year), errors=errors or {},
                  typed=typed or {}, form=form, schemes=rules.SCHEME_LABELS, day_kinds=rules.DAY_KINDS)


@get("/years/{year_id:int}", guards=[SEE])
async def year_page(request: Request, year_id: FromPath[int]) -> Response:
    return await _year_page(request, await _year_or_404(year_id))


@post("/years/{year_id:int}/current", guards=[SETUP])
async def year_current(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    try:
        await actions.do_make_current(request.user.actor, year_id)
    except Refused as exc:
        return await _year_page(request, year, 400, forms.errors(exc))
    return redirect(f"/school/years/{year_id}", request)


@post("/years/{year_id:int}/periods", guards=[SETUP])
async def period_add(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, PERIOD_FORM)
    try:
        values = await _parse(request, PERIOD_FORM, ("number", "grade_from", "grade_to"))
        await actions.do_add_period(request.user.actor, year_id, values["scheme"], values["number"],
                                    values["grade_from"], values["grade_to"], values["starts_on"],
                                    values["ends_on"], values["name"])
    except Refused as exc:
        return await _year_page(request, year, 400, forms.errors(exc), typed, "period")
    return redirect(f"/school/years/{year_id}#periods", request)


@post("/periods/{period_id:int}", guards=[SETUP])
async def period_change(request: Request, period_id: FromPath[int]) -> Response:
    existing_id(period_id)
    year = await _year_or_404(await queries.period_year(period_id) or -1)
    typed = await _typed(request, PERIOD_CHANGE_FORM)
    try:
        values = await _parse(request, PERIOD_CHANGE_FORM)
        await actions.do_change_period(request.user.actor, period_id, values["starts_on"],
                                       values["ends_on"], values["name"])
    except Refused as exc:
        return await _year_page(request, year, 400, forms.errors(exc), typed, f"period-{period_id}")
    return redirect(f"/school/years/{year['id']}#periods", request)


@post("/years/{year_id:int}/days", guards=[SETUP])
async def day_add(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, DAY_FORM)
    try:
        values = await _parse(request, DAY_FORM)
        await actions.do_add_day(request.user.actor, year_id, values["kind"], values["name"],
                                 values["grade_from"], values["grade_to"], values["starts_on"],
                                 values["ends_on"] or values["starts_on"])
    except Refused as exc:
        return await _year_page(request, year, 400, forms.errors(exc), typed, "day")
    return redirect(f"/school/years/{year_id}#days", request)


@post("/days/{day_id:int}", guards=[SETUP])
async def day_change(request: Request, day_id: FromPath[int]) -> Response:
    existing_id(day_id)
    year = await _year_or_404(await queries.day_year(day_id) or -1)
    typed = await _typed(request, DAY_CHANGE_FORM)
    try:
        values = await _parse(request, DAY_CHANGE_FORM)
        await actions.do_change_day(request.user.actor, day_id, values["name"], values["starts_on"],
                                    values["ends_on"] or values["starts_on"])
    except Refused as exc:
        return await _year_page(request, year, 400, forms.errors(exc), typed, f"day-{day_id}")
    return redirect(f"/school/years/{year['id']}#days", request)


# --- classes --------------------------------------------------------------------------------


async def _classes_page(request: Request, year: dict, status: int = 200, errors: dict | None = None,
                        typed: dict | None = None) -> Response:
    day = today()
    return render(request, "school/classes.html", status_code=status, year=year,
                  classes=await queries.year_classes(year["id"], day), staff=await queries.staff_on(day),
                  may_edit=_may_edit(request, year), errors=errors or {}, typed=typed or {})


@get("/years/{year_id:int}/classes", guards=[SEE])
async def classes_page(request: Request, year_id: FromPath[int]) -> Response:
    return await _classes_page(request, await _year_or_404(year_id))


@post("/years/{year_id:int}/classes", guards=[SETUP])
async def class_create(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, CLASS_FORM)
    try:
        values = await _parse(request, CLASS_FORM, ("grade",))
        await actions.do_create_class(request.user.actor, year_id, values["grade"], values["letter"],
                                      int(values["week_days"]), values["class_teacher"], today())
    except Refused as exc:
        return await _classes_page(request, year, 400, forms.errors(exc), typed)
    return redirect(f"/school/years/{year_id}/classes", request)


async def _class_or_404(class_id: int) -> dict:
    existing_id(class_id)
    found = await queries.school_class(class_id)
    if found is None:
        raise NotFound()
    return found


async def _class_page(request: Request, found: dict, status: int = 200, errors: dict | None = None,
                      typed: dict | None = None) -> Response:
    year = await queries.year(found["year"])
    return render(request, "school/class_edit.html", status_code=status, school_class=found, year=year,
                  staff=await queries.staff_on(today()), load=await queries.year_load(year["id"], class_id=found["id"]),
                  may_edit=_may_edit(request, year), errors=errors or {}, typed=typed or {})


@get("/classes/{class_id:int}", guards=[SEE])
async def class_edit_page(request: Request, class_id: FromPath[int]) -> Response:
    return await _class_page(request, await _class_or_404(class_id))


@post("/classes/{class_id:int}", guards=[SETUP])
async def class_change(request: Request, class_id: FromPath[int]) -> Response:
    found = await _class_or_404(class_id)
    typed = await _typed(request, CLASS_CHANGE_FORM)
    try:
        values = await _parse(request, CLASS_CHANGE_FORM)
        await actions.do_change_class(request.user.actor, class_id, int(values["week_days"]),
                                      values["class_teacher"], today())
    except Refused as exc:
        return await _class_page(request, found, 400, forms.errors(exc), typed)
    return redirect(f"/school/years/{found['year']}/classes", request)


# --- subjects -------------------------------------------------------------------------------


async def _subjects_page(request: Request, status: int = 200, errors: dict | None = None,
                         typed: dict | None = None, form: str = "") -> Response:
    return render(request, "school/subjects.html", status_code=status, subjects=await queries.subjects(),
                  may_setup=request.user.can("school.setup"), errors=errors or {}, typed=typed or {},
                  form=form)


@get("/subjects", guards=[SEE])
async def subjects_page(request: Request) -> Response:
    return await _subjects_page(request)


@post("/subjects", guards=[SETUP])
async def subject_create(request: Request) -> Response:
    typed = await _typed(request, SUBJECT_FORM)
    try:
        values = await _parse(request, SUBJECT_FORM)
        await actions.do_create_subject(request.user.actor, values["name"], values["short_name"])
    except Refused as exc:
        return await _subjects_page(request, 400, forms.errors(exc), typed, "new")
    return redirect("/school/subjects", request)


@post("/subjects/{subject_id:int}", guards=[SETUP])
async def subject_change(request: Request, subject_id: FromPath[int]) -> Response:
    existing_id(subject_id)
    typed = await _typed(request, SUBJECT_FORM)
    try:
        values = await _parse(request, SUBJECT_FORM)
        await actions.do_change_subject(request.user.actor, subject_id, values["name"], values["short_name"])
    except Refused as exc:
        return await _subjects_page(request, 400, forms.errors(exc), typed, f"subject-{subject_id}")
    return redirect("/school/subjects", request)


# --- groups ---------------------------------------------------------------------------------


async def _groups_page(request: Request, year: dict, status: int = 200, errors: dict | None = None,
                       typed: dict | None = None) -> Response:
    day = today()
    return render(request, "school/groups.html", status_code=status, year=year,
                  groups=await queries.year_groups(year["id"], day),
                  classes=await queries.year_classes(year["id"], day), subjects=await queries.subjects(),
                  kinds=rules.GROUP_KINDS, may_edit=_may_edit(request, year), errors=errors or {},
                  typed=typed or {})


@get("/years/{year_id:int}/groups", guards=[SEE])
async def groups_page(request: Request, year_id: FromPath[int]) -> Response:
    return await _groups_page(request, await _year_or_404(year_id))


@post("/years/{year_id:int}/groups", guards=[SETUP])
async def group_create(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, GROUP_FORM)
    try:
        values = await _parse(request, GROUP_FORM)
        await actions.do_create_group(request.user.actor, year_id, values["kind"], values["name"],
                                      values["school_class"], values["subject"])
    except Refused as exc:
        return await _groups_page(request, year, 400, forms.errors(exc), typed)
    return redirect(f"/school/years/{year_id}/groups", request)


@get("/groups/{group_id:int}", guards=[SEE])
async def group_page(request: Request, group_id: FromPath[int]) -> Response:
    existing_id(group_id)
    group = await queries.study_group(group_id)
    if group is None:
        raise NotFound()
    members = await queries.group_members(group_id, today())
    await log_access(request.user.actor, [m["id"] for m in members], f"список группы {group['name']}")
    return render(request, "school/group.html", group=group, members=members,
                  kind=rules.GROUP_KINDS.get(group["kind"], group["kind"]),
                  load=await queries.year_load(group["year"], group_id=group_id))


# --- teaching load --------------------------------------------------------------------------


async def _load_page(request: Request, year: dict, status: int = 200, errors: dict | None = None,
                     typed: dict | None = None) -> Response:
    day = today()
    chosen, problems = forms.parse_filters(LOAD_FILTER, request.query_params)
    rows = await queries.year_load(year["id"], teacher=chosen["teacher"], class_id=chosen["class_id"])
    return render(request, "school/load.html", status_code=status, year=year, rows=rows,
                  chosen=chosen, problems=problems, staff=await queries.staff_on(day),
                  subjects=await queries.subjects(), classes=await queries.year_classes(year["id"], day),
                  groups=await queries.year_groups(year["id"], day), day=day,
                  may_edit=_may_edit(request, year), errors=errors or {}, typed=typed or {})


@get(["/classes", "/groups", "/load"], guards=[SEE])
async def current_year_section(request: Request) -> Response:
    """/school/classes, /school/groups, /school/load: that section of the current year (where
    the readiness check-list sends the deputy); the list of years when none is current."""
    current = await queries.current_year()
    section = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    return redirect(f"/school/years/{current['id']}/{section}" if current else "/school/years", request)


@get("/years/{year_id:int}/load", guards=[SEE])
async def load_page(request: Request, year_id: FromPath[int]) -> Response:
    return await _load_page(request, await _year_or_404(year_id))


def _target(code: str) -> tuple[int | None, int | None]:
    """«c12» is class 12, «g7» group 7 (one select offers both)."""
    kind, number = code[:1], code[1:]
    if kind in ("c", "g") and number.isascii() and number.isdigit() and 0 < int(number) <= forms.ID_MAX:
        return (int(number), None) if kind == "c" else (None, int(number))
    raise Refused("Класс или группа: выберите из списка", field="target")


@post("/years/{year_id:int}/load", guards=[SETUP])
async def load_add(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, LOAD_FORM)
    try:
        values = await _parse(request, LOAD_FORM, ("teacher", "subject", "hours"))
        school_class, study_group = _target(values["target"])
        await actions.do_add_load(request.user.actor, values["teacher"], values["subject"], values["hours"],
                                  values["starts_on"], school_class, study_group)
    except Refused as exc:
        return await _load_page(request, year, 400, forms.errors(exc), typed)
    return redirect(f"/school/years/{year_id}/load", request)


async def _load_row_or_404(load_id: int) -> dict:
    existing_id(load_id)
    row = await queries.load_row(load_id)
    if row is None:
        raise NotFound()
    return row


async def _load_row_page(request: Request, row: dict, status: int = 200, errors: dict | None = None,
                         typed: dict | None = None) -> Response:
    history = await queries.year_load(row["year"], class_id=row["school_class"],
                                      group_id=row["study_group"])
    history = [h for h in history if h["subject"] == row["subject"]
               and (h["school_class"], h["study_group"]) == (row["school_class"], row["study_group"])]
    may_edit = request.user.can("school.setup") and row["closed_at"] is None and row["ends_on"] is None
    return render(request, "school/load_row.html", status_code=status, row=row, history=history,
                  staff=await queries.staff_on(today()), may_edit=may_edit, errors=errors or {},
                  typed=typed or {})


@get("/load/{load_id:int}", guards=[SEE])
async def load_row_page(request: Request, load_id: FromPath[int]) -> Response:
    return await _load_row_page(request, await _load_row_or_404(load_id))


@post("/load/{load_id:int}/change", guards=[SETUP])
async def load_change(request: Request, load_id: FromPath[int]) -> Response:
    row = await _load_row_or_404(load_id)
    typed = await _typed(request, LOAD_CHANGE_FORM)
    try:
        values = await _parse(request, LOAD_CHANGE_FORM, ("teacher", "hours"))
        new_id = await actions.do_change_load(request.user.actor, load_id, values["teacher"],
                                              values["hours"], values["from_date"])
    except Refused as exc:
        return await _load_row_page(request, row, 400, forms.errors(exc), typed)
    return redirect(f"/school/load/{new_id}", request)


@post("/load/{load_id:int}/end", guards=[SETUP])
async def load_end(request: Request, load_id: FromPath[int]) -> Response:
    row = await _load_row_or_404(load_id)
    typed = await _typed(request, LOAD_END_FORM)
    try:
        values = await _parse(request, LOAD_END_FORM)
        await actions.do_end_load(request.user.actor, load_id, values["last_day"])
    except Refused as exc:
        return await _load_row_page(request, row, 400, forms.errors(exc), typed)
    return redirect(f"/school/load/{load_id}", request)


route_handlers: list[Any] = [
    years_page, year_create, year_page, year_current, period_add, period_change, day_add, day_change,
    classes_page, class_create, class_edit_page, class_change, subjects_page, subject_create,
    subject_change, groups_page, group_create, group_page, current_year_section, load_page, load_add, load_row_page,
    load_change, load_end,
]
router = Router(path="/school", route_handlers=route_handlers)
