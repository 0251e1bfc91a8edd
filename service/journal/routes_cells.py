"""Saving journal cells over HTTP (R-ATT-1, R-GRADE-1, R-GRADE-3, R-GRADE-4, R-SEC-3): the
grid's background saves (``POST /journal/cell``, a form, answered in JSON), a cell's grades and
history as an htmx fragment, a grade's kind of work and comment, and the JSON API under
``/journal/api/`` that the OpenAPI schema describes. Thin: parse → ``cells``/``grades`` →
answer; every rule is the action's.

Answers of a save, whichever way it comes: 200 ``{"state", "text", "correction"}``; 409
``{"error", "current"}`` (someone changed the cell); 422 ``{"error", "need"}`` (a locked lesson
needs a reason or approval); 400 ``{"error", "field"}`` (bad input); 404 ``{"error"}`` (a
lesson the viewer does not write or that does not exist)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from service import forms
from service.errors import NotFound, Refused
from service.journal import access, cell_queries, cells, grades, rules
from service.web import error_page, redirect, render, signed_in

NOT_FOUND = "Не найдено"
ID = Annotated[int, msgspec.Meta(ge=1, le=forms.ID_MAX)]

CELL_FORM = {
    "lesson": forms.Int("Урок", min=1),
    "student": forms.Int("Ученик", min=1),
    "value": forms.Text("Запись в клетке", rules.CELL_MAX),
    "was": forms.Text("Что было в клетке", rules.CELL_MAX),
    "reason": forms.Text("Причина исправления", cells.REASON_MAX),
    "paper": forms.Flag("Перенос из бумажного журнала"),
}
GRADE_FORM = {
    "work_kind": forms.Int("Вид работы", min=1),
    "comment": grades.COMMENT,
    "reason": forms.Text("Причина исправления", cells.REASON_MAX),
}


# --- the JSON shapes (also the OpenAPI schema's) ---------------------------------------------


class CellSave(msgspec.Struct):
    """Что записать в клетку журнала: ученик на уроке."""

    lesson: Annotated[int, msgspec.Meta(ge=1, le=forms.ID_MAX, description="Номер (id) урока")]
    student: Annotated[int, msgspec.Meta(ge=1, le=forms.ID_MAX, description="Номер (id) ученика")]
    value: Annotated[str, msgspec.Meta(max_length=rules.CELL_MAX, description=(
        "Запись, как её набирают в клетке: буквы посещаемости (н, б, у, п, оп) и отметки системы "
        "журнала через пробел; пусто — присутствовал, без отметок"))] = ""
    was: Annotated[str | None, msgspec.Meta(description=(
        "Что было в клетке, когда её начали править (текст клетки); при расхождении — 409. "
        "Не указано — не проверять"))] = None
    reason: Annotated[str, msgspec.Meta(max_length=cells.REASON_MAX, description=(
        "Причина исправления закрытого урока"))] = ""
    from_paper: Annotated[bool, msgspec.Meta(description=(
        "Запись перенесена из бумажного журнала, который вели, пока электронный был недоступен: "
        "так и отмечается в истории клетки; причина по умолчанию — перенос с бумаги"))] = False


class CellAnswer(msgspec.Struct):
    """Клетка сохранена (или менять было нечего, или исправление ждёт утверждения)."""

    state: Annotated[Literal["saved", "same", "pending"], msgspec.Meta(description=(
        "saved — записано; same — в клетке уже это; pending — исправление ждёт утверждения"))]
    text: Annotated[str, msgspec.Meta(description="Что теперь показывает клетка")]
    correction: Annotated[int | None, msgspec.Meta(description="Номер исправления, ждущего утверждения")] = None


AttendanceKind = Literal["absent", "ill", "excused", "unexcused", "late"]


class AttendanceSave(msgspec.Struct):
    """Посещаемость урока целиком: ученик → вид отсутствия (null — присутствовал)."""

    lesson: Annotated[int, msgspec.Meta(ge=1, le=forms.ID_MAX, description="Номер (id) урока")]
    marks: Annotated[dict[ID, AttendanceKind | None], msgspec.Meta(max_length=200, description=(
        "absent — н, ill — б (по болезни), excused — у (уважительная), unexcused — п, late — оп; "
        "отметки учеников остаются"))]
    reason: Annotated[str, msgspec.Meta(max_length=cells.REASON_MAX)] = ""
    from_paper: Annotated[bool, msgspec.Meta(description="Перенесено из бумажного журнала")] = False


class AttendanceAnswer(msgspec.Struct):
    """Посещаемость сохранена: что теперь показывает клетка каждого ученика."""

    cells: dict[int, CellAnswer]


class ErrorAnswer(msgspec.Struct):
    """Отказ: сообщение по-русски и поле, к которому оно относится."""

    error: str
    field: str | None = None


class ConflictAnswer(msgspec.Struct):
    """Клетку уже изменили после того, как её увидели: что в ней сейчас."""

    error: str
    current: str


class NeedAnswer(msgspec.Struct):
    """Урок закрыт для свободного исправления: нужна причина (reason) или утверждение (approval)."""

    error: str
    need: Literal["reason", "approval"]


ERROR_SPECS = {
    400: ResponseSpec(data_container=ErrorAnswer, generate_examples=False, description="Неверные данные; ничего не записано"),
    404: ResponseSpec(data_container=ErrorAnswer, generate_examples=False, description="Урока нет или он вам недоступен"),
    409: ResponseSpec(data_container=ConflictAnswer, generate_examples=False, description="Клетку уже изменили; ничего не записано"),
    422: ResponseSpec(data_container=NeedAnswer, generate_examples=False, description="Нужна причина исправления или утверждение"),
}


def _json(status: int, body: Any) -> Response:
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json")


def _saved(saved: cells.Saved) -> CellAnswer:
    return CellAnswer(state=saved.state, text=saved.text, correction=saved.correction)  # type: ignore[arg-type]


def _refusal(exc: Exception) -> Response:
    """The JSON answer of a refusal (the API's and the grid's)."""
    if isinstance(exc, cells.Conflict):
        return _json(409, ConflictAnswer(error=exc.message, current=exc.current))
    if isinstance(exc, cells.NeedReason):
        return _json(422, NeedAnswer(error=exc.message, need=exc.need))  # type: ignore[arg-type]
    if isinstance(exc, Refused):
        return _json(400, ErrorAnswer(error=exc.message, field=exc.field or "value"))
    return _json(404, ErrorAnswer(error=NOT_FOUND))


def _api_validation(_: Request, exc: ClientException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    key = next((e.get("key") for e in extra if isinstance(e, dict) and e.get("key")), None)
    message = (f"Неверное значение поля «{key}»: проверьте тип и длину" if key
               else "Запрос не понят: ожидается объект JSON с полями, описанными в схеме API")
    status = exc.status_code if 400 <= exc.status_code < 500 and exc.status_code != 422 else 400
    return _json(status, ErrorAnswer(error=message, field=key))


def _api_signed_out(_: Request, __: Exception) -> Response:
    return _json(401, ErrorAnswer(error="Войдите в журнал: запрос без действующего входа"))


def _api_denied(_: Request, exc: PermissionDeniedException) -> Response:
    if "CSRF" in str(exc.detail):
        return _json(403, ErrorAnswer(error="Нет проверочного токена (заголовок x-csrftoken): обновите "
                                            "страницу и повторите. Ничего не сохранено."))
    return _json(403, ErrorAnswer(error="Нет доступа"))


API_ERRORS: dict = {
    ValidationException: _api_validation,
    ClientException: _api_validation,
    NotAuthorizedException: _api_signed_out,
    PermissionDeniedException: _api_denied,
    NotFound: lambda _, __: _json(404, ErrorAnswer(error=NOT_FOUND)),
}


def _wants_json(request: Request) -> bool:
    """The grid's script asks for JSON; a browser posting the form without it asks for HTML."""
    accept = request.headers.get("accept", "")
    return bool(request.headers.get("hx-request")) or "application/json" in accept or "text/html" not in accept


