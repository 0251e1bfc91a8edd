"""«Правила журнала» (R-GRADE-4, R-GRADE-5, R-GRADE-6, 004 items 3–4): the year's settings,
grading systems with marks and conversions, which system where, kinds of work and weights.
Thin: parse the form → action → redirect, or the page again with the Russian message."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, final_queries, setup, setup_queries
from service.timetable.tables import Lesson
from service.web import existing_id, redirect, render, requires

SETTINGS = requires("journal.settings")

SETTINGS_FORM = {
    "year": forms.Int("Учебный год", min=1),
    **{name: forms.Int(label, min=-1_000_000, max=1_000_000) for name, (label, _, _) in setup.LIMITS.items()},
    "approval_required": forms.Flag("Исправления утверждает заместитель директора"),
    "round_from": forms.Text("Округлять вверх с доли", 12, required=True),
    "plans_due": forms.Day("Срок сдачи КТП", required=True),
}
SYSTEM_FORM = {
    "name": forms.Text("Название системы", setup.SYSTEM_NAME_MAX, required=True),
    "kind": forms.Choice("Вид системы", ("scale", "marks"), default="scale"),
    "low": forms.Int("Наименьшая отметка", min=0, max=1000, default=0),
    "high": forms.Int("Наибольшая отметка", min=0, max=1000, default=0),
    "pass_from": forms.Int("Зачётная с", min=0, max=1000, default=0),
    "marks": forms.Text("Отметки", 2000, multiline=True),
    "active": forms.Flag("Действует"),
}
CONVERSION_FORM = {
    "source": forms.Int("Из системы", min=1),
    "target": forms.Int("В систему", min=1),
    "conversions": forms.Text("Пересчёт", 3000, multiline=True),
}
RULE_FORM = {
    "year": forms.Int("Учебный год", min=1),
    "system": forms.Int("Система оценивания", min=1),
    "subject": forms.Int("Предмет", min=1),
    "grade_from": forms.Int("Классы с", min=1, max=11, default=1),
    "grade_to": forms.Int("Классы по", min=1, max=11, default=11),
    "group_kinds": forms.Many(forms.Choice("Виды групп", tuple(setup.GROUP_KINDS)), max_items=len(setup.GROUP_KINDS)),
}
WORK_FORM = {
    "name": forms.Text("Вид работы", setup.WORK_NAME_MAX, required=True),
    "short": forms.Text("Сокращение", setup.WORK_SHORT_MAX, required=True),
    "weight": forms.Text("Вес", 12, required=True),
    "position": forms.Int("Порядок", min=0, max=1000, default=0),
    "active": forms.Flag("Действует"),
}


async def _typed(request: Request, form: dict) -> dict:
    data = await request.form()
    typed = {}
    for name, field in form.items():
        if isinstance(field, forms.Many):
            typed[name] = [v for v in data.getall(name, []) if isinstance(v, str)][:10] if hasattr(
                data, "getall") else []
        else:
            value = data.get(name)
            typed[name] = value[:3000] if isinstance(value, str) else ""
    return typed


async def _year(raw) -> dict:
    today = access.school_today()
    year_id = None
    if raw:
        try:
            year_id = forms.value(forms.Int("Год", min=1), raw)
        except forms.FormErrors:
            raise NotFound() from None
        if year_id is not None:
            existing_id(year_id)
    year = await final_queries.year_of(today, year_id)
    if year is None:
        raise NotFound()
    return year


async def _page(request: Request, year: dict, status: int = 200, errors: dict | None = None,
                typed: dict | None = None, form: str = "") -> Response:
    data = await setup_queries.page(year)
    years = await Lesson.raw("SELECT id, name FROM academic_year ORDER BY starts_on DESC").run()
    return render(request, "journal/settings.html", status_code=status, year=year, years=years,
                  errors=errors or {}, typed=typed or {}, form=form, may_edit=year["closed_at"] is None, **data)


@get("/settings", guards=[SETTINGS])
async def settings_page(request: Request) -> Response:
    return await _page(request, await _year(request.query_params.get("year")))


def _back(year: dict, anchor: str) -> str:
    return f"/journal/settings?year={year['id']}#{anchor}"


@post("/settings", guards=[SETTINGS])
async def settings_save(request: Request) -> Response:
    data = await request.form()
    year = await _year(data.get("year") if isinstance(data.get("year"), str) else None)
    typed = await _typed(request, SETTINGS_FORM)
    try:
        values = forms.parse(SETTINGS_FORM, data)
        values.pop("year")
        await setup.do_save_settings(request.user, year["id"], values)
    except Refused as exc:
        return await _page(request, year, 400, forms.errors(exc), typed, "settings")
    return redirect(_back(year, "settings"), request)


async def _year_from_form(request: Request) -> dict:
    data = await request.form()
    return await _year(data.get("year") if isinstance(data.get("year"), str) else None)


@post("/settings/systems", guards=[SETTINGS])
async def system_create(request: Request) -> Response:
    return await _system(request, None)


@post("/settings/systems/{system_id:int}", guards=[SETTINGS])
async def system_change(request: Request, system_id: FromPath[int]) -> Response:
    existing_id(system_id)
    return await _system(request, system_id)


async def _system(request: Request, system_id: int | None) -> Response:
    year = await _year_from_form(request)
    typed = await _typed(request, SYSTEM_FORM)
    key = f"system-{system_id}" if system_id else "system"
    try:
        values = forms.parse(SYSTEM_FORM, await request.form())
        marks = setup.parse_marks(values["marks"]) if values["kind"] == "marks" else []
        await setup.do_save_system(request.user, system_id, values["name"], values["kind"], low=values["low"],
                                   high=values["high"], pass_from=values["pass_from"], marks=marks,
                                   active=values["active"] if system_id else True)
    except Refused as exc:
        return await _page(request, year, 400, forms.errors(exc), typed, key)
    return redirect(_back(year, "systems"), request)


@post("/settings/conversions", guards=[SETTINGS])
async def conversions_save(request: Request) -> Response:
    year = await _year_from_form(request)
    typed = await _typed(request, CONVERSION_FORM)
    try:
        values = forms.parse(CONVERSION_FORM, await request.form())
        if values["source"] is None or values["target"] is None:
            raise Refused("Выберите обе системы", field="target")
        await setup.do_save_conversions(request.user, values["source"], values["target"],
                                        setup.parse_conversions(values["conversions"]))
    except NotFound:
        return await _page(request, year, 400, {"target": "Выберите системы из списка"}, typed, "conversion")
    except Refused as exc:
        return await _page(request, year, 400, forms.errors(exc), typed, "conversion")
    return redirect(_back(year, "systems"), request)


@post("/settings/rules", guards=[SETTINGS])
async def rule_create(request: Request) -> Response:
    return await _rule(request, None)


@post("/settings/rules/{rule_id:int}", guards=[SETTINGS])
async def rule_change(request: Request, rule_id: FromPath[int]) -> Response:
    existing_id(rule_id)
    return await _rule(request, rule_id)


async def _rule(request: Request, rule_id: int | None) -> Response:
    year = await _year_from_form(request)
    typed = await _typed(request, RULE_FORM)
    key = f"rule-{rule_id}" if rule_id else "rule"
    try:
        values = forms.parse(RULE_FORM, await request.form())
        if values["system"] is None:
            raise Refused("Система оценивания: выберите из списка", field="system")
        await setup.do_save_rule(request.user, rule_id, year["id"], values["system"], values["subject"],
                                 values["grade_from"], values["grade_to"], values["group_kinds"])
    except Refused as exc:
        return await _page(request, year, 400, forms.errors(exc), typed, key)
    return redirect(_back(year, "rules"), request)


@post("/settings/rules/{rule_id:int}/remove", guards=[SETTINGS])
async def rule_remove(request: Request, rule_id: FromPath[int]) -> Response:
    existing_id(rule_id)
    year = await _year_from_form(request)
    try:
        await setup.do_remove_rule(request.user, rule_id)
    except Refused as exc:
        return await _page(request, year, 400, {"__all__": exc.message}, {}, f"rule-{rule_id}")
    return redirect(_back(year, "rules"), request)


@post("/settings/work-kinds", guards=[SETTINGS])
async def work_kind_create(request: Request) -> Response:
    return await _work_kind(request, None)


@post("/settings/work-kinds/{kind_id:int}", guards=[SETTINGS])
async def work_kind_change(request: Request, kind_id: FromPath[int]) -> Response:
    existing_id(kind_id)
    return await _work_kind(request, kind_id)


async def _work_kind(request: Request, kind_id: int | None) -> Response:
    year = await _year_from_form(request)
    typed = await _typed(request, WORK_FORM)
    key = f"kind-{kind_id}" if kind_id else "kind"
    try:
        values = forms.parse(WORK_FORM, await request.form())
        await setup.do_save_work_kind(request.user, kind_id, values["name"], values["short"], values["weight"],
                                      values["position"], values["active"] if kind_id else True)
    except Refused as exc:
        return await _page(request, year, 400, forms.errors(exc), typed, key)
    return redirect(_back(year, "work-kinds"), request)


HANDLERS = [settings_page, settings_save, system_create, system_change, conversions_save, rule_create,
            rule_change, rule_remove, work_kind_create, work_kind_change]
