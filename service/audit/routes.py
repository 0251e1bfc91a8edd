"""The administrator's pages over the audit log and the access log."""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.params import FromQuery

from service import forms
from service.audit.queries import PAGE, AuditFilter, access_page, audit_page
from service.domains import action_names
from service.settings import get_settings
from service.web import render, requires

AUDIT_FILTER = {
    "actor": forms.Text("Кто", forms.LOGIN_MAX),
    "action": forms.Text("Действие", forms.CODE_NAME_MAX),
    "object_type": forms.Text("Тип объекта", forms.CODE_NAME_MAX),
    "object_id": forms.Text("Номер объекта", forms.CODE_NAME_MAX),
    "day_from": forms.Day("С даты"),
    "day_to": forms.Day("По дату"),
    "before": forms.Int("Страница", min=1, max=2**62),
}
ACCESS_FILTER = {
    "person": forms.Int("Номер карточки", min=1),
    "viewer": forms.Text("Кто смотрел", forms.LOGIN_MAX),
    "before": forms.Int("Страница", min=1),
}


@get("/admin/audit", guards=[requires("admin.audit")])
async def audit_list(request: Request, actor: FromQuery[str] = "", action: FromQuery[str] = "",
                     object_type: FromQuery[str] = "", object_id: FromQuery[str] = "",
                     day_from: FromQuery[str] = "", day_to: FromQuery[str] = "",
                     before: FromQuery[str] = "") -> Response:
    raw = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id,
           "day_from": day_from, "day_to": day_to, "before": before}
    v, errors = forms.parse_filters(AUDIT_FILTER, raw)
    if v["day_from"] and v["day_to"] and v["day_from"] > v["day_to"]:
        errors["day_to"] = "По дату: не раньше, чем «с даты»"
    f = AuditFilter(v["actor"] or "", v["action"] or "", v["object_type"] or "",
                    v["object_id"] or "", v["day_from"], v["day_to"], v["before"])
    # A bad filter shows its message and no rows: never a list the user did not ask for.
    rows = [] if errors else await audit_page(f, get_settings().tz)
    template = "audit/_rows.html" if request.headers.get("hx-request") and f.before_seq else "audit/list.html"
    return render(request, template, rows=rows[:PAGE], more=len(rows) > PAGE, f=f,
                  day_from=day_from[:10], day_to=day_to[:10], actions=action_names(), errors=errors)


@get("/admin/access-log", guards=[requires("admin.access_log")])
async def access_list(request: Request, person: FromQuery[str] = "", viewer: FromQuery[str] = "",
                      before: FromQuery[str] = "") -> Response:
    v, errors = forms.parse_filters(ACCESS_FILTER, {"person": person, "viewer": viewer,
                                                    "before": before})
    rows = [] if errors else await access_page(v["person"], v["viewer"] or "", v["before"])
    return render(request, "audit/access.html", rows=rows[:PAGE], more=len(rows) > PAGE,
                  person=v["person"] or "", viewer_q=v["viewer"] or "", errors=errors)


router = Router(path="/", route_handlers=[audit_list, access_list])
