"""The journal's own cookies: the session and Litestar's CSRF double-submit cookie."""

from __future__ import annotations

from litestar.datastructures import Cookie

from service.settings import get_settings

SESSION_COOKIE = "ezh_session"
CSRF_COOKIE = "ezh_csrf"


def _secure() -> bool:
    return get_settings().server.secure_cookies


def _name(base: str) -> str:
    # Over HTTPS both cookies are __Host- cookies: a browser takes them only with Secure, Path=/
    # and no Domain, from this very host, so a sibling host (any.school.local) cannot plant a
    # CSRF cookie with a token of its own. On plain http:// (a demo) a browser refuses the
    # prefix, so the names stay plain.
    return f"__Host-{base}" if _secure() else base


def session_cookie_name() -> str:
    return _name(SESSION_COOKIE)


def csrf_cookie_name() -> str:
    return _name(CSRF_COOKIE)


def session_cookie(token: str) -> Cookie:
    """The session cookie carrying ``token``; an empty token makes the cookie that deletes it
    (with the same attributes: a browser ignores a __Host- deletion without Secure)."""
    return Cookie(key=session_cookie_name(), value=token, httponly=True, samesite="lax",
                  path="/", secure=_secure(), max_age=None if token else 0)
