"""Resolves the session cookie to the viewer (``request.user``) before guards run; on /api/, a
GET with ``Authorization: Bearer <key>`` acts as the key's account (read-only integrations)."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from service.accounts.queries import viewer_for_api_token, viewer_for_token
from service.web import client_address, session_cookie_name

_PUBLIC_PREFIXES = ("/static/", "/healthz", "/readyz", "/favicon.ico", "/timetable/feed/",
                    "/schema")


class SessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["user"] = None
            path = scope.get("path", "")
            if not path.startswith(_PUBLIC_PREFIXES):
                token = _cookie(scope, session_cookie_name())
                if token:
                    scope["user"] = await viewer_for_token(token, client_address(scope))
                elif path.startswith("/api/") and scope.get("method") in ("GET", "HEAD"):
                    # an integration's read-only key: never for writes, never outside /api/
                    key = _bearer(scope)
                    if key:
                        scope["user"] = await viewer_for_api_token(key, client_address(scope))
        await self.app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return v
    return None


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    return None
