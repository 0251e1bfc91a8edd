"""What every response carries (issue 6, items 14–17): security headers, a request id and one
log line with the real status even for errors made before any route runs; no caching of
personal data; a readiness probe that tells the public nothing; cookies that no sibling host
can plant (R-SEC-1, R-SEC-2)."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

import pytest

from service import db as dbmod
from service.settings import set_settings
from tests.factories import PASSWORD, tiny_school
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio

SAME_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy",
                "x-request-id")


@contextmanager
def ezh_log(caplog, level=logging.INFO):
    """Records of the "ezh" logger (create_app() stops it propagating to the root logger)."""
    logger = logging.getLogger("ezh")
    logger.addHandler(caplog.handler)
    caplog.set_level(level, logger="ezh")
    try:
        yield caplog.records
    finally:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def secure_cookies(monkeypatch):
    """The appliance: reached over HTTPS through nginx, EZH_SECURE_COOKIES=true."""
    monkeypatch.setenv("EZH_SECURE_COOKIES", "true")
    set_settings(None)
    yield
    set_settings(None)  # reloaded from the environment once monkeypatch has restored it


def _cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header, lower case, to look at attributes)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header.lower()
    return found


# --- 14: every response, error or not, has the same headers and one log line ------------------


async def test_every_response_has_security_headers_and_one_log_line(db, caplog):
    """R-SEC-2: errors Litestar makes before any route runs (unknown address, wrong method,
    CSRF refusal, a too-large body) carry the same headers as pages, and each request leaves
    exactly one log line with the status the browser got."""
    async with client() as c:
        await c.get("/login")  # a CSRF cookie, so that the refusals below are about the token
        cases = [
            ("GET", "/login", {}, 200),
            ("GET", "/no-such-page", {}, 404),
            ("GET", "/logout", {}, 405),
            ("POST", "/login", {"data": {"login": "x", "password": "y"}}, 403),
            ("POST", "/login", {"content": b"a=" + b"x" * 11_000_000,
                                "headers": {"content-type": "application/x-www-form-urlencoded"}},
             413),
        ]
        with ezh_log(caplog) as records:
            for method, path, kwargs, status in cases:
                rid = uuid.uuid4().hex[:16]
                headers = {**kwargs.pop("headers", {}), "x-request-id": rid}
                r = await c.request(method, path, headers=headers, **kwargs)
                assert r.status_code == status, (method, path, r.text[:200])
                for name in SAME_HEADERS:
                    assert r.headers.get_list(name) and len(r.headers.get_list(name)) == 1, \
                        (path, status, name)
                assert r.headers["x-request-id"] == rid
                lines = [rec for rec in records if getattr(rec, "request_id", None) == rid]
                assert [(rec.path, rec.status) for rec in lines] == [(path, status)], (path, status)
        assert r.status_code == 413 and '<html lang="ru"' in r.text


# --- 15: personal data is not kept in browser or proxy caches -------------------------------


async def test_pages_with_personal_data_are_not_cached(db):
    """R-SEC-2: a class page and a pupil's card say Cache-Control: no-store, so a shared
    computer's cache or a proxy keeps no copy; static assets keep their caching."""
    s = await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        for path in (f"/classes/{s.classes['5А']}", f"/students/{s.people['pupil1']}", "/home"):
            r = await c.get(path)
            assert r.status_code == 200, path
            assert r.headers.get("cache-control") == "no-store", path
        css = await c.get("/static/css/ezh.css")
        assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


# --- 16: the readiness probe tells the public nothing ----------------------------------------


async def test_readyz_tells_the_public_nothing_and_the_log_everything(db, caplog, tmp_path):
    """/readyz is open to anyone: when the database is down it says only "not ready"; the
    address of the database and the driver's error go to the log."""
    if db.kind == "sqlite":
        where = str(tmp_path)  # a directory where the database file should be
        url = f"sqlite:///{where}"
    else:
        where = str(tmp_path / "no-postgres-here")
        url = f"postgresql://ezh@/ezh?host={where}"
    dbmod.use_database(url)
    async with client() as c:
        with ezh_log(caplog, logging.WARNING) as records:
            r = await c.get("/readyz")
    assert r.status_code == 503 and r.text == "not ready"
    assert where not in r.text
    details = [rec.getMessage() for rec in records if rec.levelno == logging.WARNING]
    assert any(where in message for message in details), details


# --- 17: cookies a sibling host cannot plant -------------------------------------------------


async def test_secure_cookies_carry_the_host_prefix(db, secure_cookies):
    """R-SEC-1: over HTTPS the session and CSRF cookies are __Host- cookies: Secure, Path=/,
    no Domain — a browser accepts them only from this very host."""
    await tiny_school()
    async with client() as c:
        c.base_url = "https://ezh.test"
        page = await c.get("/login")
        csrf = _cookies(page)["__Host-ezh_csrf"]
        login = await post_form(c, "/login", {"login": "klruk", "password": PASSWORD})
        assert login.status_code in (302, 303)
        session = _cookies(login)["__Host-ezh_session"]
        for cookie in (csrf, session):
            assert "; secure" in cookie and "; path=/" in cookie and "domain" not in cookie
        assert "httponly" in session
        home = await c.get("/home")
        assert home.status_code == 200 and "Смирнова" in home.text
        out = await c.post("/logout", data={"_csrf_token": csrf_from(home.text)})
        gone = _cookies(out)["__Host-ezh_session"]
        assert "; secure" in gone and ("max-age=0" in gone or "expires=thu, 01 jan 1970" in gone)


async def test_planted_csrf_cookie_is_refused(db, secure_cookies):
    """R-SEC-1: a sibling host (any.school.local) can set a cookie named ezh_csrf for the
    whole domain, with a token it made itself; the journal must not accept that pair."""
    await tiny_school()
    async with client() as attacker:
        attacker.base_url = "https://ezh.test"
        page = await attacker.get("/login")
        value = next(v for k, v in attacker.cookies.items() if k.endswith("ezh_csrf"))
        token = csrf_from(page.text)
    async with client() as victim:
        victim.base_url = "https://ezh.test"
        victim.cookies.set("ezh_csrf", value)
        r = await victim.post("/login", data={"login": "klruk", "password": PASSWORD,
                                              "_csrf_token": token})
        assert r.status_code == 403 and "Ничего не сохранено" in r.text
        assert not any(name.endswith("ezh_session") for name in _cookies(r))


async def test_plain_http_keeps_plain_cookie_names(db):
    """Without HTTPS a browser refuses __Host- cookies, so a demo on http:// keeps plain names."""
    await tiny_school()
    async with client() as c:
        page = await c.get("/login")
        assert "; secure" not in _cookies(page)["ezh_csrf"]
        login = await sign_in(c, "klruk", PASSWORD)
        assert "; secure" not in _cookies(login)["ezh_session"]
        assert (await c.get("/home")).status_code == 200
