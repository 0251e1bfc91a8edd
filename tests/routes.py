"""Helpers for route tests: an in-process client of the real app, signing in through the
real login form (with its CSRF token)."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from service import domains
from service.app import create_app
from service.settings import get_settings
from service.web import configure_logging

# Building the app registers ~250 routes (about half a second); thousands of test clients
# share one app per set of settings and domains. A test that changes the settings (or plugs in a
# domain) gets an app of its own, built from them, as the service would be after a restart.
_apps: dict[str, object] = {}


def app(*, pooled: bool = False):
    key = repr((get_settings(), [d.name for d in domains.discover()], pooled))
    if key not in _apps:
        if len(_apps) > 16:
            _apps.clear()
        _apps[key] = create_app(database_pool=pooled)
    else:
        configure_logging()  # as create_app() does: a test may have replaced the handlers
    return _apps[key]


def client(*, pooled: bool = False) -> AsyncTestClient:
    """A client of the app. ``pooled``: the app keeps a connection pool, as in production, from
    entering the client to leaving it; its loop is not the test's, so the test itself must not
    query the database meanwhile (for the long runs of requests the fuzzing sends)."""
    c = AsyncTestClient(app=app(pooled=pooled), base_url="http://ezh.test")
    c.follow_redirects = False  # tests look at where a page sends the browser
    return c


def csrf_from(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


async def post_form(c: AsyncTestClient, path: str, data: dict, page: str | None = None):
    """Submit a form the way a browser does: open the page, take its token, post."""
    html = (await c.get(page or path)).text
    return await c.post(path, data={**data, "_csrf_token": csrf_from(html)})


async def sign_in(c: AsyncTestClient, login: str, password: str):
    response = await post_form(c, "/login", {"login": login, "password": password})
    assert response.status_code in (302, 303), response.text
    return response