async def _save_cell(request: Request, lesson: int, student: int, value: str, was: str | None,
                     reason: str, from_paper: bool = False) -> Response:
    try:
        saved = await cells.do_save_cell(request.user, lesson, student, value, was=was, reason=reason,
                                         from_paper=from_paper)
    except (Refused, NotFound) as exc:
        return _refusal(exc)
    return _json(200, _saved(saved))


# --- the grid's save --------------------------------------------------------------------------


@post("/cell", guards=[signed_in], include_in_schema=False, exception_handlers=API_ERRORS)
async def save_cell(request: Request) -> Response:
    """A cell from the grid's script (form fields, CSRF header), answered in JSON."""
    data = await request.form()
    try:
        values = forms.parse(CELL_FORM, data)
        for name in ("lesson", "student"):
            if values[name] is None:
                raise Refused(f"{CELL_FORM[name].label}: заполните поле", field=name)
    except Refused as exc:
        response = _refusal(exc)
    else:
        was = values["was"] if "was" in data else None
        response = await _save_cell(request, values["lesson"], values["student"], values["value"], was,
                                    values["reason"], values["paper"])
    if _wants_json(request):
        return response
    return await _without_script(request, response, values if response.status_code == 200 else None)


async def _without_script(request: Request, response: Response, values: dict | None) -> Response:
    """A browser without the script: back to the journal after a save, a page with the message
    after a refusal."""
    body = msgspec.json.decode(response.content) if isinstance(response.content, bytes) else {}
    if values is not None:
        try:
            ref = access.ref_of_lesson(await access.lesson(values["lesson"]))
        except NotFound:
            ref = None
        return redirect(ref.path if ref else "/journal", request)
    return error_page(request, response.status_code, body.get("error"))


