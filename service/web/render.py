"""Rendering: templates, pages, PDFs, redirects, and the small helpers routes share."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Redirect
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from service.domains import home_cards_for, menu_for
from service.errors import NotFound, Refused
from service.settings import PROJECT_ROOT, get_settings
from service.text import plural

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")


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


def static_dir() -> Path:
    return STATIC_DIR


@lru_cache(maxsize=256)
def _menu_items(permissions: frozenset[str]) -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """The menu of a set of rights: (href, the item when current, when not, its other current
    prefixes) — built once per set of rights, not per page."""
    viewer = _Rights(permissions)
    items = []
    for item in menu_for(viewer):
        badge = (f'<span hx-get="{escape(item.badge)}" hx-trigger="load" hx-swap="outerHTML"></span>'
                 if item.badge else "")
        link = f'{escape(item.label)}{badge}</a></li>\n'
        items.append((item.href, f'      <li><a href="{escape(item.href)}" aria-current="page">{link}',
                      f'      <li><a href="{escape(item.href)}">{link}', item.also_current))
    return tuple(items)


class _Rights:
    """What ``menu_for`` asks of a viewer: its rights."""

    __slots__ = ("permissions",)

    def __init__(self, permissions: frozenset[str]) -> None:
        self.permissions = permissions

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def menu_html(viewer: Any, path: str) -> Markup:
    """The main menu's items for base.html: the entry of ``path`` (itself, below it, or one of
    its other prefixes) marked current. Every signed-in page shows it; the rights decide the
    items, so they are made once per set of rights (a Jinja loop here was ≈ a tenth of the
    journal grid page's template time)."""
    if viewer is None:
        return Markup("")
    out = []
    for href, current, other, also in _menu_items(viewer.permissions):
        out.append(current if path == href or path.startswith(href + "/") or path.startswith(also)
                   else other)
    return Markup("".join(out))


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
    env.filters["plural"] = plural  # {{ n | plural("строку", "строки", "строк") }}
    env.filters["datetime_ru"] = _datetime_ru
    env.globals["static"] = static_url
    env.globals["menu_html"] = menu_html  # the main menu, collected from the domains
    env.globals["home_cards_for"] = home_cards_for
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
