"""The audit and access log pages take their filters through the forms layer (issue 6 item 10,
R-SEC-1): far dates, NUL bytes and huge numbers get a Russian message next to the field, never
a 500, and never a list the user did not ask for."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, tiny_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio


async def test_far_dates_and_huge_numbers_are_named_in_russian(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await c.get("/admin/audit", params={"day_to": "9999-12-31", "day_from": "0001-01-01"})
        assert r.status_code == 200
        assert "По дату: дата с 01.01.1900 по 31.12.2199" in r.text
        assert "С даты: дата с 01.01.1900 по 31.12.2199" in r.text
        below_filters = r.text.split('role="search"')[1].split("</form>")[1]
        assert "accounts.login" not in below_filters and "<table" not in below_filters
        r = await c.get("/admin/audit", params={"day_from": "2026-12-01", "day_to": "2026-11-01"})
        assert "не раньше, чем «с даты»" in r.text
        r = await c.get("/admin/audit", params={"before": "100000000000000000000"})
        assert r.status_code == 200 and "Страница: " in r.text
        r = await c.get("/admin/audit", params={"actor": "admin"})
        below_filters = r.text.split('role="search"')[1].split("</form>")[1]
        assert "Вход в систему" in below_filters  # a good filter still finds the admin's login


async def test_nul_bytes_and_foreign_digits_in_the_access_log_search(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        r = await c.get("/admin/access-log", params={"viewer": "ad\x00min"})
        assert r.status_code == 200 and "Кто смотрел: недопустимый символ" in r.text
        r = await c.get("/admin/access-log", params={"person": "²"})
        assert r.status_code == 200 and "Номер карточки: ожидается целое число" in r.text
        r = await c.get("/admin/access-log", params={"person": "-2147483649"})
        assert "Номер карточки: число от 1 до 2147483647" in r.text
