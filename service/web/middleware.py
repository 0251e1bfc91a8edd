"""What every response gets, whatever made it: a request id, the security headers, no caching
of anything but static assets, and one log line with its real status."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from datetime import datetime

from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.settings import get_settings

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("ezh")

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
# Pages carry personal data: no browser or proxy cache may keep a copy (a shared computer in
# the staff room). Static assets are the only responses that are the same for everyone.
NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/static/"


class RequestIdMiddleware:
    """Gives every request an id (or takes nginx's X-Request-ID), puts it into every log line
    and into the response headers, so a user's report can be matched with the log; adds the
    security headers and ``Cache-Control: no-store`` (unless the response set its own)."""

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
        path = scope.get("path", "")
        static = path.startswith(STATIC_PREFIX)
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", rid.encode()), *SECURITY_HEADERS]
                if not static and all(name.lower() != b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not static or status >= 400:  # an asset served is noise; a missing one is news
                viewer = scope.get("user")
                log.info("request", extra={
                    "request_id": rid, "method": scope.get("method"), "path": path, "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": viewer.login if viewer is not None else None})
            request_id_var.reset(token)


def around_everything(app: Litestar) -> Litestar:
    """Puts RequestIdMiddleware around the whole application, not around each route.

    Middleware given to Litestar (``middleware=[...]``) wraps only a matched route's handler,
    and sits outside the CSRF check: the router's own 404 and 405, a CSRF refusal and a
    too-large body are answered by the app-level exception handler, outside it. That handler
    wrapped around the router is ``app.asgi_handler``, where ``Litestar.__call__`` sends
    every HTTP request; wrapping it keeps ``app`` the Litestar application (lifespan, test
    client, uvicorn's factory)."""
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    return app


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
