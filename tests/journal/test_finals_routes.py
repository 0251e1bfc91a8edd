"""Finals, periods and corrections in the browser (R-GRADE-2, R-GRADE-4, R-GRADE-5, 004 items
3–4, 6, R-SEC-3): what a teacher and a deputy head see and do, Russian refusals, who may not
(403 for a missing right, 404 for a foreign journal), a constant number of queries."""

from __future__ import annotations

from datetime import date

import pytest

from service.accounts.actions import do_create_user
from service.journal import cells
from service.journal.tables import Correction, FinalGrade, JournalSetting, PeriodClosing
from service.school.tables import Enrolment
from tests.factories import PASSWORD, SYSTEM
from tests.journal.factories import journal_school
from tests.journal.test_finals import teacher
from tests.routes import client, post_form, sign_in
from tests.test_query_counts import counting

pytestmark = pytest.mark.anyio


async def test_a_teacher_confirms_finals_on_the_page(db):
    """R-GRADE-2, R-GRADE-5: the sheet shows averages and suggestions; «6» is refused in
    Russian; a mark and «Подтвердить предложенные» are saved."""
    s = await journal_school()
    for day, typed in ((date(2026, 11, 18), "5"), (date(2026, 11, 20), "4")):
        await cells.do_save_cell(teacher(s), s.lessons[day], s.people["pupil1"], typed)
    await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 18)], s.people["pupil2"], "3")
    path = f"{s.math.path}/finals"
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get(path)
        assert page.status_code == 200
        assert "Подтвердить предложенные" in page.text and "ср. 4,50" in page.text
        assert "Морозов Артём" in page.text and "Соколов" not in page.text
        p1 = s.people["pupil1"]
        r = await post_form(c, path, {"student": str(p1), "kind": "period", "period": str(s.periods[2]),
                                      "mark": "6", "version": "0"}, page=path)
        assert r.status_code == 400 and "не отметка системы «Пятибалльная»" in r.text
        r = await post_form(c, path, {"student": str(p1), "kind": "period", "period": str(s.periods[2]),
                                      "mark": "5", "version": "0"}, page=path)
        assert r.status_code == 303
        r = await post_form(c, path + "/confirm", {"kind": "period", "period": str(s.periods[2])}, page=path)
        assert r.status_code == 303
    marks = {r["student"]: r["mark"] for r in await FinalGrade.select().run()}
    assert marks == {p1: "5", s.people["pupil2"]: "3"}


async def test_who_may_open_finals(db):
    """R-SEC-3: another journal's teacher gets 404, a parent 403, a bad address 404."""
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "other", PASSWORD)
        assert (await c.get(f"{s.math.path}/finals")).status_code == 404
        assert (await c.get(f"{s.english.path}/finals")).status_code == 200
        assert (await c.get("/journal/x1-s1/finals")).status_code == 404
    async with client() as c:
        await sign_in(c, "roditel", PASSWORD)
        assert (await c.get(f"{s.math.path}/finals")).status_code == 403
        assert (await c.get("/journal/finals")).status_code == 403
        assert (await c.get("/journal/corrections")).status_code == 403


async def test_the_sheet_costs_the_same_for_more_pupils(db, monkeypatch):
    """R-GRADE-5 speed: a constant number of queries whatever the number of pupils."""
    s = await journal_school()
    path = f"{s.math.path}/finals"

    async def cost() -> int:
        async with client() as c:
            await sign_in(c, "uchitel", PASSWORD)
            await c.get("/home")
            with counting(monkeypatch) as seen:
                assert (await c.get(path)).status_code == 200
            return len(seen)

    small = await cost()
    await Enrolment.insert(Enrolment(student=s.people["pupil3"], school_class=s.classes["5А"],
                                     starts_on=date(2026, 11, 1))).run()
    await cells.do_save_cell(teacher(s), s.lessons[date(2026, 11, 18)], s.people["pupil3"], "4")
    assert await cost() == small


async def test_the_deputy_closes_and_reopens_a_period(db):
    """004 item 6, R-GRADE-4: the overview lists overdue finals with the teacher; closing with
    missing finals is refused until «закрыть всё равно» with a reason; reopening needs a reason;
    a teacher's direct POST is 403."""
    s = await journal_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    q1 = s.periods[1]
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        page = await c.get("/journal/finals")
        assert page.status_code == 200
        assert "1 четверть" in page.text and "Прогноз виден с" in page.text
        assert "5А · Математика" in page.text  # the first quarter's finals are overdue
        r = await post_form(c, f"/journal/periods/{q1}/close", {"reason": ""}, page="/journal/finals")
        assert r.status_code == 400 and "Не выставлены итоговые отметки" in r.text
        r = await post_form(c, f"/journal/periods/{q1}/close", {"reason": "Итоговые по болезни позже",
                                                                 "force": "1"}, page="/journal/finals")
        assert r.status_code == 303
        r = await post_form(c, f"/journal/periods/{q1}/reopen", {"reason": ""}, page="/journal/finals")
        assert r.status_code == 400 and "Причина: заполните поле" in r.text
        assert (await PeriodClosing.select().first().run())["reopened_at"] is None
        r = await post_form(c, f"/journal/periods/{q1}/reopen", {"reason": "Жалоба родителей"},
                            page="/journal/finals")
        assert r.status_code == 303
        assert (await c.get("/journal/periods/999999999/close")).status_code in (404, 405)
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        mine = await c.get("/journal/finals")
        assert mine.status_code == 200 and "Мои просроченные итоговые" in mine.text
        assert "5А · Математика" in mine.text and "Закрыть период" not in mine.text
        r = await post_form(c, f"/journal/periods/{q1}/close", {"reason": "x", "force": "1"},
                            page="/journal/finals")
        assert r.status_code == 403


async def test_corrections_are_approved_on_the_page(db):
    """R-GRADE-4: the teacher's request shows in the deputy's list with old → new and the
    reason; approving applies it; the teacher sees it approved."""
    s = await journal_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    await JournalSetting.insert(JournalSetting(year=s.t.year, approval_required=True, plans_due=date(2026, 9, 10),
                                               updated_at=cells.access.now())).run()
    old = s.lessons[date(2026, 11, 6)]
    saved = await cells.do_save_cell(teacher(s), old, s.people["pupil1"], "4", reason="Не выставила вовремя")
    assert saved.state == "pending"
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        page = await c.get("/journal/corrections")
        assert "Не выставила вовремя" in page.text and "«пусто» → «4»" in page.text
        r = await post_form(c, f"/journal/corrections/{saved.correction}", {"decision": "approve", "note": "Да"},
                            page="/journal/corrections")
        assert r.status_code == 303
        r = await post_form(c, f"/journal/corrections/{saved.correction}", {"decision": "reject"},
                            page="/journal/corrections")
        assert r.status_code == 400 and "уже рассмотрено" in r.text
    assert (await Correction.select().first().run())["status"] == "approved"
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        page = await c.get("/journal/corrections")
        assert page.status_code == 200 and "утверждено" in page.text
        r = await post_form(c, f"/journal/corrections/{saved.correction}", {"decision": "approve"},
                            page="/journal/corrections")
        assert r.status_code == 403
