"""The diary's pages (R-DIARY-1, R-GRADE-5, R-GRADE-6): a pupil's week, a subject's page, the
finals with the parents' acknowledgement, and who acknowledged for the class teacher and the
administration (at /acknowledgements, outside /diary: a staff page stays LAN-only). Thin:
whose diary (scoped by the viewer, 404 for a foreign one) → query or action → template. A read
by anyone but the pupil and their parents goes to the access log."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.diary import actions, printout, queries
from service.diary.queries import Whose
from service.errors import NotFound, Refused
from service.journal import access, final_queries, rules
from service.journal.final_queries import short_name
from service.settings import get_settings
from service.timetable import views
from service.timetable.tables import Lesson
from service.web import existing_id, redirect, render, render_pdf, requires, signed_in

WEEK_QUERY = {"week": forms.Day("Неделя")}
ACK_FORM = {"period": forms.Int("Период", min=1)}
STAFF_QUERY = {"class": forms.Int("Класс", min=1, default=None), "period": forms.Int("Период", min=1, default=None)}
SEEN = "дневник ученика"


async def _whose(request: Request, student: int) -> Whose:
    """The pupil's diary the viewer may open (404 otherwise); a staff read is logged."""
    whose = await queries.whose(request.user, existing_id(student), access.school_today())
    if whose is None:
        raise NotFound()
    if not whose.own:
        await log_access(request.user.actor, whose.id, SEEN)
    return whose


async def _page(request: Request, name: str, whose: Whose, status: int = 200, **context) -> Response:
    tabs = await queries.children(request.user, access.school_today()) if whose.is_parent else []
    return render(request, name, status_code=status, whose=whose, tabs=tabs, **context)


@get("/diary", guards=[requires("diary.own")])
async def index(request: Request) -> Response:
    """One's own diary (a pupil), or the first child's (a parent, who switches by the tabs)."""
    viewer = request.user
    if viewer.person_id is not None and await queries.whose(viewer, viewer.person_id, access.school_today()):
        return redirect(f"/diary/{viewer.person_id}", request)
    kids = await queries.children(viewer, access.school_today())
    if kids:
        return redirect(f"/diary/{kids[0]['id']}", request)
    return render(request, "diary/none.html")


@get("/diary/{student:int}", guards=[signed_in])
async def week(request: Request, student: FromPath[int]) -> Response:
    """The week: lessons with topics, homework for all and one's own, files, grades with kind
    of work and weight, absences with their reasons, timetable changes marked as changes."""
    whose = await _whose(request, student)
    values, _ = forms.parse_filters(WEEK_QUERY, request.query_params)
    today = access.school_today()
    monday = views.week_of(values["week"] or today)
    last = monday + timedelta(days=queries.DAYS_SHOWN - 1)
    lessons = await queries.week_lessons(whose.id, monday, last)
    if not whose.own and not request.user.can("timetable.home"):
        # an individual lesson reveals home schooling (health data): as in the timetable, only
        # the family, its teacher and holders of timetable.home see it
        lessons = [r for r in lessons if r["student"] is None or r["teacher"] == request.user.person_id
                   or r["taught_by"] == request.user.person_id]
    extras = await queries.week_extras(whose.id, monday, last) if lessons else []
    for lesson in lessons:
        ref = access.ref_of_lesson(lesson)
        lesson["journal"] = ref.key if ref else None
    days = queries.build_week(monday, lessons, extras, today)
    return await _page(request, "diary/week.html", whose, days=days, monday=monday, sunday=monday + timedelta(days=6),
                       previous=monday - timedelta(days=7), next=monday + timedelta(days=7),
                       this_week=views.week_of(today), today=today)


def _acknowledged(rows: list[dict], parent: int | None) -> tuple[dict[int, list[dict]], dict[int, dict]]:
    """Acknowledgements by period (everyone's, with names) and the viewer's own by period."""
    by_period: dict[int, list[dict]] = {}
    mine: dict[int, dict] = {}
    for r in rows:
        r["name"] = short_name(r)
        by_period.setdefault(r["period"], []).append(r)
        if r["parent"] == parent:
            mine[r["period"]] = r
    return by_period, mine


