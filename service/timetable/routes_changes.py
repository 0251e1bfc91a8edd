"""Pages of the changes for a date (R-TT-3, R-TT-4): absent teachers and their lessons with
substitutes to choose, the lessons changed so far, forms for extra, moved and re-roomed lessons,
and the substitute-hours report. Thin: parse → action or query → template; every rule is the
action's (service/timetable/changes.py)."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.timetable import change_queries as q
from service.timetable import changes, rules
from service.web import existing_id, redirect, render, requires, today

CHANGES = requires("timetable.changes")

NOTE = forms.Text("Причина изменения", changes.NOTE_MAX)
DAY_FIELD = {"day": forms.Day("День")}
DAY_PAGE = {**DAY_FIELD, "lesson": forms.Int("Урок", min=1)}
REPLACE_FORM = {"substitute": forms.Int("Кто заменяет", min=1), "note": NOTE}
COMBINE_FORM = {"teacher": forms.Int("Кто совмещает", min=1), "note": NOTE}
CANCEL_FORM = {"note": NOTE}
ROOM_FORM = {"room": forms.Int("Кабинет", min=1), "note": NOTE}
MOVE_FORM = {"to_date": forms.Day("На какой день", required=True),
             "to_number": forms.Int("Номер урока", min=rules.NUMBER_MIN, max=rules.NUMBER_MAX), "note": NOTE}
ADD_FORM = {
    "on_date": forms.Day("День", required=True),
    "number": forms.Int("Номер урока", min=rules.NUMBER_MIN, max=rules.NUMBER_MAX),
    "target": forms.Text("Класс или группа", 20, required=True),
    "subject": forms.Int("Предмет", min=1),
    "teacher": forms.Int("Учитель", min=1),
    "room": forms.Int("Кабинет", min=1),
    "note": NOTE,
}
ABSENCE_FORM = {
    "teacher": forms.Int("Учитель", min=1),
    "starts_on": forms.Day("С какого дня", required=True),
    "ends_on": forms.Day("По какой день"),
    "reason": forms.Text("Причина", changes.REASON_MAX),
}
ABSENCE_CHANGE_FORM = {"starts_on": forms.Day("С какого дня", required=True),
                       "ends_on": forms.Day("По какой день", required=True)}
RANGE_FORM = {"from": forms.Day("С какого дня"), "to": forms.Day("По какой день")}
REQUIRED = {"substitute", "teacher", "room", "to_number", "number", "subject"}


async def _values(request: Request, form: dict) -> tuple[dict, dict]:
    """What was typed (to show again after a refusal) and the clean values, or ``FormErrors``
    (an empty required number field named in Russian)."""
    data = await request.form()
    typed = {name: (data.get(name) if isinstance(data.get(name), str) else "")[:200] for name in form}
    values = forms.parse(form, data)
    missing = {name: f"{form[name].label}: заполните поле" for name in form
               if name in REQUIRED and values[name] is None and not (name == "room" and form is ADD_FORM)}
    if missing:
        raise forms.FormErrors(missing)
    return typed, values


async def _day_page(request: Request, day: date, status: int = 200, errors: dict | None = None,
                    typed: dict | None = None, form: str = "", open_lesson: int | None = None) -> Response:
    data = await q.day_page(day)
    return render(request, "timetable/changes.html", status_code=status, errors=errors or {},
                  typed=typed or {}, form=form, open_lesson=open_lesson, today=today(),
                  lesson_name=rules.lesson_name,
                  time_text=rules.time_text, prev_day=day - timedelta(days=1),
                  next_day=day + timedelta(days=1), **data)


@get("/changes", guards=[CHANGES])
async def changes_page(request: Request) -> Response:
    try:
        values = forms.parse(DAY_PAGE, request.query_params)
    except forms.FormErrors as exc:
        return await _day_page(request, today(), 400, forms.errors(exc), form="day")
    # the change forms of one present teacher's lesson at a time: a day of a big school has
    # hundreds of lessons, and their forms would make the page hundreds of kilobytes
    return await _day_page(request, values["day"] or today(), open_lesson=values["lesson"])


async def _lesson_or_404(lesson_id: int) -> dict:
    existing_id(lesson_id)
    row = await q.lesson(lesson_id)
    if row is None:
        raise NotFound()
    return row


def _back(day: date, anchor: str = "") -> str:
    return f"/timetable/changes?day={day.isoformat()}{anchor}"


async def _lesson_action(request: Request, lesson_id: int, form: dict, kind: str, act) -> Response:
    """The shape every lesson form shares: 404 for an unknown lesson, the page again with the
    message on a refusal, back to the lesson's day on success."""
    row = await _lesson_or_404(lesson_id)
    typed: dict = {}
    try:
        typed, values = await _values(request, form)
        day = await act(values)
    except Refused as exc:
        return await _day_page(request, row["on_date"], 400, forms.errors(exc), typed, f"{kind}-{lesson_id}")
    return redirect(_back(day or row["on_date"], f"#lesson-{lesson_id}"), request)


