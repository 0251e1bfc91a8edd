"""What every page shares: templates, rendering, guards, error pages, request ids, logging."""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import sys
import time
import uuid
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import MediaType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from service.errors import NotFound, Refused
from service.settings import PROJECT_ROOT, get_settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
SESSION_COOKIE = "ezh_session"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("ezh")

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")


# --- templates -----------------------------------------------------------------------------


def _date_ru(value: date | datetime | None, with_year: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(get_settings().tz)
    text = f"{value.day} {MONTHS_GENITIVE[value.month - 1]}"
    return f"{text} {value.year}" if with_year else text


def _datetime_ru(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(get_settings().tz)
    return f"{local:%d.%m.%Y %H:%M}"


@cache
def _static_version(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """/static/… with a content hash, so browsers may cache assets for good."""
    return f"/static/{path}?v={_static_version(path)}"


@cache
def jinja() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["date_ru"] = _date_ru
    env.filters["datetime_ru"] = _datetime_ru
    env.globals["static"] = static_url
    return env


def page_context(request: Request | None) -> dict[str, Any]:
    settings = get_settings()
    viewer = request.scope.get("user") if request is not None else None
    token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "") if request else ""
    return {
        "viewer": viewer,
        "csrf_token": token,
        "school_name": settings.school.name,
        "request_path": request.url.path if request is not None else "",
        "is_htmx": bool(request is not None and request.headers.get("hx-request")),
    }


def render_text(name: str, request: Request | None = None, **context: Any) -> str:
    return jinja().get_template(name).render(**page_context(request), **context)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    return Response(render_text(name, request, **context), status_code=status_code,
                    media_type=MediaType.HTML)


def render_pdf(name: str, **context: Any) -> bytes:
    """A PDF from an HTML template under templates/pdf/ (WeasyPrint, fonts from the system)."""
    from weasyprint import HTML  # imported late: it takes ~0.5 s and most processes never print

    html = jinja().get_template(name).render(school_name=get_settings().school.name, **context)
    return HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()


def site_url(request: Request) -> str:
    """The journal's address as families should type it: EZH_PUBLIC_URL, or what this
    request came to (right on a LAN; behind nginx set EZH_PUBLIC_URL)."""
    return get_settings().server.public_url.rstrip("/") or str(request.base_url).rstrip("/")


def today() -> date:
    """The school's date now (in its time zone, not the server's)."""
    return datetime.now(get_settings().tz).date()


MAX_ID = 2**31 - 1  # ids are 32-bit in the database; a bigger number names nothing


def existing_id(value: int) -> int:
    """An id from an address: out of range is just another id that does not exist (404)."""
    if not 0 < value <= MAX_ID:
        raise NotFound()
    return value


def redirect(path: str, request: Request | None = None) -> Response:
    """A redirect that htmx follows as a whole-page navigation."""
    if request is not None and request.headers.get("hx-request"):
        return Response(b"", status_code=200, headers={"HX-Redirect": path})
    return Redirect(path, status_code=303)


def form_errors(exc: Refused) -> dict[str, str]:
    return {exc.field or "__all__": exc.message}


# --- guards --------------------------------------------------------------------------------


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


def requires(*permissions: str):
    """A guard: the viewer must hold at least one of ``permissions`` (rights are data)."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        viewer = connection.scope.get("user")
        if viewer is None:
            raise NotAuthorizedException()
        if not any(viewer.can(p) for p in permissions):
            raise PermissionDeniedException()

    guard.__name__ = "requires_" + "_or_".join(p.replace(".", "_") for p in permissions)
    return guard


# --- errors --------------------------------------------------------------------------------

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


# --- request ids and logs ------------------------------------------------------------------


# The browser itself enforces that pages load nothing from outside the school's server
# (152-ФЗ: no data leaves it) and cannot be framed by another site.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
     b"base-uri 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class RequestIdMiddleware:
    """Gives every request an id (or takes nginx's X-Request-ID), puts it into every log line
    and into the response headers, so a user's report can be matched with the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming[:64] if incoming.replace("-", "").isalnum() else uuid.uuid4().hex[:16]
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode()),
                                      *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            if not path.startswith("/static/"):
                viewer = scope.get("user")
                log.info("request", extra={
                    "request_id": rid, "method": scope.get("method"), "path": path, "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": viewer.login if viewer is not None else None})
            request_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "ms", "user"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging() -> None:
    settings = get_settings().log
    handler = logging.StreamHandler(sys.stderr)
    if settings.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ezh")
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    root.propagate = False
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def client_address(scope: Scope) -> str:
    if get_settings().server.behind_proxy:
        forwarded = dict(scope.get("headers", [])).get(b"x-forwarded-for")
        if forwarded:
            return forwarded.decode("latin-1").split(",")[-1].strip()[:64]
    client = scope.get("client")
    return client[0] if client else ""


def static_dir() -> Path:
    return STATIC_DIR
