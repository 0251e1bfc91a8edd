"""Fast (non-negotiable 6): a page costs a constant number of queries, whatever the size of
the class or the school — no N+1. Counted on the real engine for each request."""

from __future__ import annotations

import contextlib

import pytest

from service.accounts.tables import Account
from service.db import engine, use_database
from service.demo import DEMO_PASSWORD
from service.school.tables import SchoolClass
from tests.conftest import fresh_database
from tests.factories import PASSWORD, demo_school, tiny_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


@contextlib.contextmanager
def counting(monkeypatch):
    db = engine()
    seen: list[str] = []
    original = type(db).run_querystring

    async def counted(self, querystring, in_pool=True):
        seen.append(str(querystring)[:80])
        return await original(self, querystring, in_pool=in_pool)

    monkeypatch.setattr(type(db), "run_querystring", counted)
    yield seen


async def _page_queries(monkeypatch, login: str, password: str, path: str) -> int:
    async with client() as c:
        await sign_in(c, login, password)
        await c.get("/home")  # the session's sliding expiry settles first
        with counting(monkeypatch) as seen:
            response = await c.get(path)
            assert response.status_code == 200
        return len(seen)


async def test_class_page_and_home_cost_the_same_for_2_or_30_pupils(db, monkeypatch, request):
    small = await tiny_school()
    small_class = await _page_queries(monkeypatch, "klruk", PASSWORD, f"/classes/{small.classes['5А']}")
    small_home = await _page_queries(monkeypatch, "klruk", PASSWORD, "/home")

    use_database(fresh_database(db.kind, request).url)  # a second, empty database
    await demo_school("M", 3)
    klruk = await Account.select(Account.person).where(Account.login == "klruk").first().run()
    big = await SchoolClass.select(SchoolClass.id).where(
        SchoolClass.class_teacher == klruk["person"]).first().run()
    big_class = await _page_queries(monkeypatch, "klruk", DEMO_PASSWORD, f"/classes/{big['id']}")
    big_home = await _page_queries(monkeypatch, "klruk", DEMO_PASSWORD, "/home")

    assert 3 <= small_class == big_class <= 6, (small_class, big_class)
    assert 3 <= small_home == big_home <= 6, (small_home, big_home)
