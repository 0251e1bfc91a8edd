"""Pages of home schooling (R-ORG-5): the students on «надомное обучение» or «семейное
образование», a new order, one student's dates, subjects and individual timetable. Whether a
child is taught at home says something about their health: only holders of ``timetable.home``
see these pages, and every view is written to the access log like the health sheet."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from service import forms
from service.audit.log import log_access
from service.errors import NotFound, Refused
from service.timetable import home_schooling as home
from service.timetable import rules, slots
from service.timetable.rules import WEEK_LETTERS, WEEKDAYS
from service.web import existing_id, redirect, render, requires, today

HOME = requires("timetable.home")

NEW_FORM = {
    "student": forms.Int("Ученик", min=1),
    "kind": forms.Choice("Форма обучения", tuple(home.KINDS)),
    "starts_on": forms.Day("С какого дня", required=True),
    "ends_on": forms.Day("По какой день"),
    "order_ref": forms.Text("Приказ (номер и дата)", home.ORDER_REF_MAX, required=True),
    "subjects": forms.Many(forms.Int("Предметы", min=1), max_items=200),
    "note": forms.Text("Примечание", home.NOTE_MAX),
}
CHANGE_FORM = {k: NEW_FORM[k] for k in ("starts_on", "ends_on", "order_ref", "subjects", "note")}
CLASS_FILTER = {"class_id": forms.Int("Класс", min=1)}
SLOT_FORM = {
    "weekday": forms.Int("День недели", min=1, max=6),
    "number": forms.Int("Номер урока", min=rules.NUMBER_MIN, max=rules.NUMBER_MAX),
    "week": forms.Choice("Неделя", ("0", "1", "2"), default="0"),
    "subject": forms.Int("Предмет", min=1),
    "teacher": forms.Int("Учитель", min=1),
    "room": forms.Int("Кабинет", min=1),
}
SLOT_REQUIRED = ("weekday", "number", "subject", "teacher")


async def _typed(request: Request, form: dict) -> dict:
    data = await request.form()
    typed = {name: (data.get(name) if isinstance(data.get(name), str) else "")[:200]
             for name in form if name != "subjects"}
    picked = data.getall("subjects") if hasattr(data, "getall") and "subjects" in data else []
    typed["subjects"] = [int(s) for s in picked if isinstance(s, str) and s.isascii() and s.isdigit() and len(s) < 10]
    return typed


@get("/home", guards=[HOME])
async def home_list_page(request: Request) -> Response:
    rows = await home.home_list(today())
    await log_access(request.user.actor, sorted({r["student"] for r in rows}),
                     "список надомного и семейного обучения")
    return render(request, "timetable/home_list.html", rows=rows)


async def _new_page(request: Request, class_id: int | None, status: int = 200,
                    errors: dict | None = None, typed: dict | None = None) -> Response:
    day = today()
    classes = await home.current_classes()
    if class_id is not None and all(c["id"] != class_id for c in classes):
        class_id = None
    students = await home.class_students(class_id, day) if class_id is not None else []
    if students:
        name = next(c["name"] for c in classes if c["id"] == class_id)
        await log_access(request.user.actor, [p["id"] for p in students],
                         f"список класса {name} (надомное обучение)")
    return render(request, "timetable/home_new.html", status_code=status, classes=classes,
                  class_id=class_id, students=students, subjects=await home.subjects(),
                  kinds=home.KINDS, errors=errors or {},
                  typed=typed or {"starts_on": day.isoformat(), "subjects": []})


@get("/home/new", guards=[HOME])
async def home_new_page(request: Request) -> Response:
    chosen, _ = forms.parse_filters(CLASS_FILTER, request.query_params)
    return await _new_page(request, chosen["class_id"])


@post("/home/new", guards=[HOME])
async def home_create(request: Request) -> Response:
    typed = await _typed(request, NEW_FORM)
    chosen, _ = forms.parse_filters(CLASS_FILTER, await request.form())
    try:
        values = forms.parse(NEW_FORM, await request.form())
        if values["student"] is None:
            raise forms.FormErrors({"student": "Ученик: выберите ученика из списка"})
        home_id = await home.do_start_home_schooling(
            request.user.actor, values["student"], values["kind"], values["starts_on"],
            values["ends_on"], values["order_ref"], values["subjects"], values["note"])
    except Refused as exc:
        return await _new_page(request, chosen["class_id"], 400, forms.errors(exc), typed)
    return redirect(f"/timetable/home/{home_id}", request)


async def _detail_page(request: Request, home_id: int, status: int = 200,
                       errors: dict | None = None, typed: dict | None = None,
                       slot_errors: dict | None = None, slot_typed: dict | None = None) -> Response:
    existing_id(home_id)
    day = today()
    row = await home.home_detail(home_id, day)
    if row is None:
        raise NotFound()
    await log_access(request.user.actor, row["student"], "надомное или семейное обучение")
    form = typed or {"starts_on": row["starts_on"].isoformat(),
                     "ends_on": row["ends_on"].isoformat() if row["ends_on"] else "",
                     "order_ref": row["order_ref"], "note": row["note"],
                     "subjects": row["subject_ids"]}
    return render(request, "timetable/home_detail.html", status_code=status, row=row,
                  subjects=await home.subjects(), errors=errors or {}, typed=form,
                  weekdays=WEEKDAYS, week_letters=WEEK_LETTERS, teachers=await home.teachers(day),
                  rooms=await home.rooms(), slot_errors=slot_errors or {},
                  slot_typed=slot_typed or {})


@get("/home/{home_id:int}", guards=[HOME])
async def home_detail_page(request: Request, home_id: FromPath[int]) -> Response:
    return await _detail_page(request, home_id)


@post("/home/{home_id:int}", guards=[HOME])
async def home_change(request: Request, home_id: FromPath[int]) -> Response:
    existing_id(home_id)
    typed = await _typed(request, CHANGE_FORM)
    try:
        values = forms.parse(CHANGE_FORM, await request.form())
        await home.do_change_home_schooling(request.user.actor, home_id, values["starts_on"],
                                            values["ends_on"], values["subjects"],
                                            values["order_ref"], values["note"])
    except Refused as exc:
        return await _detail_page(request, home_id, 400, forms.errors(exc), typed)
    return redirect(f"/timetable/home/{home_id}", request)


@post("/home/{home_id:int}/slots", guards=[HOME])
async def home_slot_add(request: Request, home_id: FromPath[int]) -> Response:
    """An individual lesson of the student in the version in force (the grid's own rules:
    bells, the teacher's other lessons, the room; the student must be on home schooling)."""
    existing_id(home_id)
    row = await home.home_detail(home_id, today())
    if row is None:
        raise NotFound()
    data = await request.form()
    typed = {name: (data.get(name) if isinstance(data.get(name), str) else "")[:20] for name in SLOT_FORM}
    try:
        if row["version"] is None:
            raise Refused("На эти даты нет действующей версии расписания", field="weekday")
        values = forms.parse(SLOT_FORM, data)
        missing = {n: f"{SLOT_FORM[n].label}: заполните поле" for n in SLOT_REQUIRED if values[n] is None}
        if missing:
            raise forms.FormErrors(missing)
        await slots.do_add_slot(request.user.actor, row["version"]["id"], values["weekday"],
                                values["number"], int(values["week"]), values["subject"],
                                values["teacher"], values["room"], student=row["student"])
    except Refused as exc:
        return await _detail_page(request, home_id, 400, slot_errors=forms.errors(exc),
                                  slot_typed=typed)
    return redirect(f"/timetable/home/{home_id}#individual", request)


@post("/home/{home_id:int}/slots/{slot_id:int}/remove", guards=[HOME])
async def home_slot_remove(request: Request, home_id: FromPath[int], slot_id: FromPath[int]) -> Response:
    existing_id(home_id)
    existing_id(slot_id)
    row = await home.home_detail(home_id, today())
    if row is None or await home.slot_student(slot_id) != row["student"]:
        raise NotFound()
    try:
        await slots.do_remove_slot(request.user.actor, slot_id)
    except Refused as exc:
        return await _detail_page(request, home_id, 400, slot_errors=forms.errors(exc))
    return redirect(f"/timetable/home/{home_id}#individual", request)


HANDLERS = [home_list_page, home_new_page, home_create, home_detail_page, home_change,
            home_slot_add, home_slot_remove]