async def _finals_page(request: Request, whose: Whose, status: int = 200, error: str = "") -> Response:
    today = access.school_today()
    view = await final_queries.family_view(whose.id, today)
    periods = list(actions.all_periods(view).values())
    visible = actions.visible_periods(view, today)
    by_period, mine = _acknowledged(await queries.acknowledgements_of(whose.id), request.user.person_id)
    return await _page(request, "diary/finals.html", whose, status, view=view, periods=periods,
                       visible=visible, acknowledged=by_period, mine=mine, today=today, error=error,
                       may_acknowledge=whose.is_parent and request.user.can("diary.acknowledge"))


@get("/diary/{student:int}/finals", guards=[signed_in])
async def finals(request: Request, student: FromPath[int]) -> Response:
    """Per subject and period: the weighted average, the forecast from the date the school set,
    the finals once visible; a parent's «Ознакомлен(а)» per period."""
    return await _finals_page(request, await _whose(request, student))


@post("/diary/{student:int}/finals", guards=[requires("diary.acknowledge")])
async def acknowledge(request: Request, student: FromPath[int]) -> Response:
    whose = await _whose(request, student)
    try:
        values = forms.parse(ACK_FORM, await request.form())
        if values["period"] is None:
            raise Refused("Период: выберите период", field="period")
        await actions.do_acknowledge(request.user, whose.id, values["period"], access.school_today())
    except Refused as exc:
        message = exc.message if not isinstance(exc, forms.FormErrors) else "; ".join(exc.errors.values())
        return await _finals_page(request, whose, 400, message)
    return redirect(f"/diary/{whose.id}/finals#p{values['period']}", request)


@get("/diary/{student:int}/subject/{key:str}", guards=[signed_in])
async def subject(request: Request, student: FromPath[int], key: FromPath[str]) -> Response:
    """One subject: every grade of the year with its kind of work, weight and comment, by
    period, with the weighted average, the forecast and the final as the family sees them."""
    whose = await _whose(request, student)
    ref = access.parse_ref(key)
    today = access.school_today()
    view = await final_queries.family_view(whose.id, today)
    entry = next((j for j in view if j["journal"] == ref.key), None)
    if entry is None or not entry["periods"]:
        raise NotFound()
    first, last = entry["periods"][0]["starts_on"], entry["periods"][-1]["ends_on"]
    grades = await queries.journal_grades(whose.id, ref, first, last)
    periods = []
    for p in entry["periods"]:
        mine = [g for g in grades if p["starts_on"] <= g["on_date"] <= p["ends_on"]]
        for g in mine:
            g["weight_text"] = queries.weight_text(g["weight"])
        periods.append({**p, "grades": mine})
    return await _page(request, "diary/subject.html", whose, entry=entry, periods=periods, today=today)


# --- the class teacher's and the administration's page ------------------------------------------


def _default_period(periods: list[dict], today: date, finals_days: int) -> dict | None:
    """The latest period whose finals families see, else the current one, else the first."""
    seen = [p for p in periods if today >= rules.finals_from(p["ends_on"], finals_days) or p["closed"]]
    if seen:
        return seen[-1]
    return next((p for p in periods if p["starts_on"] <= today <= p["ends_on"]), periods[0] if periods else None)


def _pupils(rows: list[dict]) -> list[dict]:
    pupils: dict[int, dict] = {}
    for r in rows:
        p = pupils.setdefault(r["id"], {"id": r["id"], "name": full_name(r), "parents": [], "done": []})
        if r["parent_id"] is not None:
            parent = {"name": short_name({"last_name": r["p_last"], "first_name": r["p_first"],
                                          "middle_name": r["p_middle"]}),
                      "kind": r["parent_kind"] or "", "at": r["acknowledged_at"]}
            p["parents"].append(parent)
            if parent["at"] is not None:
                p["done"].append(parent)
    return list(pupils.values())


def full_name(r: dict) -> str:
    return " ".join(x for x in (r["last_name"], r["first_name"], r["middle_name"]) if x)


