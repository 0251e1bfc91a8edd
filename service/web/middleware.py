"""What every response gets, whatever made it: a request id, the security headers, no caching
of anything but static assets, and one log line with its real status."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

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
    app.asgi_handler = RequestIdMiddleware(MaintenanceGate(app.asgi_handler))
    from service.web.render import jinja

    jinja().globals["site_notices"] = site_notices  # base.html's banners
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


# --- maintenance mode (service/ops/maintenance.py switches it) ---------------------------------

MAINTENANCE_FLAG = "maintenance.json"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Signing in and out stay open: reading needs a session, and a session row is bookkeeping, not
# the school's data (it is not what a restore of tonight's backup would lose).
ALWAYS_WRITABLE = ("/login", "/logout")
QUIET_PREFIXES = (STATIC_PREFIX, "/healthz", "/readyz", "/timetable/feed/")


def maintenance_flag(var_dir: Path | None = None) -> Path:
    return (var_dir or get_settings().paths.var_dir) / MAINTENANCE_FLAG


def set_maintenance(until: datetime, var_dir: Path | None = None) -> None:
    """Switch maintenance mode on until ``until``: a file every worker sees at its next write.
    Written aside and renamed, so a reader never sees half of it."""
    path = maintenance_flag(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}")
    aside.write_text(json.dumps({"until": until.astimezone(UTC).isoformat(), "pid": os.getpid()}))
    aside.chmod(0o644)
    os.replace(aside, path)


def clear_maintenance(var_dir: Path | None = None) -> None:
    maintenance_flag(var_dir).unlink(missing_ok=True)


def maintenance_until(var_dir: Path | None = None) -> datetime | None:
    """When the maintenance in progress ends, or None. A flag whose time has passed is ignored:
    a run killed without its cleanup must not keep the journal read-only in the morning."""
    try:
        until = datetime.fromisoformat(json.loads(maintenance_flag(var_dir).read_text())["until"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return until if until > datetime.now(UTC) else None


# Banners every page shows, from the domain that knows them (service/ops/routes.py registers
# the planned long maintenance): an async refresh run before a page, at most as often as the
# source decides (cached), and a cheap reader for the template. This layer names no domain.
NoticeSource = tuple[Callable[[], Awaitable[None]], Callable[[], list[dict]]]
NOTICE_SOURCES: list[NoticeSource] = []


def add_notice_source(refresh: Callable[[], Awaitable[None]],
                      read: Callable[[], list[dict]]) -> None:
    if (refresh, read) not in NOTICE_SOURCES:
        NOTICE_SOURCES.append((refresh, read))


_flag_read: list = [None, None]  # (path, inode, mtime, size) of the flag last read → its end


def _maintenance_until_cached() -> datetime | None:
    """``maintenance_until`` for every write and the banner of every page: the flag is read
    again only when the file changed (one ``stat``; the file is absent but for the maintenance
    window). ``set_maintenance`` renames a new file into place, so a new flag is always a new
    inode; a flag removed fails the ``stat``."""
    path = os.path.join(get_settings().paths.var_dir, MAINTENANCE_FLAG)
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_ino, st.st_mtime_ns, st.st_size)
    if _flag_read[0] != key:
        _flag_read[:] = [key, maintenance_until()]
    until = _flag_read[1]
    return until if until is not None and until > datetime.now(UTC) else None


def site_notices() -> list[dict]:
    """What every page announces: maintenance in progress, then the registered sources."""
    found = []
    if (until := _maintenance_until_cached()) is not None:
        found.append({"kind": "now", "until": until.astimezone(get_settings().tz)})
    for _, read in NOTICE_SOURCES:
        found += read()
    return found


class MaintenanceGate:
    """During maintenance, writes answer 503 with a Russian page and reads go on (R-OPS-3);
    the flag is checked only on unsafe requests (one ``stat``). Before other requests it
    lets the notice sources refresh their banners (each caches: no query on most pages)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if (scope.get("method") in UNSAFE_METHODS and not path.startswith(ALWAYS_WRITABLE)
                    and (until := _maintenance_until_cached()) is not None):
                await _maintenance_page(until, send)
                return
            if not path.startswith(QUIET_PREFIXES):
                for refresh, _ in NOTICE_SOURCES:
                    await refresh()
        await self.app(scope, receive, send)


async def _maintenance_page(until: datetime, send: Send) -> None:
    from service.web.render import render_text

    local = until.astimezone(get_settings().tz)
    body = render_text("ops/maintenance.html", None, until=local).encode()
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(max(60, int((until - datetime.now(UTC)).total_seconds()))).encode())]})
    await send({"type": "http.response.body", "body": body})
