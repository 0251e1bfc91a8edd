"""What every page shares, by concern: ``render`` (templates, pages, PDFs, redirects),
``guards`` (signed in, rights), ``errors`` (Russian error pages), ``middleware`` (request ids,
security headers, caching, logs), ``cookies`` (the session and CSRF cookies). Routes import
from ``service.web``; the names below are the package's interface."""

from service.web.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_cookie_name,
    session_cookie,
    session_cookie_name,
)
from service.web.errors import EXCEPTION_HANDLERS, error_page
from service.web.guards import requires, signed_in
from service.web.middleware import (
    SECURITY_HEADERS,
    JsonFormatter,
    RequestIdMiddleware,
    around_everything,
    client_address,
    configure_logging,
    log,
    request_id_var,
)
from service.web.render import (
    MAX_ID,
    STATIC_DIR,
    TEMPLATES_DIR,
    existing_id,
    form_errors,
    jinja,
    page_context,
    redirect,
    render,
    render_pdf,
    render_text,
    site_url,
    static_dir,
    static_url,
    today,
)

__all__ = [
    "CSRF_COOKIE", "EXCEPTION_HANDLERS", "MAX_ID", "SECURITY_HEADERS", "SESSION_COOKIE",
    "STATIC_DIR", "TEMPLATES_DIR", "around_everything", "client_address", "configure_logging",
    "csrf_cookie_name", "error_page", "existing_id", "form_errors", "jinja", "JsonFormatter",
    "log", "page_context", "redirect", "render", "render_pdf", "render_text", "request_id_var",
    "RequestIdMiddleware", "requires", "session_cookie", "session_cookie_name", "signed_in",
    "site_url", "static_dir", "static_url", "today",
]
