"""The weeks people see (the entry page, a class's, a teacher's, a room's and a student's week,
each printable) and their private calendar feeds. Thin: whose week (scoped by the viewer,
404 for a foreign one) → the week from ``views`` → template."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.timetable import feeds, views
from service.web import client_address, existing_id, redirect, render, signed_in, site_url, today

WEEK_QUERY = {"week": forms.Day("Неделя"), "print": forms.Flag("Для печати")}
GO_QUERY = {"kind": forms.Choice("Что показать", ("class", "teacher", "room")),
            "id": forms.Int("Номер", min=1, default=None)}
FEED_FORM = {"person": forms.Int("Чьё расписание", min=1, default=None)}


def _week_start(request: Request) -> tuple[date, bool]:
    """The Monday of the week asked for (``?week=`` any day of it; nonsense → this week) and
    whether the printable page is wanted (``?print=1`` or an address ending in /print)."""
    values, _ = forms.parse_filters(WEEK_QUERY, request.query_params)
    day = values["week"] or today()
    printing = bool(values["print"]) or request.url.path.rstrip("/").endswith("/print")
    return views.week_of(day), printing


async def _week(request: Request, whose: views.Whose, monday: date, printing: bool = False) -> dict:
    """The week built for the viewer; reading a student's timetable (or an individual lesson's
    student) is noted in the access log, like any card of a student (152-ФЗ)."""
    viewer = request.user
    last = monday + timedelta(days=views.DAYS_SHOWN - 1)
    cal = await views.calendar(monday, last)
    lessons = await views.week_lessons(whose, monday, last)
    week = views.build_week(whose, viewer, monday, lessons, cal, today(),
                            changes_link=viewer.can("timetable.changes") and not printing)
    seen = set(views.shown_students(lessons, whose, viewer))
    if whose.kind == "student" and whose.id != viewer.person_id:
        seen.add(whose.id)
    if seen:
        await log_access(viewer.actor, sorted(seen), "расписание ученика")
    return week


async def _week_page(request: Request, whose: views.Whose | None) -> Response:
    if whose is None:
        raise NotFound()
    viewer = request.user
    monday, printing = _week_start(request)
    week = await _week(request, whose, monday, printing)
    tabs = await views.children(viewer, today()) if whose.kind == "student" and whose.parent else []
    return render(request, "timetable/week_print.html" if printing else "timetable/week.html",
                  whose=whose, week=week, base=f"/timetable/{whose.kind}/{whose.id}", tabs=tabs)


@get(["/class/{class_id:int}", "/class/{class_id:int}/print"], guards=[signed_in])
async def class_week(request: Request, class_id: FromPath[int]) -> Response:
    return await _week_page(request, await views.whose_class(request.user, existing_id(class_id)))


@get(["/teacher/{person_id:int}", "/teacher/{person_id:int}/print"], guards=[signed_in])
async def teacher_week(request: Request, person_id: FromPath[int]) -> Response:
    whose = await views.whose_teacher(request.user, existing_id(person_id))
    return await _week_page(request, whose)


@get(["/room/{room_id:int}", "/room/{room_id:int}/print"], guards=[signed_in])
async def room_week(request: Request, room_id: FromPath[int]) -> Response:
    return await _week_page(request, await views.whose_room(request.user, existing_id(room_id)))


@get(["/student/{person_id:int}", "/student/{person_id:int}/print"], guards=[signed_in])
async def student_week(request: Request, person_id: FromPath[int]) -> Response:
    return await _week_page(request, await views.whose_student(request.user, existing_id(person_id),
                                                               today()))


@get("/", guards=[signed_in])
async def index(request: Request) -> Response:
    """The entry page: one's own week (a teacher's, a student's; a parent's first child with a
    switcher between the children) and, for holders of ``timetable.view``, the pickers."""
    viewer = request.user
    day = today()
    tabs = await views.children(viewer, day) if "parent" in viewer.roles else []
    whose = None
    if viewer.person_id is not None and set(viewer.roles) & set(views.TEACHER_ROLES):
        whose = await views.whose_teacher(viewer, viewer.person_id)
    elif viewer.person_id is not None and "student" in viewer.roles:
        whose = await views.whose_student(viewer, viewer.person_id, day)
    elif tabs:
        whose = await views.whose_student(viewer, tabs[0]["id"], day)
    week = await _week(request, whose, _week_start(request)[0]) if whose is not None else None
    picks = await views.pickers(day) if viewer.can("timetable.view") else None
    return render(request, "timetable/index.html", whose=whose, week=week, tabs=tabs, picks=picks,
                  base="/timetable" if whose is None else f"/timetable/{whose.kind}/{whose.id}",
                  may_feed=bool(tabs) or bool(set(viewer.roles) & feeds.OWN_TIMETABLE))


@get("/go", guards=[signed_in])
async def go(request: Request) -> Response:
    """The pickers' forms: open the week of the class, teacher or room chosen."""
    values, problems = forms.parse_filters(GO_QUERY, request.query_params)
    if problems or values["id"] is None:
        return redirect("/timetable", request)
    return redirect(f"/timetable/{values['kind']}/{values['id']}", request)


# --- calendar feeds -----------------------------------------------------------------------------


async def _feeds_page(request: Request, status: int = 200, errors: dict | None = None,
                      made: str = "", made_for: str = "") -> Response:
    viewer = request.user
    return render(request, "timetable/feeds.html", status_code=status,
                  targets=await feeds.targets(viewer, today()), feeds=await feeds.feeds_of(viewer),
                  errors=errors or {}, made=made, made_for=made_for)


@get("/feeds", guards=[signed_in])
async def feeds_page(request: Request) -> Response:
    return await _feeds_page(request)


@post("/feeds", guards=[signed_in])
async def feed_create(request: Request) -> Response:
    """Make an address; the page shows it this once (only its hash is kept)."""
    try:
        values = forms.parse(FEED_FORM, await request.form())
        if values["person"] is None:
            raise Refused("Выберите, чьё расписание добавить в календарь", field="person")
        feed_id, token = await feeds.do_create_feed(request.user, values["person"])
    except Refused as exc:
        return await _feeds_page(request, 400, forms.errors(exc))
    url = f"{site_url(request)}/timetable/feed/{token}.ics"
    return await _feeds_page(request, made=url, made_for=str(feed_id))


@post("/feeds/{feed_id:int}/revoke", guards=[signed_in])
async def feed_revoke(request: Request, feed_id: FromPath[int]) -> Response:
    try:
        await feeds.do_revoke_feed(request.user, existing_id(feed_id))
    except Refused as exc:
        return await _feeds_page(request, 400, forms.errors(exc))
    return redirect("/timetable/feeds", request)


# Opened by a phone's calendar, which has no session: the token in the address is the key.
# No guard (guards are per route here; SessionMiddleware only resolves a cookie if there is
# one) and GET only, so the CSRF check does not apply.
@get("/feed/{name:str}")
async def feed_ics(request: Request, name: FromPath[str]) -> Response:
    if not name.endswith(".ics"):
        raise NotFound()
    body = await feeds.feed(name[:-4], client_address(request.scope), today())
    if body is None:
        raise NotFound()
    return Response(body, status_code=200, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="timetable.ics"',
                             "Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


HANDLERS = [index, go, class_week, teacher_week, room_week, student_week, feeds_page,
            feed_create, feed_revoke, feed_ics]
