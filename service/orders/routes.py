"""Pages of the order book: the book, an order, the forms for each kind of order, a student's
movement and the year-end rollover with its preview. Thin: parse → action/query → template;
every rule is in the actions."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath

from service import forms
from service.errors import NotFound, Refused
from service.orders import actions, queries
from service.orders.actions import KIND_NAMES, NUMBER_MAX, OrderHead
from service.web import existing_id, redirect, render, requires, today

VIEW = requires("orders.view", "orders.edit")
EDIT = requires("orders.edit")

FORMS = {  # kind of form → (heading, what the order does)
    "enrol": "Зачисление в класс",
    "transfer": "Перевод в другой класс",
    "withdraw": "Выбытие из школы",
    "group_join": "Включение в группу",
    "group_leave": "Исключение из группы",
}
HEAD = {
    "number": forms.Text("Номер приказа", NUMBER_MAX, required=True),
    "dated": forms.Day("Дата приказа", required=True),
    "title": forms.Text("Заголовок приказа", forms.SHORT_MAX),
}
STUDENTS = forms.Many(forms.Int("Ученики", min=1), max_items=2000)
ON_DATE = forms.Day("С какой даты", required=True)
ORDER_FORMS: dict[str, dict[str, Any]] = {
    "enrol": {**HEAD, "students": STUDENTS, "to_class": forms.Int("Класс", min=1), "on_date": ON_DATE},
    "transfer": {**HEAD, "students": STUDENTS, "to_class": forms.Int("В какой класс", min=1),
                 "on_date": ON_DATE},
    "withdraw": {**HEAD, "students": STUDENTS, "on_date": forms.Day("Дата выбытия", required=True),
                 "reason": forms.Text("Куда выбыл", forms.SHORT_MAX, required=True)},
    "group_join": {**HEAD, "students": STUDENTS, "group": forms.Int("Группа", min=1),
                   "on_date": ON_DATE},
    "group_leave": {**HEAD, "students": STUDENTS, "group": forms.Int("Группа", min=1),
                    "on_date": ON_DATE},
}
PICK = {"from_class": forms.Int("Класс", min=1), "group": forms.Int("Группа", min=1)}
BOOK_FILTERS = {"year": forms.Int("Учебный год", min=1),
                "kind": forms.Choice("Вид приказа", tuple(KIND_NAMES), default="")}
CANCEL_FORM = HEAD
ROLLOVER_YEARS = {"old_year": forms.Int("Из какого года", min=1),
                  "new_year": forms.Int("В какой год", min=1)}
ROLLOVER_FORM = {
    **ROLLOVER_YEARS,
    "promote_number": forms.Text("Номер приказа о переводе", NUMBER_MAX, required=True),
    "promote_dated": forms.Day("Дата приказа о переводе", required=True),
    "graduate_number": forms.Text("Номер приказа о выпуске", NUMBER_MAX),
    "graduate_dated": forms.Day("Дата приказа о выпуске"),
    "leaving": forms.Many(forms.Int("Выбывают после 9 класса", min=1), max_items=5000),
    "held_back": forms.Many(forms.Int("Оставлены на повторное обучение", min=1), max_items=5000),
    "step": forms.Choice("Шаг", ("preview", "confirm"), default="preview"),
}


def _need(values: dict, name: str, message: str) -> Any:
    if values.get(name) is None:
        raise Refused(message, field=name)
    return values[name]


# --- the book --------------------------------------------------------------------------------


@get("/orders", guards=[VIEW])
async def book_page(request: Request) -> Response:
    values, problems = forms.parse_filters(BOOK_FILTERS, request.query_params)
    years = await queries.years()
    year = next((y for y in years if y["id"] == values["year"]), None)
    orders = await queries.order_book(year, values["kind"] or None)
    return render(request, "orders/book.html", orders=orders, years=years, year=year,
                  kind=values["kind"] or "", kinds=KIND_NAMES, forms_=FORMS, errors=problems)


@get("/orders/{order_id:int}", guards=[VIEW])
async def order_page(request: Request, order_id: FromPath[int]) -> Response:
    existing_id(order_id)
    return await _order(request, order_id, {}, {})


async def _order(request: Request, order_id: int, errors: dict, entered: dict,
                 status_code: int = 200) -> Response:
    order = await queries.order_detail(order_id)
    may_cancel = (request.user.can("orders.edit") and order["kind"] in actions.CANCELLABLE
                  and order["cancelled_by"] is None)
    return render(request, "orders/order.html", status_code=status_code, order=order,
                  kinds=KIND_NAMES, may_cancel=may_cancel, errors=errors, entered=entered,
                  today=today())


@post("/orders/{order_id:int}/cancel", guards=[EDIT])
async def cancel_order(request: Request, order_id: FromPath[int]) -> Response:
    existing_id(order_id)
    data = await request.form()
    try:
        values = forms.parse(CANCEL_FORM, data)
        new_id = await actions.do_cancel(request.user.actor, _head(values), order_id)
    except Refused as exc:
        return await _order(request, order_id, forms.errors(exc), dict(data), 400)
    return redirect(f"/orders/{new_id}", request)


def _head(values: dict, prefix: str = "") -> OrderHead:
    return OrderHead(values[prefix + "number"], values[prefix + "dated"], values.get(prefix + "title", ""))


# --- new orders ------------------------------------------------------------------------------


async def _form_page(request: Request, kind: str, errors: dict, entered: dict,
                     status_code: int = 200) -> Response:
    day = today()
    year = await queries.working_year()
    picked, problems = forms.parse_filters(PICK, entered)
    errors = {**problems, **errors}
    classes = await queries.classes_of(year["id"]) if year else []
    groups = await queries.groups_of(year["id"]) if year else []
    from_class = next((c for c in classes if c["id"] == picked["from_class"]), None)
    group = next((g for g in groups if g["id"] == picked["group"]), None)
    if kind == "enrol":
        pupils = await queries.enrol_candidates(day)
    elif kind == "group_leave":
        pupils = await queries.group_pupils(group["id"], day) if group else []
    else:
        pupils = await queries.class_pupils(from_class["id"], day) if from_class else []
    chosen = set(forms.parse_filters({"students": STUDENTS}, entered)[0]["students"] or ())
    return render(request, "orders/new.html", status_code=status_code, kind=kind,
                  heading=FORMS[kind], year=year, classes=classes, groups=groups,
                  from_class=from_class, group=group, pupils=pupils, chosen=chosen,
                  entered=entered, errors=errors, today=day)


# One address per kind, not a path parameter: an unknown kind is the router's own 404.
NEW_PATHS = [f"/orders/new/{kind}" for kind in FORMS]


def _kind(request: Request) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[1]


@get(NEW_PATHS, guards=[EDIT])
async def new_order_page(request: Request) -> Response:
    return await _form_page(request, _kind(request), {}, request.query_params)


@post(NEW_PATHS, guards=[EDIT])
async def new_order(request: Request) -> Response:
    kind = _kind(request)
    data = await request.form()
    actor = request.user.actor
    try:
        v = forms.parse(ORDER_FORMS[kind], data)
        head = _head(v)
        if kind == "enrol":
            order_id = await actions.do_enrol(actor, head, v["students"],
                                              _need(v, "to_class", "Класс: выберите класс"), v["on_date"])
        elif kind == "transfer":
            order_id = await actions.do_transfer(
                actor, head, v["students"], _need(v, "to_class", "В какой класс: выберите класс"),
                v["on_date"])
        elif kind == "withdraw":
            order_id = await actions.do_withdraw(actor, head, v["students"], v["on_date"], v["reason"])
        else:
            group = _need(v, "group", "Группа: выберите группу")
            do = actions.do_group_join if kind == "group_join" else actions.do_group_leave
            order_id = await do(actor, head, group, v["students"], v["on_date"])
    except NotFound:
        # a class, group or pupil that does not exist (a forged form): said in the form
        return await _form_page(request, kind, {"__all__": "Класс, группа или ученик не найдены: "
                                                "обновите страницу и выберите из списка"}, data, 400)
    except Refused as exc:
        return await _form_page(request, kind, forms.errors(exc), data, 400)
    return redirect(f"/orders/{order_id}", request)


# --- a student's movement --------------------------------------------------------------------


@get("/orders/students/{person_id:int}", guards=[VIEW])
async def student_page(request: Request, person_id: FromPath[int]) -> Response:
    """A student's movement (link it from the student's card for holders of orders.view)."""
    existing_id(person_id)
    history = await queries.student_history(person_id)
    return render(request, "orders/student.html", person=history, kinds=KIND_NAMES)


# --- the year-end rollover -------------------------------------------------------------------


async def _rollover_page(request: Request, data: Any, errors: dict, status_code: int = 200,
                         leaving: set[int] | None = None, held_back: set[int] | None = None
                         ) -> Response:
    years = await queries.years()
    picked, problems = forms.parse_filters(ROLLOVER_YEARS, data)
    errors = {**problems, **errors}
    preview = None
    if picked["old_year"] and picked["new_year"]:
        try:
            preview = await queries.rollover_preview(picked["old_year"], picked["new_year"],
                                                     leaving or (), held_back or ())
        except NotFound:
            errors.setdefault("old_year", "Выберите учебные годы из списка")
        except Refused as exc:
            errors.setdefault(exc.field or "__all__", exc.message)
            if exc.field in ("leaving", "held_back"):  # show the plan without the bad lists
                preview = await queries.rollover_preview(picked["old_year"], picked["new_year"])
    return render(request, "orders/rollover.html", status_code=status_code, years=years,
                  picked=picked, preview=preview, errors=errors, entered=data,
                  leaving=leaving or set(), held_back=held_back or set(), today=today())


@get("/orders/rollover", guards=[EDIT])
async def rollover_page(request: Request) -> Response:
    return await _rollover_page(request, request.query_params, {})


@post("/orders/rollover", guards=[EDIT])
async def rollover(request: Request) -> Response:
    data = await request.form()
    lists, problems = forms.parse_filters(ROLLOVER_FORM, data)
    leaving, held_back = set(lists["leaving"] or ()), set(lists["held_back"] or ())
    if lists["step"] != "confirm":  # a preview: nothing is written, the numbers may wait
        return await _rollover_page(request, data, {}, 200, leaving, held_back)
    try:
        v = forms.parse(ROLLOVER_FORM, data)
    except Refused as exc:
        return await _rollover_page(request, data, forms.errors(exc), 400, leaving, held_back)
    try:
        old_year = _need(v, "old_year", "Из какого года: выберите год")
        new_year = _need(v, "new_year", "В какой год: выберите год")
        graduate = None
        if v["graduate_number"]:
            graduate = OrderHead(v["graduate_number"],
                                 _need(v, "graduate_dated", "Дата приказа о выпуске: укажите дату"))
        result = await actions.do_rollover(
            request.user.actor, old_year, new_year,
            OrderHead(v["promote_number"], v["promote_dated"]), graduate, leaving, held_back)
    except NotFound:
        return await _rollover_page(request, data, {"old_year": "Выберите учебные годы из списка"},
                                    400, leaving, held_back)
    except Refused as exc:
        return await _rollover_page(request, data, forms.errors(exc), 400, leaving, held_back)
    return redirect(f"/orders/{result['promote']}", request)


router = Router(path="/", route_handlers=[book_page, order_page, cancel_order, new_order_page,
                                           new_order, student_page, rollover_page, rollover])
