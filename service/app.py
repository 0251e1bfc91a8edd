"""The web application: ``create_app()`` puts the domains' routers together."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from service import db, health, portal
from service.accounts.middleware import SessionMiddleware
from service.accounts.routes import router as accounts_router
from service.audit.routes import router as audit_router
from service.people.routes import router as people_router
from service.settings import get_settings
from service.web import EXCEPTION_HANDLERS, RequestIdMiddleware, configure_logging, static_dir


def create_app(*, database_pool: bool = True) -> Litestar:
    """The application. ``database_pool=False`` opens a connection per query instead: for an
    in-process test client, whose event loop is not the one the test's own queries run in."""
    settings = get_settings()
    configure_logging()

    async def start() -> None:
        if database_pool:
            await db.start_pool(settings.database.pool_size)

    async def stop() -> None:
        await db.close_pool()

    csrf = CSRFConfig(
        secret=_csrf_secret(),
        cookie_name="ezh_csrf",
        cookie_secure=settings.server.secure_cookies,
        cookie_samesite="lax",
        header_name="x-csrftoken",
        exclude=["/static", "/healthz", "/readyz"],
    )
    return Litestar(
        route_handlers=[
            accounts_router, audit_router, people_router, portal.router,
            health.healthz, health.readyz,
            create_static_files_router(path="/static", directories=[static_dir()],
                                       send_as_attachment=False, include_in_schema=False,
                                       cache_control=None),
        ],
        middleware=[RequestIdMiddleware, DefineMiddleware(SessionMiddleware)],
        csrf_config=csrf,
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=None,
        debug=False,
    )


def _csrf_secret() -> str:
    """The CSRF secret lives beside the installation key, outside the database."""
    import secrets

    path = get_settings().key_dir / "csrf.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
