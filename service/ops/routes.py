"""Operations pages: /ops (backups, drills, maintenance, availability), the availability
report, planned maintenance, and the paper journal. Thin: parse → action/query → template."""

from __future__ import annotations

from datetime import datetime, time

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.ops import actions, notice, queries, rules
from service.ops.domain import PAPER
from service.ops.maintenance import STATUS_RU, is_running
from service.school.queries import visible_classes
from service.settings import get_settings
from service.web import existing_id, redirect, render, requires, today
from service.web.middleware import add_notice_source

# The planned-maintenance banner on every page (R-OPS-3): registered when the app mounts these
# routes, so the web layer below names no domain.
add_notice_source(notice.refresh_if_stale, notice.planned_notices)

VIEW = requires("ops.view", "ops.maintenance")
PLAN = requires("ops.maintenance")
SEE_CLASS = requires(*PAPER)

PLAN_FORM = {
    "starts_on": forms.Day("Дата начала", required=True),
    "starts_time": forms.Text("Время начала", 5, required=True),
    "ends_on": forms.Day("Дата окончания", required=True),
    "ends_time": forms.Text("Время окончания", 5, required=True),
    "reason": forms.Text("Какие работы", forms.REASON_MAX, required=True, multiline=True),
}
CANCEL_FORM = {"reason": forms.Text("Причина отмены", forms.REASON_MAX, required=True)}


def _moment(day, text: str, label: str) -> datetime:
    try:
        clock = rules.clock_time(text)
    except ValueError:
        raise Refused(f"{label}: время в виде ЧЧ:ММ, например 09:00", label) from None
    return datetime.combine(day, time(clock.hour, clock.minute), tzinfo=get_settings().tz)


async def _ops_page(request: Request, status: int = 200, errors: dict | None = None,
                    typed: dict | None = None) -> Response:
    now = queries.utc_now()
    settings = get_settings()
    state = queries.backup_state(now)
    months = await queries.availability(1, now)
    return render(request, "ops/ops.html", status_code=status, state=state,
                  steps_ru=STATUS_RU, planned=await queries.planned_list(now),
                  month=months[0], target=rules.TARGET_PERCENT,
                  running=is_running(settings.paths.var_dir),
                  window=f"{settings.maintenance.window_start}–{settings.maintenance.window_end}",
                  may_plan=request.user.can("ops.maintenance"),
                  errors=errors or {}, typed=typed or {})


@get("/ops", guards=[VIEW])
async def ops_page(request: Request) -> Response:
    return await _ops_page(request)


@post("/ops/planned", guards=[PLAN])
async def plan(request: Request) -> Response:
    data = await request.form()
    typed = {k: (data.get(k) if isinstance(data.get(k), str) else "")[:200] for k in PLAN_FORM}
    try:
        values = forms.parse(PLAN_FORM, data)
        starts = _moment(values["starts_on"], values["starts_time"], "starts_time")
        ends = _moment(values["ends_on"], values["ends_time"], "ends_time")
        await actions.do_plan_maintenance(request.user.actor, starts, ends, values["reason"])
    except Refused as exc:
        return await _ops_page(request, 400, forms.errors(exc), typed)
    return redirect("/ops", request)


@post("/ops/planned/{maintenance_id:int}/cancel", guards=[PLAN])
async def cancel(request: Request, maintenance_id: FromPath[int]) -> Response:
    existing_id(maintenance_id)
    try:
        values = forms.parse(CANCEL_FORM, await request.form())
        await actions.do_cancel_maintenance(request.user.actor, maintenance_id, values["reason"])
    except Refused as exc:
        return await _ops_page(request, 400, {f"cancel_{maintenance_id}": exc.message})
    return redirect("/ops", request)


@get("/ops/availability", guards=[VIEW])
async def availability_page(request: Request) -> Response:
    settings = get_settings().maintenance
    months = await queries.availability(12, queries.utc_now())
    return render(request, "ops/availability.html", months=months, target=rules.TARGET_PERCENT,
                  hours=f"{settings.work_start}–{settings.work_end}",
                  probes=await queries.probe_count())


@get("/paper", guards=[SEE_CLASS])
async def paper_classes(request: Request) -> Response:
    return render(request, "ops/paper.html", classes=await visible_classes(request.user, today()))


@get("/paper/{class_id:int}", guards=[SEE_CLASS])
async def paper_journal(request: Request, class_id: FromPath[int]) -> Response:
    existing_id(class_id)
    sheet = await queries.paper_journal(request.user, class_id, today())
    if sheet is None:
        raise NotFound()
    await log_access(request.user.actor, [p["id"] for p in sheet["pupils"]],
                     f"бумажный журнал {sheet['school_class']['name']}")
    return render(request, "ops/paper_journal.html", **sheet, day=today())


router = Router(path="/", route_handlers=[ops_page, plan, cancel, availability_page,
                                          paper_classes, paper_journal])
