"""Helpers for route tests: an in-process client of the real app, signing in through the
real login form (with its CSRF token)."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from service.app import create_app


def client() -> AsyncTestClient:
    c = AsyncTestClient(app=create_app(database_pool=False), base_url="http://ezh.test")
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
