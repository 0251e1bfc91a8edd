"""Error pages in Russian, and the exception handlers that make them."""

from __future__ import annotations

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)

from service.errors import NotFound, Refused
from service.web.middleware import log, request_id_var
from service.web.render import redirect, render_text

_ERROR_TEXT = {
    400: ("Запрос не понят", "Сервер не смог разобрать запрос. Вернитесь назад и попробуйте ещё раз."),
    403: ("Нет доступа", "У вашей роли нет права открыть эту страницу. Если оно нужно для работы, "
                         "обратитесь к администратору школы."),
    404: ("Страница не найдена", "Такой страницы нет или она вам недоступна. Проверьте адрес "
                                 "или вернитесь на главную."),
    405: ("Так нельзя", "Этот адрес не принимает такой запрос."),
    413: ("Слишком большой файл", "Файл или форма больше допустимого размера."),
    500: ("Ошибка на сервере", "Что-то пошло не так. Ваши данные не изменены. Сообщите "
                               "администратору школы номер запроса."),
    503: ("Сервер занят", "Сервер временно недоступен. Повторите через минуту."),
}


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    title, text = _ERROR_TEXT.get(status, _ERROR_TEXT[500])
    try:
        body = render_text("errors/error.html", request, status=status, title=title,
                           text=detail or text, request_id=request_id_var.get())
    except Exception:  # noqa: BLE001 - the error page must not fail on a broken template
        log.exception("error page failed to render")
        body = f"<h1>{status} {title}</h1><p>{text}</p>"
    return Response(body, status_code=status, media_type=MediaType.HTML)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and request.url.path.startswith("/api/"):
        # a program, not a person: no login page, a plain 401 that says what to send
        return Response({"detail": "Нужен вход в журнал или ключ доступа: заголовок Authorization: Bearer <ключ>"},
                        status_code=401, headers={"WWW-Authenticate": 'Bearer realm="ezh"'})
    if isinstance(exc, NotAuthorizedException):
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            target += "?next=" + request.url.path
        return redirect(target, request)
    status = exc.status_code
    detail = None
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        detail = ("Форма устарела или открыта в другой вкладке (нет проверочного токена). "
                  "Обновите страницу и отправьте форму ещё раз. Ничего не сохранено.")
    return error_page(request, status, detail)


def handle_not_found(request: Request, _: Exception) -> Response:
    return error_page(request, 404)


def handle_refused(request: Request, exc: Refused) -> Response:
    return error_page(request, 400, exc.message)


def handle_server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_page(request, 500)


EXCEPTION_HANDLERS = {
    NotFound: handle_not_found,
    NotFoundException: handle_not_found,
    Refused: handle_refused,
    HTTPException: handle_http_exception,
    500: handle_server_error,
    Exception: handle_server_error,
}
