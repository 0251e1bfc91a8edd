"""Bad input never gives a 500 (R-SEC-1, R-PLAT-2): absurd values — huge and negative numbers,
superscript and Arabic digits, NUL bytes, far and impossible dates, 20 000-character strings,
markup — thrown at every query parameter and form field of every route of the app, signed in
and not, on both engines. Nothing answers 5xx and nothing reaches the audit log.

The routes come from the app itself (the domains' declarations), and the field names from
every form in the templates plus every query parameter the handlers declare, so a new route
or a new field is covered without touching this file."""

from __future__ import annotations

import inspect
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute

from service.accounts import actions
from service.accounts.tables import Permission, Role, RolePermission
from service.app import create_app
from service.audit.tables import AuditEvent
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, csrf_from

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent

# Writes on purpose whatever is sent; its refusals are tested elsewhere.
SKIP = {("POST", "/logout")}

NASTY = [
    "", " ", "0", "-1", "-2147483649", "2147483648", "1e20", "100000000000000000000",
    str(2**63), str(-(2**63) - 1), "²", "٣", "１２", "\x00", "a\x00b", "\r\n", "9999-12-31",
    "0001-01-01", "2026-02-30", "2026-13-01", "x" * 20_000, "Ъ" * 300, "😀" * 50,
    "<script>alert(1)</script>", "' OR '1'='1", "%", "_", "\\", "../../etc/passwd", "\u202e",
    "NaN", "true", "on", "admin", "auto", "teacher", "students", "admin.roles",
]
# Path ids that exist in the tiny school (small positive numbers) would turn a request into
# a legitimate change; absurd ones must answer 404.
PATH_VALUES = ["0", "-1", "2147483648", str(2**63), "100000000000000000000", "999999", "²", "x"]


def _field_names() -> list[str]:
    names = set()
    for path in ROOT.joinpath("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'<(?:input|select|textarea)[^>]*\sname="([A-Za-z0-9_]+)"', text))
        names |= set(re.findall(r'\binput\(\s*"([A-Za-z0-9_]+)"', text))  # the form macro
    return sorted(names - {"_csrf_token"})


def _routes() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, path parameters, declared query parameters) of every route."""
    found = []
    for route in create_app(database_pool=False).routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/static"):
            continue
        params = list(route.path_parameters)
        for handler in route.route_handlers:
            query = [name for name in inspect.signature(handler.fn).parameters
                     if name not in ("request", "state", *params)]
            for method in sorted(handler.http_methods):
                if method in ("GET", "POST") and (method, route.path) not in SKIP:
                    found.append((method, route.path, params, query))
    return sorted(found)


FIELDS = _field_names()
ROUTES = _routes()


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}:]+(?::[a-z]+)?\}", value, path)


def _safe(value: str) -> str:
    """A value that cannot name a real object of the tiny school (small positive ids)."""
    text = value.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) < 10**6:
        return "-" + text
    return value


async def _request(c, method: str, path: str, data: dict[str, str], token: str):
    if method == "GET":  # an address is short (nginx refuses long ones before ezh sees them)
        # and httpx refuses a query over 64 KiB: with many fields, Cyrillic text (6 bytes a
        # letter once encoded) is cut shorter; ASCII keeps its 500 characters
        limit = 500
        while len(urlencode({k: v[:limit] for k, v in data.items()})) > 60_000:
            limit //= 2
        return await c.get(path, params={k: v[:limit] for k, v in data.items()})
    return await c.post(path, data={**data, "_csrf_token": token})


def test_routes_and_fields_were_found():
    paths = {p for _, p, _, _ in ROUTES}
    assert {"/login", "/admin/audit", "/classes/{class_id:int}", "/staff/invitations"} <= paths
    assert {"reason", "password", "login", "code", "day_to", "person"} <= set(FIELDS)


async def _every_route_with(value: str, c, token: str, routes) -> list[str]:
    problems = []
    for method, path, params, query in routes:
        target = _fill(path, PATH_VALUES[len(value) % len(PATH_VALUES)] if params else "")
        data = dict.fromkeys([*FIELDS, *query], value)
        r = await _request(c, method, target, data, token)
        if r.status_code >= 500:
            problems.append(f"{method} {target} {value[:40]!r} → {r.status_code}")
    return problems


def _sent_to_sign_in(r) -> bool:
    return r.status_code in (401, 403) or (
        r.status_code in (302, 303) and r.headers.get("location", "").startswith("/login"))


async def _open_to_anonymous(c, token: str, routes) -> list:
    """The routes that read a request without a session (sign-in, registration, verification
    and the like). The others are refused by their guard before anything sent is parsed, so the
    anonymous pass throws every value at the open ones only; each guarded route is still
    asked once, with the longest value."""
    open_ = []
    for route in routes:
        method, path, params, query = route
        target = _fill(path, PATH_VALUES[0] if params else "")
        r = await _request(c, method, target, dict.fromkeys([*FIELDS, *query], NASTY[20]), token)
        assert r.status_code < 500, f"{method} {target} → {r.status_code}"
        if not _sent_to_sign_in(r):
            open_.append(route)
    return open_


async def _admin_holds_every_right() -> None:
    """The fuzzing administrator passes every guard (the deputy's and the nurse's rights too),
    so that what answers is the page's own parsing, not the guard."""
    admin = (await Role.select(Role.id).where(Role.code == "admin").first().run())["id"]
    held = {r["permission"] for r in await RolePermission.select(RolePermission.permission)
            .where(RolePermission.role == admin).run()}
    await RolePermission.insert(*[RolePermission(role=admin, permission=p["id"])
                                  for p in await Permission.select(Permission.id).run()
                                  if p["id"] not in held]).run()


