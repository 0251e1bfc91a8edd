"""The administrator's pages over the audit log and the access log."""

from __future__ import annotations

from datetime import date

from litestar import Request, Response, Router, get
from litestar.params import FromQuery

from service.audit.queries import ACTION_NAMES, PAGE, AuditFilter, access_page, audit_page
from service.settings import get_settings
from service.web import MAX_ID, render, requires


def _day(text: str | None) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, "Дата должна быть в виде ГГГГ-ММ-ДД"


@get("/admin/audit", guards=[requires("admin.audit")])
async def audit_list(request: Request, actor: FromQuery[str] = "", action: FromQuery[str] = "", object_type: FromQuery[str] = "",
                     object_id: FromQuery[str] = "", day_from: FromQuery[str] = "", day_to: FromQuery[str] = "",
                     before: FromQuery[int | None] = None) -> Response:
    errors = {}
    before = min(before, 2**62) if before else None
    d_from, problem = _day(day_from)
    if problem:
        errors["day_from"] = problem
    d_to, problem = _day(day_to)
    if problem:
        errors["day_to"] = problem
    f = AuditFilter(actor.strip(), action, object_type.strip(), object_id.strip(), d_from, d_to, before)
    rows = await audit_page(f, get_settings().tz)
    template = "audit/_rows.html" if request.headers.get("hx-request") and before else "audit/list.html"
    return render(request, template, rows=rows[:PAGE], more=len(rows) > PAGE, f=f,
                  day_from=day_from, day_to=day_to, actions=ACTION_NAMES, errors=errors)


@get("/admin/access-log", guards=[requires("admin.access_log")])
async def access_list(request: Request, person: FromQuery[int | None] = None, viewer: FromQuery[str] = "",
                      before: FromQuery[int | None] = None) -> Response:
    person = person if person and 0 < person <= MAX_ID else None
    before = min(before, MAX_ID) if before else None
    rows = await access_page(person, viewer.strip(), before)
    return render(request, "audit/access.html", rows=rows[:PAGE], more=len(rows) > PAGE,
                  person=person or "", viewer_q=viewer)


router = Router(path="/", route_handlers=[audit_list, access_list])
