"""Pages of finals, closing periods and corrections (R-GRADE-2, R-GRADE-4, R-GRADE-5, 004 items
3–4, 6): a journal's finals sheet, the deputy head's overview (periods, visibility dates,
overdue finals, closing and reopening) and the corrections awaiting approval. Thin: parse →
action or query → template; every rule is the action's."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, corrections, final_queries, finals, rules
from service.journal.cells import NeedReason
from service.web import existing_id, redirect, render, requires

SEE_SHEET = requires("journal.teach", "journal.class", "journal.view")
OVERVIEW = requires("journal.approve", "journal.view", "journal.teach")
APPROVE = requires("journal.approve")
CORRECTIONS = requires("journal.approve", "journal.teach")

FINAL_FORM = {
    "student": forms.Int("Ученик", min=1),
    "kind": forms.Choice("Вид итоговой", tuple(rules.FINAL_KINDS), default="period"),
    "period": forms.Int("Период", min=1),
    "mark": forms.Text("Итоговая отметка", 8),
    "note": forms.Text("Примечание", finals.NOTE_MAX),
    "reason": forms.Text("Причина исправления", 1000),
    "version": forms.Int("Версия", min=0, max=1_000_000),
}
CONFIRM_FORM = {
    "kind": forms.Choice("Вид итоговой", ("period", "year"), default="period"),
    "period": forms.Int("Период", min=1),
}
CLOSE_FORM = {"reason": forms.Text("Причина", 1000), "force": forms.Flag("Закрыть всё равно")}
REOPEN_FORM = {"reason": forms.Text("Причина", 1000, required=True)}
DECIDE_FORM = {"decision": forms.Choice("Решение", ("approve", "reject")),
               "note": forms.Text("Комментарий", corrections.NOTE_MAX)}


async def _journal(request: Request, key: str) -> tuple[access.JournalRef, dict]:
    ref = access.parse_ref(key)
    info = await access.journal(ref)
    if not await access.may_view(request.user, info):
        raise NotFound()
    return ref, info


def _period_param(request: Request) -> int | None:
    raw = request.query_params.get("period")
    if not raw:
        return None
    try:
        return forms.value(forms.Int("Период", min=1), raw)
    except forms.FormErrors:
        return None


def _kind_param(request: Request) -> str:
    kind = request.query_params.get("kind") or "period"
    return kind if kind in rules.FINAL_KINDS else "period"


async def _sheet_page(request: Request, ref, info, period_id: int | None, status: int = 200,
                      errors: dict | None = None, typed: dict | None = None, kind: str = "period") -> Response:
    today = access.school_today()
    data = await final_queries.sheet(ref, info, today)
    periods = data["periods"]
    chosen = next((p for p in periods if p["id"] == period_id), None) or data["current"] or (
        periods[-1] if periods and today > periods[-1]["ends_on"] else (periods[0] if periods else None))
    if kind != "period":
        chosen = None
    for st in data["students"]:
        if kind == "period":
            cell = next((c for c in st["cells"] if chosen and c["period"]["id"] == chosen["id"]), None)
            st["edit"] = cell or {"belongs": False, "final": None, "suggested": "", "average": None}
        elif kind == "year":
            st["edit"] = {"belongs": True, **st["year"]}
        else:
            st["edit"] = {"belongs": True, "final": st["extras"].get(kind), "suggested": "", "average": None}
    system = data["system"]
    marks = ([str(n) for n in range(system.high, system.low - 1, -1)] if system.kind == "scale"
             and system.high - system.low <= 20 else [m for m, _, _ in system.marks])
    closed = bool(chosen and chosen["closed"]) if kind == "period" else bool(periods and periods[-1]["closed"])
    return render(request, "journal/finals.html", status_code=status, info=info, ref=ref, data=data,
                  chosen=chosen, kind=kind, closed=closed, marks=[*marks, *rules.SPECIAL_FINALS],
                  free_input=system.kind == "scale" and system.high - system.low > 20,
                  may_write=await finals.may_write_finals(request.user, ref) and info["closed_at"] is None
                  and system.kind != "none", pending=request.query_params.get("saved") == "pending",
                  errors=errors or {}, typed=typed or {}, kinds=rules.FINAL_KINDS, today=today)


@get("/{key:str}/finals", guards=[SEE_SHEET])
async def finals_page(request: Request, key: FromPath[str]) -> Response:
    ref, info = await _journal(request, key)
    return await _sheet_page(request, ref, info, _period_param(request), kind=_kind_param(request))


def _back(ref, kind: str, period: int | None, pending: bool = False) -> str:
    query = [f"period={period}"] if kind == "period" and period else [f"kind={kind}"] if kind != "period" else []
    if pending:
        query.append("saved=pending")
    return f"{ref.path}/finals" + ("?" + "&".join(query) if query else "")


@post("/{key:str}/finals", guards=[SEE_SHEET])
async def final_save(request: Request, key: FromPath[str]) -> Response:
    ref, info = await _journal(request, key)
    data = await request.form()
    typed = {k: (data.get(k) if isinstance(data.get(k), str) else "")[:1000] for k in FINAL_FORM}
    period, kind = None, "period"
    try:
        values = forms.parse(FINAL_FORM, data)
        period, kind = values["period"], values["kind"]
        if values["student"] is None:
            raise Refused("Выберите ученика", field="student")
        saved = await finals.do_save_final(request.user, ref, values["student"], values["kind"],
                                           values["period"] if values["kind"] == "period" else None,
                                           values["mark"], values["note"], values["reason"],
                                           version=values["version"])
    except NeedReason as exc:
        typed["need"] = exc.need
        return await _sheet_page(request, ref, info, period, 409,
                                 {f"s{typed['student']}": exc.message}, typed, kind)
    except Refused as exc:
        return await _sheet_page(request, ref, info, period, 400,
                                 {f"s{typed['student']}": exc.message}, typed, kind)
    return redirect(_back(ref, kind, period, saved.state == "pending") + f"#s{values['student']}", request)


@post("/{key:str}/finals/confirm", guards=[SEE_SHEET])
async def finals_confirm(request: Request, key: FromPath[str]) -> Response:
    ref, info = await _journal(request, key)
    period, kind = None, "period"
    try:
        values = forms.parse(CONFIRM_FORM, await request.form())
        period, kind = values["period"], values["kind"]
        await finals.do_confirm_suggested(request.user, ref, period if kind == "period" else None, kind=kind)
    except Refused as exc:
        return await _sheet_page(request, ref, info, period, 400, {"confirm": exc.message}, kind=kind)
    return redirect(_back(ref, kind, period), request)


# --- the deputy's overview ------------------------------------------------------------------


async def _overview(request: Request, status: int = 200, errors: dict | None = None,
                    form: str = "", typed: dict | None = None) -> Response:
    today = access.school_today()
    year = await final_queries.year_of(today)
    viewer = request.user
    wide = viewer.can("journal.approve") or viewer.can("journal.view")
    data = await final_queries.overview(year, today) if year and wide else {"periods": [], "overdue": []}
    mine = await final_queries.viewer_overdue(viewer, year, today) if year and viewer.can("journal.teach") else []
    return render(request, "journal/finals_overview.html", status_code=status, year=year, wide=wide,
                  may_close=viewer.can("journal.approve") and year is not None and year["closed_at"] is None,
                  mine=mine, today=today, errors=errors or {}, form=form, typed=typed or {}, **data)


@get("/finals", guards=[OVERVIEW])
async def finals_overview(request: Request) -> Response:
    return await _overview(request)


@get("/finals/mine", guards=[requires("journal.teach")])
async def finals_mine(request: Request) -> Response:
    return await _overview(request)


@post("/periods/{period_id:int}/close", guards=[APPROVE])
async def period_close(request: Request, period_id: FromPath[int]) -> Response:
    existing_id(period_id)
    data = await request.form()
    typed = {"reason": (data.get("reason") if isinstance(data.get("reason"), str) else "")[:1000],
             "force": bool(data.get("force"))}
    try:
        values = forms.parse(CLOSE_FORM, data)
        await finals.do_close_period(request.user, period_id, values["reason"], force=values["force"])
    except Refused as exc:
        return await _overview(request, 400, {"__all__": exc.message}, f"p{period_id}", typed)
    return redirect("/journal/finals#periods", request)


@post("/periods/{period_id:int}/reopen", guards=[APPROVE])
async def period_reopen(request: Request, period_id: FromPath[int]) -> Response:
    existing_id(period_id)
    data = await request.form()
    typed = {"reason": (data.get("reason") if isinstance(data.get("reason"), str) else "")[:1000]}
    try:
        values = forms.parse(REOPEN_FORM, data)
        await finals.do_reopen_period(request.user, period_id, values["reason"])
    except Refused as exc:
        return await _overview(request, 400, {"__all__": exc.message}, f"p{period_id}", typed)
    return redirect("/journal/finals#periods", request)


# --- corrections ------------------------------------------------------------------------------


async def _corrections(request: Request, status: int = 200, errors: dict | None = None, form: str = "") -> Response:
    viewer = request.user
    waiting = await corrections.pending() if viewer.can("journal.approve") else []
    own = await corrections.mine(viewer) if viewer.can("journal.teach") else []
    return render(request, "journal/corrections.html", status_code=status, waiting=waiting, own=own,
                  may_decide=viewer.can("journal.approve"), errors=errors or {}, form=form)


@get("/corrections", guards=[CORRECTIONS])
async def corrections_page(request: Request) -> Response:
    return await _corrections(request)


@post("/corrections/{correction_id:int}", guards=[APPROVE])
async def correction_decide(request: Request, correction_id: FromPath[int]) -> Response:
    existing_id(correction_id)
    try:
        values = forms.parse(DECIDE_FORM, await request.form())
        await corrections.do_decide_correction(request.user, correction_id, values["decision"] == "approve",
                                               values["note"])
    except Refused as exc:
        return await _corrections(request, 400, {"__all__": exc.message}, f"c{correction_id}")
    return redirect("/journal/corrections", request)


HANDLERS = [finals_page, final_save, finals_confirm, finals_overview, finals_mine, period_close, period_reopen,
            corrections_page, correction_decide]
