"""The order book's pages (R-ORG-3, R-YEAR-1): the secretary records orders in the browser; a
teacher or a parent can neither see nor post them; a foreign id answers 404; a refused order
shows its reason next to the form and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.orders import actions
from service.school.tables import AcademicYear, SchoolOrder
from tests.factories import PASSWORD
from tests.orders.helpers import SYSTEM, class_of, head, order_school
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio


async def test_secretary_enrols_and_transfers_in_the_browser(db):
    s = await order_school()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        page = await c.get("/orders/new/enrol")
        assert page.status_code == 200 and "Лебедев Кирилл" in page.text
        r = await post_form(c, "/orders/new/enrol", {
            "number": "45-у", "dated": "2026-10-01", "to_class": str(s.classes["5А"]),
            "on_date": "2026-10-02", "students": str(s.people["novice"])})
        assert r.status_code == 303, r.text
        order_url = r.headers["location"]
        order = await c.get(order_url)
        assert "Приказ № 45-у" in order.text and "зачислен в 5А" in order.text
        assert await class_of(s.people["novice"], date(2026, 10, 2)) == [s.classes["5А"]]

        page = await c.get("/orders/new/transfer", params={"from_class": s.classes["5А"]})
        assert "Морозов Артём" in page.text
        r = await post_form(c, "/orders/new/transfer", {
            "number": "46-у", "dated": "2026-11-01", "to_class": str(s.classes["6Б"]),
            "on_date": "2026-11-01", "students": [str(s.people["pupil1"]), str(s.people["novice"])]})
        assert r.status_code == 303, r.text
        book = await c.get("/orders")
        assert "№ 46-у" in book.text and "№ 45-у" in book.text
        history = await c.get(f"/orders/students/{s.people['novice']}")
        assert "№ 45-у" in history.text and "№ 46-у" in history.text and "6Б" in history.text

        # cancel the transfer from its page; the book marks it
        r = await post_form(c, f"/orders/{r.headers['location'].rsplit('/', 1)[1]}/cancel",
                            {"number": "47-у", "dated": "2026-11-02"}, page=order_url)
        assert r.status_code == 303, r.text
        assert "отменён приказом № 47-у" in (await c.get("/orders")).text
        assert await class_of(s.people["pupil1"], date(2026, 11, 5)) == [s.classes["5А"]]


async def test_a_refused_order_says_why_and_writes_nothing(db):
    """Bad input from the issue, through the page: a student enrolled twice at once."""
    s = await order_school()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        before = (await SchoolOrder.count().run(), await AuditEvent.count().run())
        r = await post_form(c, "/orders/new/enrol", {
            "number": "45-у", "dated": "2026-10-01", "to_class": str(s.classes["6Б"]),
            "on_date": "2026-10-02", "students": str(s.people["pupil1"])})
        assert r.status_code == 400 and "в два класса одновременно" in r.text
        r = await post_form(c, "/orders/new/transfer", {
            "number": "45-у", "dated": "2026-10-01", "to_class": str(s.classes["6Б"]),
            "on_date": "2026-08-02", "students": str(s.people["pupil1"])})
        assert r.status_code == 400 and "вне 2026/2027 учебного года" in r.text
        r = await post_form(c, "/orders/new/withdraw", {
            "number": "", "dated": "2026-13-01", "on_date": "x", "students": "1"})
        assert r.status_code == 400 and "Номер приказа: заполните поле" in r.text
        r = await post_form(c, "/orders/new/enrol", {
            "number": "1", "dated": "2026-10-01", "to_class": "999999", "on_date": "2026-10-02",
            "students": str(s.people["novice"])})
        assert r.status_code == 400 and "не найдены" in r.text
        assert (await SchoolOrder.count().run(), await AuditEvent.count().run()) == before


@pytest.mark.parametrize("login", ["uchitel", "roditel", "klruk", "pupil1"])
async def test_teachers_parents_and_pupils_cannot_see_or_post_orders(db, login):
    s = await order_school()
    order = await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], s.classes["5А"],
                                   date(2026, 10, 1))
    async with client() as c:
        await sign_in(c, login, PASSWORD)
        token = csrf_from((await c.get("/home")).text)
        assert "/orders" not in (await c.get("/home")).text
        for path in ("/orders", f"/orders/{order}", f"/orders/students/{s.people['novice']}",
                     "/orders/new/enrol", "/orders/rollover"):
            assert (await c.get(path)).status_code == 403, path
        r = await c.post("/orders/new/enrol", data={
            "_csrf_token": token, "number": "2", "dated": "2026-10-01",
            "to_class": str(s.classes["6Б"]), "on_date": "2026-10-01",
            "students": str(s.people["pupil1"])})
        assert r.status_code == 403
        r = await c.post(f"/orders/{order}/cancel", data={
            "_csrf_token": token, "number": "3", "dated": "2026-10-01"})
        assert r.status_code == 403
    assert await SchoolOrder.count().run() == 1


async def test_the_administrator_sees_the_book_but_records_nothing(db):
    s = await order_school()
    order = await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], s.classes["5А"],
                                   date(2026, 10, 1))
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get(f"/orders/{order}")
        assert page.status_code == 200 and "Внести приказ об отмене" not in page.text
        assert (await c.get("/orders/new/enrol")).status_code == 403


async def test_foreign_ids_answer_404(db):
    s = await order_school()
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        for path in ("/orders/999999", "/orders/students/999999",
                     f"/orders/students/{s.people['roditel']}",  # a parent: no movement at all
                     "/orders/new/nonsense", "/orders/0"):
            assert (await c.get(path)).status_code == 404, path
        r = await post_form(c, "/orders/999999/cancel", {"number": "5", "dated": "2026-10-01"},
                            page="/orders")
        assert r.status_code == 404


async def test_rollover_preview_then_confirm(db):
    """R-ORG-3 item 7: the page shows what will happen, writes nothing until confirmed, then
    promotes; a second confirmation is refused."""
    s = await order_school()
    old, new = s.classes["year"], s.classes["next_year"]
    async with client() as c:
        await sign_in(c, "sekretar", PASSWORD)
        before = await AuditEvent.count().run()
        page = await c.get("/orders/rollover", params={"old_year": old, "new_year": new})
        assert page.status_code == 200 and "5А</strong> → 6А" in page.text
        r = await post_form(c, "/orders/rollover", {
            "old_year": str(old), "new_year": str(new), "held_back": str(s.people["pupil1"]),
            "step": "preview"}, page="/orders/rollover")
        assert r.status_code == 200 and "остаётся в 5А" in r.text
        assert await AuditEvent.count().run() == before
        data = {"old_year": str(old), "new_year": str(new), "promote_number": "101",
                "promote_dated": "2027-06-20", "graduate_number": "100",
                "graduate_dated": "2027-06-20", "step": "confirm"}
        r = await post_form(c, "/orders/rollover", data, page="/orders/rollover")
        assert r.status_code == 303, r.text
        assert await class_of(s.people["pupil1"], date(2027, 9, 1)) != []
        closed = await AcademicYear.select(AcademicYear.closed_at).where(
            AcademicYear.id == old).first().run()
        assert closed["closed_at"] is not None
        r = await post_form(c, "/orders/rollover", {**data, "promote_number": "102",
                                                    "graduate_number": "103"}, page="/orders/rollover")
        assert r.status_code == 400 and "уже закрыт" in r.text
