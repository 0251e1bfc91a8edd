"""The grid editor of a timetable version (R-TT-2, issue items 2 and 5): pick a class or a
teacher, see their week (weekdays × lesson numbers, weeks A and B side by side), add, change or
remove a slot from a small form, copy week A to week B. Thin: parse the form → action or query
→ template; every rule (conflicts included) is the action's.

With htmx a cell's form opens in the panel beside the grid and a refusal comes back into the
panel (answered 200, because htmx swaps no 4xx answer); without JavaScript the same links and
forms work as ordinary pages: the form opens under the grid, a refusal answers 400 with the
whole page."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.timetable import rules, slot_queries, slots
from service.timetable.tables import Slot
from service.web import existing_id, redirect, render, requires, today

EDIT = requires("timetable.edit")
SEE = requires("timetable.edit", "timetable.view")

SLOT_FORM = {
    "weekday": forms.Int("День недели", min=0, max=9, default=None),
    "number": forms.Int("Номер урока", min=0, max=99, default=None),
    "week": forms.Choice("Неделя", ("0", "1", "2"), default="0"),
    "subject": forms.Int("Предмет", min=1, default=None),
    "teacher": forms.Int("Учитель", min=1, default=None),
    "room": forms.Int("Кабинет", min=1),
    "target": forms.Text("Класс или группа", 20, required=True),
}
BACK_FORM = {"back": forms.Choice("Страница", ("class", "teacher"), default="class"),
             "back_id": forms.Int("Страница", min=1)}
CELL_QUERY = {"weekday": forms.Int("День недели", min=1, max=6), "number": forms.Int("Урок", min=0, max=99),
              "slot": forms.Int("Урок", min=1)}
COPY_FORM = {"from_week": forms.Choice("Из недели", ("1", "2"), default="1"),
             "to_week": forms.Choice("В неделю", ("1", "2"), default="2")}


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


async def _version_or_404(version_id: int) -> dict:
    existing_id(version_id)
    found = await slot_queries.version(version_id, today())
    if found is None:
        raise NotFound()
    return found


async def _class_or_404(version: dict, class_id: int) -> dict:
    existing_id(class_id)
    found = await slot_queries.school_class(version, class_id)
    if found is None:
        raise NotFound()
    return found


async def _teacher_or_404(person_id: int) -> dict:
    existing_id(person_id)
    found = await slot_queries.teacher(person_id)
    if found is None:
        raise NotFound()
    return found


def _may_edit(request: Request, version: dict) -> bool:
    return request.user.can("timetable.edit") and version["closed_at"] is None


def _target(code: str) -> tuple[int | None, int | None]:
    """«c12» is class 12, «g7» group 7 (one select offers both)."""
    kind, number = code[:1], code[1:]
    if kind in ("c", "g") and number.isascii() and number.isdigit() and 0 < int(number) <= forms.ID_MAX:
        return (int(number), None) if kind == "c" else (None, int(number))
    raise Refused("Класс или группа: выберите из списка", field="target")


# --- the picker -----------------------------------------------------------------------------


@get("/grid/{version_id:int}", guards=[SEE])
async def grid_picker(request: Request, version_id: FromPath[int]) -> Response:
    version = await _version_or_404(version_id)
    return render(request, "timetable/grid.html", version=version, **await slot_queries.picker(version),
                  weeks=rules.WEEKS)


# --- the week of a class or a teacher -------------------------------------------------------


def _form_defaults(version: dict, data: dict, chosen: dict, class_row: dict | None,
                   teacher_row: dict | None) -> tuple[dict, dict | None]:
    """What the slot form shows: the slot being changed, or an empty cell's weekday and
    number (with the class or the teacher of the page already chosen)."""
    slot = data["slots"].get(chosen.get("slot")) if chosen.get("slot") else None
    if slot is not None:
        target = f"c{slot['school_class']}" if slot["school_class"] else (
            f"g{slot['study_group']}" if slot["study_group"] else "")
        return {"weekday": str(slot["weekday"]), "number": str(slot["number"]), "week": str(slot["week"]),
                "subject": str(slot["subject"]), "teacher": str(slot["teacher"]),
                "room": str(slot["room"] or ""), "target": target}, slot
    typed = {"weekday": str(chosen.get("weekday") or ""), "number": str(chosen.get("number") or ""),
             "week": "0", "subject": "", "teacher": "", "room": "", "target": ""}
    if class_row is not None:
        typed["target"] = f"c{class_row['id']}"
    if teacher_row is not None:
        typed["teacher"] = str(teacher_row["id"])
    return typed, None


async def _week_page(request: Request, version: dict, *, class_row: dict | None = None,
                     teacher_row: dict | None = None, status: int = 200, errors: dict | None = None,
                     typed: dict | None = None, editing: int | None = None) -> Response:
    data = await slot_queries.grid(version, class_row=class_row,
                                   teacher_id=teacher_row["id"] if teacher_row else None)
    chosen, _ = forms.parse_filters(CELL_QUERY, request.query_params)
    if editing is not None:
        chosen = {"slot": editing}
    defaults, slot = _form_defaults(version, data, chosen, class_row, teacher_row)
    if slot is None and chosen.get("slot"):
        chosen = {}
    show_form = bool(typed is not None or (errors and "copy" not in errors) or slot is not None
                     or (chosen.get("weekday") and chosen.get("number") is not None))
    base = (f"/timetable/grid/{version['id']}/class/{class_row['id']}" if class_row is not None
            else f"/timetable/grid/{version['id']}/teacher/{teacher_row['id']}")
    context = dict(
        version=version, school_class=class_row, teacher=teacher_row, data=data, base=base,
        back=("class", class_row["id"]) if class_row is not None else ("teacher", teacher_row["id"]),
        errors=errors or {}, typed=typed or defaults, slot=slot, show_form=show_form,
        may_edit=_may_edit(request, version), weekdays=rules.WEEKDAYS, weekdays_short=rules.WEEKDAYS_SHORT,
        weeks=rules.WEEKS, lesson_name=rules.lesson_name,
    )
    if _is_htmx(request):
        # the panel alone (the grid's links and forms are its only htmx requests); htmx swaps
        # no 4xx answer, so a refusal answers 200 here
        if not show_form:
            return Response("", media_type="text/html")
        return render(request, "timetable/_grid_form.html", **context)
    return render(request, "timetable/grid_week.html", status_code=status, **context)


@get("/grid/{version_id:int}/class/{class_id:int}", guards=[SEE])
async def grid_class(request: Request, version_id: FromPath[int], class_id: FromPath[int]) -> Response:
    version = await _version_or_404(version_id)
    return await _week_page(request, version, class_row=await _class_or_404(version, class_id))


@get("/grid/{version_id:int}/teacher/{person_id:int}", guards=[SEE])
async def grid_teacher(request: Request, version_id: FromPath[int], person_id: FromPath[int]) -> Response:
    version = await _version_or_404(version_id)
    return await _week_page(request, version, teacher_row=await _teacher_or_404(person_id))


# --- writing --------------------------------------------------------------------------------


async def _back(request: Request, version: dict) -> tuple[dict | None, dict | None, str]:
    """The page a form came from (the class's or the teacher's week), checked like an address."""
    values, _ = forms.parse_filters(BACK_FORM, await request.form())
    if values["back"] == "teacher" and values["back_id"]:
        row = await _teacher_or_404(values["back_id"])
        return None, row, f"/timetable/grid/{version['id']}/teacher/{row['id']}"
    if values["back_id"]:
        row = await _class_or_404(version, values["back_id"])
        return row, None, f"/timetable/grid/{version['id']}/class/{row['id']}"
    raise NotFound()


async def _typed(request: Request) -> dict:
    data = await request.form()
    return {name: (data.get(name) if isinstance(data.get(name), str) else "")[:20] for name in SLOT_FORM}


async def _slot_values(request: Request) -> dict:
    values = forms.parse(SLOT_FORM, await request.form())
    missing = {name: f"{SLOT_FORM[name].label}: выберите значение"
               for name in ("weekday", "number", "subject", "teacher") if values[name] is None}
    if missing:
        raise forms.FormErrors(missing)
    school_class, study_group = _target(values["target"])
    return {"weekday": values["weekday"], "number": values["number"], "week": int(values["week"]),
            "subject": values["subject"], "teacher": values["teacher"], "room": values["room"],
            "school_class": school_class, "study_group": study_group}


@post("/grid/{version_id:int}/slots", guards=[EDIT])
async def slot_add(request: Request, version_id: FromPath[int]) -> Response:
    version = await _version_or_404(version_id)
    class_row, teacher_row, path = await _back(request, version)
    try:
        values = await _slot_values(request)
        await slots.do_add_slot(request.user.actor, version_id, **values)
    except Refused as exc:
        return await _week_page(request, version, class_row=class_row, teacher_row=teacher_row, status=400,
                                errors=forms.errors(exc), typed=await _typed(request))
    return redirect(path, request)


async def _slot_version(slot_id: int) -> dict:
    existing_id(slot_id)
    row = await Slot.select(Slot.timetable).where(Slot.id == slot_id).first().run()
    if row is None:
        raise NotFound()
    return await _version_or_404(row["timetable"])


@post("/grid/slots/{slot_id:int}", guards=[EDIT])
async def slot_change(request: Request, slot_id: FromPath[int]) -> Response:
    version = await _slot_version(slot_id)
    class_row, teacher_row, path = await _back(request, version)
    try:
        values = await _slot_values(request)
        await slots.do_change_slot(request.user.actor, slot_id, **values)
    except Refused as exc:
        return await _week_page(request, version, class_row=class_row, teacher_row=teacher_row, status=400,
                                errors=forms.errors(exc), typed=await _typed(request), editing=slot_id)
    return redirect(path, request)


@post("/grid/slots/{slot_id:int}/remove", guards=[EDIT])
async def slot_remove(request: Request, slot_id: FromPath[int]) -> Response:
    version = await _slot_version(slot_id)
    class_row, teacher_row, path = await _back(request, version)
    try:
        await slots.do_remove_slot(request.user.actor, slot_id)
    except Refused as exc:
        return await _week_page(request, version, class_row=class_row, teacher_row=teacher_row, status=400,
                                errors=forms.errors(exc), editing=slot_id)
    return redirect(path, request)


@post("/grid/{version_id:int}/class/{class_id:int}/copy-week", guards=[EDIT])
async def week_copy(request: Request, version_id: FromPath[int], class_id: FromPath[int]) -> Response:
    version = await _version_or_404(version_id)
    class_row = await _class_or_404(version, class_id)
    try:
        values = forms.parse(COPY_FORM, await request.form())
        await slots.do_copy_week(request.user.actor, version_id, class_id, int(values["from_week"]),
                                 int(values["to_week"]))
    except Refused as exc:
        errors = forms.errors(exc)
        return await _week_page(request, version, class_row=class_row, status=400,
                                errors={"copy": next(iter(errors.values()))})
    return redirect(f"/timetable/grid/{version_id}/class/{class_id}", request)


HANDLERS = [grid_picker, grid_class, grid_teacher, slot_add, slot_change, slot_remove, week_copy]