@get("/acknowledgements", guards=[requires("journal.class", "journal.view")])
async def class_acknowledgements(request: Request) -> Response:
    """Per pupil of a class: which parents acknowledged the finals of a period, and when; who
    has not. The class teacher sees their class, holders of ``journal.view`` every class."""
    viewer = request.user
    today = access.school_today()
    values, _ = forms.parse_filters(STAFF_QUERY, request.query_params)
    classes = await queries.classes_for(viewer, today)
    chosen = (next((c for c in classes if c["id"] == values["class"]), None) if values["class"] is not None
              else (classes[0] if classes else None))
    if values["class"] is not None and chosen is None:
        raise NotFound()
    periods, period, pupils = [], None, []
    if chosen is not None:
        s = await access.settings(chosen["year"])
        periods = await access.periods(chosen["year"], chosen["grade"])
        period = (next((p for p in periods if p["id"] == values["period"]), None)
                  if values["period"] is not None else _default_period(periods, today, s.finals_days))
        if values["period"] is not None and period is None:
            raise NotFound()
        if period is not None:
            period["finals_from"] = rules.finals_from(period["ends_on"], s.finals_days)
            pupils = _pupils(await queries.class_acknowledgements(chosen["id"], period["id"], today))
            if pupils:
                await log_access(viewer.actor, [p["id"] for p in pupils], "ознакомление с итоговыми")
    done = sum(1 for p in pupils if p["done"])
    return render(request, "diary/acknowledgements.html", classes=classes, chosen=chosen, periods=periods,
                  period=period, pupils=pupils, done=done, today=today)


_CLASS_SQL = """
SELECT c.id, c.name, c.class_teacher, p.last_name, p.first_name, p.middle_name
FROM school_class c LEFT JOIN person p ON p.id = c.class_teacher WHERE c.id = {}
"""


@get("/classes/{class_id:int}/diary.pdf", guards=[requires("journal.class", "journal.view")])
async def week_printout(request: Request, class_id: FromPath[int]) -> Response:
    """The class's diaries for a week as one PDF, a page per pupil (R-DIARY-2): for families
    without a computer. The class teacher of the class or a holder of ``journal.view``; for
    anyone else the class does not exist. Every pupil printed is in the access log."""
    viewer = request.user
    rows = await Lesson.raw(_CLASS_SQL, existing_id(class_id)).run()
    if not rows:
        raise NotFound()
    c = rows[0]
    if not (viewer.can("journal.view") or (viewer.person_id is not None and c["class_teacher"] == viewer.person_id)):
        raise NotFound()
    values, problems = forms.parse_filters(WEEK_QUERY, request.query_params)
    if problems:
        raise NotFound()
    today = access.school_today()
    monday = views.week_of(values["week"] or today)
    pages = await printout.class_week(class_id, monday, today)
    if pages:
        await log_access(viewer.actor, [p["id"] for p in pages], SEEN + " (печать недели)")
    teacher = (views.short_name(c["last_name"], c["first_name"], c["middle_name"])
               if c["class_teacher"] is not None else "не назначен")
    pdf = render_pdf("pdf/diary_week.html", pages=pages, class_name=c["name"], class_teacher=teacher,
                     monday=monday, sunday=monday + timedelta(days=6))
    filename = f"dnevniki-{c['name']}-{monday.isoformat()}.pdf"
    return Response(pdf, status_code=200, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"})


# --- the daily digest by e-mail (issue 10 item 5) ------------------------------------------------

DIGEST_FORM = {"enabled": forms.Flag("Присылать ежедневную сводку")}


async def _digest_page(request: Request, status: int = 200, errors: dict | None = None,
                       typed: dict | None = None, saved: bool = False) -> Response:
    mail = get_settings().mail
    choice = await actions.digest_choice(request.user)
    return render(request, "diary/digest.html", status_code=status, choice=choice, mail_enabled=mail.enabled,
                  digest_time=mail.digest_time if mail.enabled else "", errors=errors or {},
                  typed=typed or {}, saved=saved)


@get("/diary/digest", guards=[requires("diary.own")])
async def digest_settings(request: Request) -> Response:
    """A parent's own daily digest: the address it goes to and whether it goes (off by default).
    Anyone who is not a parent of a pupil: 404."""
    return await _digest_page(request, saved=request.query_params.get("saved") == "1")


@post("/diary/digest", guards=[requires("diary.own")])
async def digest_save(request: Request) -> Response:
    """Always the viewer's own choice: the form names no person, and the action takes none."""
    form = await request.form()
    enabled = forms.parse(DIGEST_FORM, form)["enabled"]
    try:
        await actions.do_set_digest(request.user, form.get("address"), enabled)
    except Refused as exc:
        return await _digest_page(request, 400, forms.errors(exc),
                                  {"address": form.get("address") or "", "enabled": enabled})
    return redirect("/diary/digest?saved=1", request)


# The staff page lives outside /diary: with the diary open to the internet (provisioning:
# ezh_diary_public) nginx lets /diary through and keeps every other page LAN-only.
router = Router(path="/", route_handlers=[index, class_acknowledgements, week_printout, week, finals, acknowledge,
                                             subject, digest_settings, digest_save])
