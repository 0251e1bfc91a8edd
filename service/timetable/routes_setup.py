"""Pages of the timetable's setup (R-TT-1, R-TT-2, R-YEAR-2): the overview of a year (versions,
bell schedules, special days, rooms, what is still missing), a bell schedule's page, a
version's page and the rooms. Thin: parse the form → action or query → template; every rule is
the action's."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.timetable import actions, queries, rules
from service.web import existing_id, redirect, render, requires, today

EDIT = requires("timetable.edit")
SEE = requires("timetable.edit", "timetable.view")

WEEKDAY_CODES = tuple(str(d) for d in range(1, 7))
ROOM_FORM = {
    "name": forms.Text("Кабинет", actions.ROOM_NAME_MAX, required=True),
    "note": forms.Text("Примечание", actions.ROOM_NOTE_MAX),
}
BELLS_FORM = {
    "name": forms.Text("Название", actions.SCHEDULE_NAME_MAX, required=True),
    "bells": forms.Text("Звонки", 1000, required=True, multiline=True),
    "weekdays": forms.Many(forms.Choice("Дни недели", WEEKDAY_CODES), max_items=6),
}
DAY_FORM = {
    "on_date": forms.Day("Дата", required=True),
    "schedule": forms.Int("Звонки этого дня", min=1),
    "as_weekday": forms.Int("По расписанию дня недели", min=1, max=6),
    "note": forms.Text("Примечание", actions.DAY_NOTE_MAX),
}
DAY_CLEAR_FORM = {"on_date": forms.Day("Дата", required=True)}
VERSION_FORM = {
    "name": forms.Text("Название версии", actions.VERSION_NAME_MAX, required=True),
    "starts_on": forms.Day("Действует с", required=True),
    "cycle": forms.Choice("Цикл", ("1", "2"), default="1"),
    "anchor": forms.Day("Неделя A — неделя с датой"),
    "skip_holiday_weeks": forms.Flag("Каникулы не прерывают чередование"),
}
START_FORM = {k: VERSION_FORM[k] for k in ("name", "starts_on")}
VERSION_CHANGE_FORM = {k: VERSION_FORM[k] for k in ("name", "cycle", "anchor", "skip_holiday_weeks")}


async def _typed(request: Request, form: dict) -> dict:
    """What was typed, cut short, to show the form again after a refusal."""
    data = await request.form()
    typed = {}
    for name, field in form.items():
        if isinstance(field, forms.Many):
            typed[name] = [v for v in data.getall(name, []) if isinstance(v, str)][:10] if hasattr(
                data, "getall") else []
        else:
            value = data.get(name)
            typed[name] = value[:1000] if isinstance(value, str) else ""
    return typed


async def _year_or_404(year_id: int | None) -> dict:
    if year_id is not None:
        existing_id(year_id)
    year = await queries.year(year_id)
    if year is None:
        raise NotFound()
    return year


def _may_edit(request: Request, year: dict) -> bool:
    return request.user.can("timetable.edit") and year["closed_at"] is None


# --- the overview ---------------------------------------------------------------------------


async def _overview(request: Request, year: dict | None, status: int = 200, errors: dict | None = None,
                    typed: dict | None = None, form: str = "") -> Response:
    data = await queries.setup(year["id"], today()) if year is not None else {}
    return render(request, "timetable/setup.html", status_code=status, year=year,
                  years=await queries.years(), may_edit=year is not None and _may_edit(request, year),
                  errors=errors or {}, typed=typed or {}, form=form, weekdays=_weekdays(),
                  today=today(), **data)


def _weekdays() -> dict[str, str]:
    return {code: rules.WEEKDAYS_SHORT[int(code)] for code in WEEKDAY_CODES}


@get("/setup", guards=[SEE])
async def setup_page(request: Request) -> Response:
    raw = request.query_params.get("year")
    if raw:
        try:
            year_id = forms.value(forms.Int("Год", min=1), raw)
        except forms.FormErrors:
            raise NotFound() from None
        return await _overview(request, await _year_or_404(year_id))
    return await _overview(request, await queries.year(None))


# --- bell schedules -------------------------------------------------------------------------


@post("/setup/years/{year_id:int}/bells", guards=[EDIT])
async def bells_create(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, BELLS_FORM)
    try:
        values = forms.parse(BELLS_FORM, await request.form())
        await actions.do_create_bells(request.user.actor, year_id, values["name"], values["bells"],
                                      "".join(values["weekdays"]))
    except Refused as exc:
        return await _overview(request, year, 400, forms.errors(exc), typed, "bells")
    return redirect(f"/timetable/setup?year={year_id}#bells", request)


async def _bells_page(request: Request, schedule_id: int, status: int = 200, errors: dict | None = None,
                      typed: dict | None = None) -> Response:
    existing_id(schedule_id)
    schedule = await queries.schedule(schedule_id)
    if schedule is None:
        raise NotFound()
    year = await _year_or_404(schedule["year"])
    if typed is None:
        typed = {"name": schedule["name"], "bells": actions.bells_text(schedule["bells"]),
                 "weekdays": list(schedule["weekdays"])}
    return render(request, "timetable/setup_bells.html", status_code=status, year=year, schedule=schedule,
                  may_edit=_may_edit(request, year), errors=errors or {}, typed=typed,
                  weekdays=_weekdays())


@get("/setup/bells/{schedule_id:int}", guards=[SEE])
async def bells_page(request: Request, schedule_id: FromPath[int]) -> Response:
    return await _bells_page(request, schedule_id)


@post("/setup/bells/{schedule_id:int}", guards=[EDIT])
async def bells_change(request: Request, schedule_id: FromPath[int]) -> Response:
    existing_id(schedule_id)
    schedule = await queries.schedule(schedule_id)
    if schedule is None:
        raise NotFound()
    typed = await _typed(request, BELLS_FORM)
    try:
        values = forms.parse(BELLS_FORM, await request.form())
        await actions.do_change_bells(request.user.actor, schedule_id, values["name"], values["bells"],
                                      "".join(values["weekdays"]))
    except Refused as exc:
        return await _bells_page(request, schedule_id, 400, forms.errors(exc), typed)
    return redirect(f"/timetable/setup?year={schedule['year']}#bells", request)


# --- rooms ----------------------------------------------------------------------------------


async def _rooms_page(request: Request, status: int = 200, errors: dict | None = None,
                      typed: dict | None = None, form: str = "") -> Response:
    return render(request, "timetable/setup_rooms.html", status_code=status, rooms=await queries.rooms(),
                  may_edit=request.user.can("timetable.edit"), errors=errors or {}, typed=typed or {},
                  form=form)


@get("/setup/rooms", guards=[SEE])
async def rooms_page(request: Request) -> Response:
    return await _rooms_page(request)


@post("/setup/rooms", guards=[EDIT])
async def room_create(request: Request) -> Response:
    typed = await _typed(request, ROOM_FORM)
    try:
        values = forms.parse(ROOM_FORM, await request.form())
        await actions.do_create_room(request.user.actor, values["name"], values["note"])
    except Refused as exc:
        return await _rooms_page(request, 400, forms.errors(exc), typed, "room")
    return redirect("/timetable/setup/rooms", request)


@post("/setup/rooms/{room_id:int}", guards=[EDIT])
async def room_change(request: Request, room_id: FromPath[int]) -> Response:
    existing_id(room_id)
    if await queries.room(room_id) is None:
        raise NotFound()
    typed = await _typed(request, ROOM_FORM)
    try:
        values = forms.parse(ROOM_FORM, await request.form())
        await actions.do_change_room(request.user.actor, room_id, values["name"], values["note"])
    except Refused as exc:
        return await _rooms_page(request, 400, forms.errors(exc), typed, f"room-{room_id}")
    return redirect("/timetable/setup/rooms", request)


# --- special days ---------------------------------------------------------------------------


@post("/setup/years/{year_id:int}/days", guards=[EDIT])
async def day_set(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, DAY_FORM)
    try:
        values = forms.parse(DAY_FORM, await request.form())
        await actions.do_set_day(request.user.actor, year_id, values["on_date"], values["schedule"],
                                 values["as_weekday"], values["note"])
    except Refused as exc:
        return await _overview(request, year, 400, forms.errors(exc), typed, "day")
    return redirect(f"/timetable/setup?year={year_id}#days", request)


@post("/setup/years/{year_id:int}/days/clear", guards=[EDIT])
async def day_clear(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    try:
        values = forms.parse(DAY_CLEAR_FORM, await request.form())
        await actions.do_clear_day(request.user.actor, year_id, values["on_date"])
    except Refused as exc:
        return await _overview(request, year, 400, forms.errors(exc), {}, "days")
    return redirect(f"/timetable/setup?year={year_id}#days", request)


# --- versions -------------------------------------------------------------------------------


@post("/setup/years/{year_id:int}/versions", guards=[EDIT])
async def version_create(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, VERSION_FORM)
    try:
        values = forms.parse(VERSION_FORM, await request.form())
        await actions.do_create_version(request.user.actor, year_id, values["name"], values["starts_on"],
                                        int(values["cycle"]), values["anchor"], values["skip_holiday_weeks"])
    except Refused as exc:
        return await _overview(request, year, 400, forms.errors(exc), typed, "version")
    return redirect(f"/timetable/setup?year={year_id}#versions", request)


@post("/setup/years/{year_id:int}/versions/start", guards=[EDIT])
async def version_start(request: Request, year_id: FromPath[int]) -> Response:
    year = await _year_or_404(year_id)
    typed = await _typed(request, START_FORM)
    try:
        values = forms.parse(START_FORM, await request.form())
        await actions.do_start_version(request.user.actor, year_id, values["starts_on"], values["name"])
    except Refused as exc:
        return await _overview(request, year, 400, forms.errors(exc), typed, "start")
    return redirect(f"/timetable/setup?year={year_id}#versions", request)


async def _version_page(request: Request, version_id: int, status: int = 200, errors: dict | None = None,
                        typed: dict | None = None) -> Response:
    existing_id(version_id)
    version = await queries.version(version_id)
    if version is None:
        raise NotFound()
    year = await _year_or_404(version["year"])
    if typed is None:
        typed = {"name": version["name"], "cycle": str(version["cycle"]),
                 "anchor": version["anchor"].isoformat() if version["anchor"] else "",
                 "skip_holiday_weeks": "1" if version["skip_holiday_weeks"] else ""}
    return render(request, "timetable/setup_version.html", status_code=status, year=year, version=version,
                  may_edit=_may_edit(request, year), errors=errors or {}, typed=typed)


@get("/setup/versions/{version_id:int}", guards=[SEE])
async def version_page(request: Request, version_id: FromPath[int]) -> Response:
    return await _version_page(request, version_id)


@post("/setup/versions/{version_id:int}", guards=[EDIT])
async def version_change(request: Request, version_id: FromPath[int]) -> Response:
    existing_id(version_id)
    version = await queries.version(version_id)
    if version is None:
        raise NotFound()
    typed = await _typed(request, VERSION_CHANGE_FORM)
    try:
        values = forms.parse(VERSION_CHANGE_FORM, await request.form())
        await actions.do_change_version(request.user.actor, version_id, values["name"], int(values["cycle"]),
                                        values["anchor"], values["skip_holiday_weeks"])
    except Refused as exc:
        return await _version_page(request, version_id, 400, forms.errors(exc), typed)
    return redirect(f"/timetable/setup?year={version['year']}#versions", request)


HANDLERS = [setup_page, bells_create, bells_page, bells_change, rooms_page, room_create, room_change,
            day_set, day_clear, version_create, version_start, version_page, version_change]
