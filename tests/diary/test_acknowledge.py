"""Parents acknowledge finals («Ознакомлен(а)», R-GRADE-6, 004 item 6, issue 10 item 2): only
once the period's finals are visible to families, refused in Russian before, audited, once per
parent however often (or however many at once) they press; the class teacher and the
administration see per pupil who has and who has not."""

from __future__ import annotations

import asyncio

import pytest

from service import db as dbmod
from service.accounts.viewer import Viewer
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.diary import actions
from service.diary.tables import FinalsAcknowledgement
from service.errors import NotFound, Refused
from service.journal import access
from tests.diary.factories import diary_school
from tests.factories import PASSWORD
from tests.routes import client, csrf_from, post_form, sign_in

pytestmark = pytest.mark.anyio


def parent(d, key: str = "roditel") -> Viewer:
    return Viewer(d.j.users.get(key, 1), key, d.people[key], key, ("parent",),
                  frozenset({"diary.own", "diary.acknowledge"}))


async def _acks() -> int:
    return await FinalsAcknowledgement.count().run()


async def _audit() -> int:
    return await AuditEvent.count().where(AuditEvent.action == "diary.finals_acknowledged").run()


async def test_a_parent_acknowledges_the_published_finals_once(db):
    """R-GRADE-6: the first quarter's finals are visible (its finals date has come): the
    parent presses «Ознакомлен(а)», the page shows it with the time; pressing again changes
    nothing; one audit row."""
    d = await diary_school()
    p1 = d.people["pupil1"]
    q1, q2 = d.j.periods[1], d.j.periods[2]
    path = f"/diary/{p1}/finals"
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        page = (await c.get(path)).text
        assert f'id="p{q1}"' in page and f'id="p{q2}"' not in page  # only published finals
        assert page.count(">Ознакомлен(а)</button>") == 1
        r = await post_form(c, path, {"period": str(q1)})
        assert r.status_code == 303 and r.headers["location"] == f"{path}#p{q1}"
        page = (await c.get(path)).text
        assert "Морозова Е. В.: ознакомлен(а)" in page and ">Ознакомлен(а)</button>" not in page
        again = await c.post(path, data={"period": str(q1), "_csrf_token": csrf_from(page)})
        assert again.status_code == 303
    assert await _acks() == 1 and await _audit() == 1
    row = await AuditEvent.select().where(AuditEvent.action == "diary.finals_acknowledged").first().run()
    assert row["object_id"] == str(p1) and "1 четверть" in row["new"]


async def test_before_publication_it_is_refused_and_changes_nothing(db):
    """R-GRADE-5, R-GRADE-6: the second quarter's finals are visible only from 27.12.2026:
    pressing before is refused with a Russian message saying from when; nothing is written."""
    d = await diary_school()
    p1, q2 = d.people["pupil1"], d.j.periods[2]
    with pytest.raises(Refused) as refused:
        await actions.do_acknowledge(parent(d), p1, q2, access.school_today())
    assert "ещё не опубликованы" in refused.value.message and "27.12.2026" in refused.value.message
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await post_form(c, f"/diary/{p1}/finals", {"period": str(q2)})
        assert r.status_code == 400 and "ещё не опубликованы" in r.text
        r = await post_form(c, f"/diary/{p1}/finals", {"period": "abc"})
        assert r.status_code == 400 and "Период" in r.text
    assert await _acks() == 0 and await _audit() == 0


async def test_only_a_parent_of_the_pupil_acknowledges(db):
    """R-SEC-3: another family's parent gets 404, the pupil and staff 403 (no right); an unknown
    period is 404; nothing is written."""
    d = await diary_school()
    p1, p2, q1 = d.people["pupil1"], d.people["pupil2"], d.j.periods[1]
    with pytest.raises(NotFound):
        await actions.do_acknowledge(parent(d), p2, q1, access.school_today())
    with pytest.raises(NotFound):
        await actions.do_acknowledge(parent(d), p1, 999999, access.school_today())
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        r = await post_form(c, f"/diary/{p2}/finals", {"period": str(q1)}, page=f"/diary/{p1}")
        assert r.status_code == 404
    for login in ("pupil1", "klruk"):
        async with client() as c:
            await sign_in(c, login, PASSWORD)
            r = await post_form(c, f"/diary/{p1}/finals", {"period": str(q1)}, page=f"/diary/{p1}")
            assert r.status_code == 403, login
    assert await _acks() == 0


async def test_class_teacher_and_administration_see_who_acknowledged(db):
    """R-GRADE-6: per pupil of the class, which parent acknowledged and when, and who has not;
    the class teacher sees their own class only (another class: 404), the administration
    (journal.view) every class; a parent may not open the page."""
    d = await diary_school()
    q1 = d.j.periods[1]
    await actions.do_acknowledge(parent(d), d.people["pupil1"], q1, access.school_today())
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        page = (await c.get("/acknowledgements")).text
        assert "5А, 1 четверть: ознакомились родители <strong>1</strong> из 2" in page
        assert "Морозов Артём Дмитриевич" in page and "Морозова Е. В.," in page
        assert "Павлова Софья Алексеевна" in page and 'badge no">нет' in page
        assert "6Б" not in page
        other = await c.get(f"/acknowledgements?class={d.j.classes['6Б']}")
        assert other.status_code == 404
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get(f"/acknowledgements?class={d.j.classes['6Б']}&period={q1}")
        assert page.status_code == 200 and "Соколов Максим Романович" in page.text
        assert (await c.get("/acknowledgements?class=abc")).status_code == 200
        assert (await c.get("/acknowledgements?period=999999")).status_code == 404
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get("/acknowledgements")).status_code == 403


async def test_two_acknowledgements_at_once_make_one_row(pg_db):
    """Two presses at the same moment (two tabs, a double tap) on PostgreSQL: one row, one
    audit row, no error page for either; then four at once on pooled connections, three times
    over: nothing more; the chain verifies."""
    d = await diary_school()
    p1, q1 = d.people["pupil1"], d.j.periods[1]
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        token = csrf_from((await c.get(f"/diary/{p1}")).text)
        posts = await asyncio.gather(*[c.post(f"/diary/{p1}/finals", data={"period": str(q1), "_csrf_token": token})
                                       for _ in range(2)])
        assert [r.status_code for r in posts] == [303, 303]
    assert await _acks() == 1 and await _audit() == 1
    await dbmod.start_pool(10)
    try:
        for _ in range(3):
            results = await asyncio.gather(*[actions.do_acknowledge(parent(d), p1, q1, access.school_today())
                                             for _ in range(4)])
            assert not any(r.new for r in results)
    finally:
        await dbmod.close_pool()
    assert await _acks() == 1 and await _audit() == 1
    assert (await verify_chain()).ok


async def test_four_first_acknowledgements_at_once_make_one_row(pg_db):
    d = await diary_school()
    p1, q1 = d.people["pupil1"], d.j.periods[1]
    await dbmod.start_pool(10)
    try:
        results = await asyncio.gather(*[actions.do_acknowledge(parent(d), p1, q1, access.school_today())
                                         for _ in range(4)])
    finally:
        await dbmod.close_pool()
    assert sum(r.new for r in results) == 1
    assert await _acks() == 1 and await _audit() == 1
