"""The general fuzz test signs in as the administrator, who may only read the order book; this
one throws the same absurd values at every field of every order-book page as the secretary,
who may write (R-SEC-1, R-ORG-3): nothing answers 5xx and nothing is written."""

from __future__ import annotations

import pytest

from service.accounts import actions
from service.audit.tables import AuditEvent
from tests import test_fuzz as fuzz
from tests.factories import PASSWORD
from tests.orders.helpers import order_school
from tests.routes import client, csrf_from

pytestmark = pytest.mark.anyio


async def test_absurd_values_on_order_pages_as_the_secretary(db):
    await order_school()
    routes = [r for r in fuzz.ROUTES if r[1].startswith("/orders")]
    assert len(routes) >= 10
    session = await actions.do_login("sekretar", PASSWORD, "127.0.0.1")
    before = await AuditEvent.count().run()
    problems = []
    async with client(pooled=True) as c:  # only requests inside: the app keeps its pool
        c.cookies.set("ezh_session", session)
        token = csrf_from((await c.get("/home")).text)
        for value in fuzz.NASTY:
            for method, path, params, query in routes:
                target = fuzz._fill(path, fuzz.PATH_VALUES[len(value) % len(fuzz.PATH_VALUES)]
                                    if params else "")
                # an address stays short (every form field of the app is sent at once)
                data = dict.fromkeys([*fuzz.FIELDS, *query], value[:40] if method == "GET" else value)
                r = await fuzz._request(c, method, target, data, token)
                if r.status_code >= 500:
                    problems.append((method, target, value[:30], r.status_code))
    assert problems == []
    assert await AuditEvent.count().run() == before