# --- a cell's grades and history --------------------------------------------------------------


async def _fragment(request: Request, lesson: int, student: int, status: int = 200, **extra: Any) -> Response:
    data = await cell_queries.fragment(request.user, lesson, student)
    return render(request, "journal/_cell_history.html", status_code=status,
                  **{"message": "", "done": "", **data, **extra})


@get("/cell/{lesson:int}/{student:int}", guards=[signed_in], include_in_schema=False)
async def cell_history(request: Request, lesson: FromPath[int], student: FromPath[int]) -> Response:
    return await _fragment(request, lesson, student)


@post("/grade/{grade_id:int}", guards=[signed_in], include_in_schema=False)
async def change_grade(request: Request, grade_id: FromPath[int]) -> Response:
    """A grade's kind of work and comment (htmx: answers the refreshed fragment)."""
    grade = await grades.grade_row(grade_id) if 0 < grade_id <= forms.ID_MAX else None
    if grade is None:
        raise NotFound()
    try:
        values = forms.parse(GRADE_FORM, await request.form())
        if values["work_kind"] is None:
            raise Refused("Вид работы: выберите вид из списка", field="work_kind")
        done = await grades.do_change_grade(request.user, grade_id, values["work_kind"], values["comment"],
                                            reason=values["reason"])
    except Refused as exc:
        status = 200 if request.headers.get("hx-request") else 400
        return await _fragment(request, grade["lesson"], grade["student"], status, message=exc.message)
    text = {"saved": "Сохранено", "same": "Ничего не изменилось",
            "pending": f"Исправление № {done.correction} отправлено на утверждение"}[done.state]
    return await _fragment(request, grade["lesson"], grade["student"], done=text)


# --- the JSON API -----------------------------------------------------------------------------


@post("/api/cells", guards=[signed_in], include_in_schema=True, exception_handlers=API_ERRORS,
      tags=["Журнал"], summary="Записать клетку журнала", responses=ERROR_SPECS, status_code=200, response_description="Сохранено",
      operation_id="saveCell", description=(
          "Посещаемость и отметки одного ученика на одном уроке, как их набирают в клетке сетки. "
          "Те же правила, что в журнале: урок ведёт вошедший, год открыт, урок прошёл, ученик был "
          "в классе или группе в этот день, отметки — из системы журнала, после срока — с причиной. "
          "Нужны вход (cookie сессии) и заголовок x-csrftoken."))
async def api_save_cell(request: Request, data: JSONBody[CellSave]) -> Response[CellAnswer]:
    try:
        value = forms.value(CELL_FORM["value"], data.value, "value")
        was = None if data.was is None else forms.value(CELL_FORM["was"], data.was, "was")
    except Refused as exc:
        return _refusal(exc)
    return await _save_cell(request, data.lesson, data.student, value, was, data.reason, data.from_paper)


@post("/api/attendance", guards=[signed_in], include_in_schema=True, exception_handlers=API_ERRORS,
      tags=["Журнал"], summary="Отметить посещаемость урока", responses=ERROR_SPECS, status_code=200, response_description="Сохранено",
      operation_id="saveAttendance", description=(
          "Посещаемость всех перечисленных учеников урока в одной транзакции: отказ по одному "
          "ученику не сохраняет никого. Отметки учеников не меняются."))
async def api_save_attendance(request: Request, data: JSONBody[AttendanceSave]) -> Response[AttendanceAnswer]:
    try:
        done = await cells.do_save_attendance(request.user, data.lesson, dict(data.marks), reason=data.reason,
                                              from_paper=data.from_paper)
    except (Refused, NotFound) as exc:
        return _refusal(exc)
    return _json(200, AttendanceAnswer(cells={s: _saved(v) for s, v in done.items()}))


HANDLERS: list = [save_cell, cell_history, change_grade, api_save_cell, api_save_attendance]