CHUNKS = 8  # the routes are split over several tests: each stays short, failures say where


@pytest.mark.parametrize("chunk", range(CHUNKS))
async def test_absurd_values_never_give_a_server_error(db, chunk):
    routes = ROUTES[chunk::CHUNKS]
    await tiny_school()
    await _admin_holds_every_right()
    session = await actions.do_login("admin", PASSWORD, "127.0.0.1")  # before the fuzzing
    before = await AuditEvent.count().run()  # throttles the test client's address
    problems = []
    async with client(pooled=True) as anonymous:
        token = csrf_from((await anonymous.get("/login")).text)
        public = await _open_to_anonymous(anonymous, token, routes)
        for value in NASTY:
            problems += await _every_route_with(value, anonymous, token, public)
    async with client(pooled=True) as admin:
        admin.cookies.set("ezh_session", session)
        token = csrf_from((await admin.get("/home")).text)
        for value in NASTY:
            problems += await _every_route_with(value, admin, token, routes)
        for path_value in PATH_VALUES:
            for method, path, params, _ in routes:
                if params:
                    r = await _request(admin, method, _fill(path, path_value), {}, token)
                    if r.status_code >= 500 or (method == "GET" and r.status_code != 404):
                        problems.append(f"{method} {_fill(path, path_value)} → {r.status_code}")
    assert problems == []
    assert await AuditEvent.count().run() == before  # nothing the fuzzing sent was written


values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.floats(allow_nan=True).map(str),
).map(_safe)


@pytest.fixture
async def signed_in_admin(db):
    await tiny_school()
    token = await actions.do_login("admin", PASSWORD, "127.0.0.1")
    return token


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(route=st.sampled_from(ROUTES), fields=st.dictionaries(
    st.sampled_from(FIELDS), values, max_size=8), path_value=st.sampled_from(PATH_VALUES))
async def test_random_forms_never_give_a_server_error(signed_in_admin, route, fields, path_value):
    method, path, params, query = route
    before = await AuditEvent.count().run()
    async with client() as c:
        c.cookies.set("ezh_session", signed_in_admin)
        token = csrf_from((await c.get("/home")).text)
        target = _fill(path, path_value) if params else path
        r = await _request(c, method, target, {**dict.fromkeys(query, ""), **fields}, token)
    assert r.status_code < 500, (method, target, fields)
    assert await AuditEvent.count().run() == before