@post("/changes/lessons/{lesson_id:int}/replace", guards=[CHANGES])
async def lesson_replace(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(v: dict) -> None:
        await changes.do_replace(request.user.actor, lesson_id, v["substitute"], v["note"])
    return await _lesson_action(request, lesson_id, REPLACE_FORM, "replace", act)


@post("/changes/lessons/{lesson_id:int}/combine", guards=[CHANGES])
async def lesson_combine(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(v: dict) -> None:
        await changes.do_combine(request.user.actor, lesson_id, v["teacher"], v["note"])
    return await _lesson_action(request, lesson_id, COMBINE_FORM, "combine", act)


@post("/changes/lessons/{lesson_id:int}/cancel", guards=[CHANGES])
async def lesson_cancel(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(v: dict) -> None:
        await changes.do_cancel(request.user.actor, lesson_id, v["note"])
    return await _lesson_action(request, lesson_id, CANCEL_FORM, "cancel", act)


@post("/changes/lessons/{lesson_id:int}/room", guards=[CHANGES])
async def lesson_room(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(v: dict) -> None:
        await changes.do_change_room(request.user.actor, lesson_id, v["room"], v["note"])
    return await _lesson_action(request, lesson_id, ROOM_FORM, "room", act)


@post("/changes/lessons/{lesson_id:int}/move", guards=[CHANGES])
async def lesson_move(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(v: dict) -> date:
        await changes.do_move(request.user.actor, lesson_id, v["to_date"], v["to_number"], v["note"],
                              today=today())
        return v["to_date"]
    return await _lesson_action(request, lesson_id, MOVE_FORM, "move", act)


@post("/changes/lessons/{lesson_id:int}/restore", guards=[CHANGES])
async def lesson_restore(request: Request, lesson_id: FromPath[int]) -> Response:
    async def act(_: dict) -> None:
        await changes.do_restore(request.user.actor, lesson_id)
    return await _lesson_action(request, lesson_id, {}, "restore", act)


def _target(text: str) -> tuple[int | None, int | None]:
    """«c12» — class 12, «g7» — group 7 (the add form's one select for both)."""
    kind, number = text[:1], text[1:]
    if kind not in ("c", "g") or not number.isascii() or not number.isdigit() or len(number) > 9:
        raise Refused("Класс или группа: выберите из списка", field="target")
    return (int(number), None) if kind == "c" else (None, int(number))


async def _page_day(request: Request) -> date:
    """The day the page the form came from showed (hidden field «day»); today when missing."""
    data = await request.form()
    try:
        return forms.parse(DAY_FIELD, data)["day"] or today()
    except forms.FormErrors:
        return today()


@post("/changes/lessons", guards=[CHANGES])
async def lesson_add(request: Request) -> Response:
    day = await _page_day(request)
    typed: dict = {}
    try:
        typed, v = await _values(request, ADD_FORM)
        school_class, study_group = _target(v["target"])
        lesson_id = await changes.do_add_lesson(
            request.user.actor, v["on_date"], v["number"], v["subject"], v["teacher"], v["room"],
            school_class=school_class, study_group=study_group, note=v["note"], today=today())
    except Refused as exc:
        return await _day_page(request, day, 400, forms.errors(exc), typed, "add")
    return redirect(_back(v["on_date"], f"#lesson-{lesson_id}"), request)


@post("/changes/absences", guards=[CHANGES])
async def absence_add(request: Request) -> Response:
    day = await _page_day(request)
    typed: dict = {}
    try:
        typed, v = await _values(request, ABSENCE_FORM)
        await changes.do_record_absence(request.user.actor, v["teacher"], v["starts_on"],
                                        v["ends_on"] or v["starts_on"], v["reason"])
    except Refused as exc:
        return await _day_page(request, day, 400, forms.errors(exc), typed, "absence")
    return redirect(_back(day, "#absences"), request)


async def _absence_or_404(absence_id: int) -> dict:
    existing_id(absence_id)
    row = await q.absence(absence_id)
    if row is None:
        raise NotFound()
    return row


@post("/changes/absences/{absence_id:int}", guards=[CHANGES])
async def absence_change(request: Request, absence_id: FromPath[int]) -> Response:
    await _absence_or_404(absence_id)
    day = await _page_day(request)
    typed: dict = {}
    try:
        typed, v = await _values(request, ABSENCE_CHANGE_FORM)
        await changes.do_end_absence(request.user.actor, absence_id, v["starts_on"], v["ends_on"])
    except Refused as exc:
        return await _day_page(request, day, 400, forms.errors(exc), typed, f"absence-{absence_id}")
    return redirect(_back(day, "#absences"), request)


@post("/changes/absences/{absence_id:int}/remove", guards=[CHANGES])
async def absence_remove(request: Request, absence_id: FromPath[int]) -> Response:
    await _absence_or_404(absence_id)
    day = await _page_day(request)
    try:
        await changes.do_end_absence(request.user.actor, absence_id, remove=True)
    except Refused as exc:
        return await _day_page(request, day, 400, forms.errors(exc), {}, f"absence-{absence_id}")
    return redirect(_back(day, "#absences"), request)


# --- substitute hours -----------------------------------------------------------------------


def _range(request: Request) -> tuple[date, date, dict]:
    """The report's dates (the current month by default) and the messages for bad ones."""
    values, problems = forms.parse_filters(RANGE_FORM, request.query_params)
    first, last = changes.month_of(values["from"] or values["to"] or today())
    starts_on, ends_on = values["from"] or first, values["to"] or last
    if ends_on < starts_on:
        problems["to"] = "По какой день: не раньше, чем «с какого дня»"
        starts_on, ends_on = first, last
    elif (ends_on - starts_on).days > 400:
        problems["to"] = "Отчёт — не больше чем за год"
        starts_on, ends_on = first, last
    return starts_on, ends_on, problems


@get("/changes/hours", guards=[CHANGES])
async def hours_page(request: Request) -> Response:
    starts_on, ends_on, problems = _range(request)
    rows = await q.substitute_hours(starts_on, ends_on)
    return render(request, "timetable/changes_hours.html", status_code=400 if problems else 200,
                  rows=rows, starts_on=starts_on, ends_on=ends_on, errors=problems,
                  totals={k: sum(r[k] for r in rows) for k in ("replaced", "combined", "total")})


@get("/changes/hours/{teacher_id:int}", guards=[CHANGES])
async def hours_teacher_page(request: Request, teacher_id: FromPath[int]) -> Response:
    existing_id(teacher_id)
    name = await q.person_name(teacher_id)
    if name is None:
        raise NotFound()
    starts_on, ends_on, problems = _range(request)
    rows = await q.substitute_lessons(teacher_id, starts_on, ends_on)
    return render(request, "timetable/changes_teacher.html", status_code=400 if problems else 200,
                  teacher_id=teacher_id, teacher_name=name, rows=rows, starts_on=starts_on, ends_on=ends_on,
                  errors=problems, lesson_name=rules.lesson_name)


HANDLERS = [changes_page, lesson_replace, lesson_combine, lesson_cancel, lesson_room, lesson_move,
            lesson_restore, lesson_add, absence_add, absence_change, absence_remove, hours_page,
            hours_teacher_page]
