"""The web application: ``create_app()`` puts the domains' routers together."""

from __future__ import annotations

import gc

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router

from service import db, domains, health
from service.accounts.middleware import SessionMiddleware
from service.settings import get_settings
from service.web import (
    EXCEPTION_HANDLERS,
    around_everything,
    configure_logging,
    csrf_cookie_name,
    static_dir,
)


def serve_app() -> Litestar:
    """The application as a server process runs it (``ezh serve``, the systemd unit): once it has
    started, everything it holds so far — modules, routes, compiled signatures — is left out of
    the garbage collector's walks (``gc.freeze``). Those objects live as long as the process;
    walking them again in each full collection cost about 0.1 ms a request and, now and then, a
    pause of tens of milliseconds for every request in flight. Tests build many apps in one
    process and use ``create_app``, which freezes nothing."""
    return create_app(freeze=True)


def create_app(*, database_pool: bool = True, freeze: bool = False) -> Litestar:
    """The application. ``database_pool=False`` opens a connection per query instead: for an
    in-process test client, whose event loop is not the one the test's own queries run in."""
    settings = get_settings()
    configure_logging()

    async def start() -> None:
        if database_pool:
            await db.start_pool(settings.database.pool_size)
        if freeze:
            gc.collect()
            gc.freeze()

    async def stop() -> None:
        await db.close_pool()

    csrf = CSRFConfig(
        secret=_csrf_secret(),
        cookie_name=csrf_cookie_name(),  # __Host-ezh_csrf over HTTPS: no sibling host plants it
        cookie_secure=settings.server.secure_cookies,
        cookie_path="/",  # and no domain: both required by the __Host- prefix
        cookie_samesite="lax",
        header_name="x-csrftoken",
        exclude=["/static", "/healthz", "/readyz"],
    )
    app = Litestar(
        route_handlers=[
            # each domain declares its routes (service/*/domain.py); pages stay out of the
            # OpenAPI schema, which describes only the handlers that say include_in_schema=True
            Router(path="/", route_handlers=[*domains.routers(), health.healthz, health.readyz],
                   include_in_schema=False),
            create_static_files_router(path="/static", directories=[static_dir()],
                                       send_as_attachment=False, include_in_schema=False,
                                       cache_control=None),
        ],
        middleware=[DefineMiddleware(SessionMiddleware)],
        csrf_config=csrf,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=_openapi(),
        debug=False,
    )
    # Request ids, security headers, no-store and the log line wrap the whole app, so that
    # the router's 404/405 and CSRF refusals get them too (not just matched routes).
    return around_everything(app)


def _openapi() -> OpenAPIConfig:
    """The JSON API's schema at /schema/openapi.json and its page at /schema (no CDN: our own
    page, service/journal/api_docs.py); both public, neither holds data."""
    from service.journal.api_docs import ApiDocsPage

    return OpenAPIConfig(
        title="Электронный журнал: программный интерфейс",
        version="1.0",
        description=("Запись посещаемости и отметок в журнал для программ школы. Запросы идут от "
                     "имени вошедшего пользователя (cookie сессии) с заголовком x-csrftoken и "
                     "подчиняются тем же правилам, что и страницы журнала; отказ — с сообщением "
                     "по-русски, и ничего не записано."),
        path="/schema",
        render_plugins=[ApiDocsPage(), JsonRenderPlugin()],
    )


def _csrf_secret() -> str:
    """The CSRF secret, in the service's own data directory (outside the database). Not beside
    the installation key: the service never needs that directory, whose private key belongs to
    root on the appliance. A secret left there by an older version is carried over, so that
    forms open during the upgrade still submit."""
    import os
    import secrets

    settings = get_settings()
    path = settings.paths.var_dir / "csrf.secret"
    if path.exists():
        return path.read_text().strip()
    try:
        secret = (settings.key_dir / "csrf.secret").read_text().strip()
    except OSError:
        secret = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: workers start at once, and all must end up with
    # whichever secret was linked first.
    aside = path.with_name(f"csrf.secret.{os.getpid()}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret or secrets.token_hex(32))
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink()
    return path.read_text().strip()
