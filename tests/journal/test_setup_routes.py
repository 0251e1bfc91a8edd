"""«Правила журнала» in the browser (R-GRADE-4, R-GRADE-5, R-GRADE-6, 004 items 3–4): the
deputy head changes the year's rules, systems, rules of use and kinds of work; a limit is
answered in Russian naming the field and nothing changes; without the right a direct POST is
403."""

from __future__ import annotations

import pytest

from service.accounts.actions import do_create_user
from service.journal import access
from service.journal.tables import GradingRule, GradingSystem, JournalSetting, WorkKind
from tests.factories import PASSWORD, SYSTEM
from tests.journal.factories import journal_school
from tests.routes import client, post_form, sign_in

pytestmark = pytest.mark.anyio
PAGE = "/journal/settings"


def _settings(year: int, **over) -> dict:
    return {"year": str(year), "edit_days": "5", "forecast_days": "14", "finals_days": "2",
            "grades_due_days": "3", "homework_due_hours": "12", "plans_due": "2026-09-10",
            "round_from": "0,5", "file_max_kb": "10240", "approval_required": "1", **over}


async def test_the_deputy_sets_the_journal_rules(db):
    s = await journal_school()
    await do_create_user(SYSTEM, "zavuch", PASSWORD, ["deputy"], None)
    async with client() as c:
        await sign_in(c, "zavuch", PASSWORD)
        page = await c.get(PAGE)
        assert page.status_code == 200
        assert "Системы оценивания" in page.text and "Пятибалльная" in page.text and "Контрольная работа" in page.text
        r = await post_form(c, PAGE, _settings(s.t.year, forecast_days="7"), page=PAGE)
        assert r.status_code == 400 and "не позднее чем за 14 дней" in r.text
        assert await JournalSetting.count().run() == 0
        r = await post_form(c, PAGE, _settings(s.t.year, edit_days="abc"), page=PAGE)
        assert r.status_code == 400 and "ожидается целое число" in r.text
        r = await post_form(c, PAGE, _settings(s.t.year), page=PAGE)
        assert r.status_code == 303
        got = await access.settings(s.t.year)
        assert (got.edit_days, got.approval_required) == (5, True)

        r = await post_form(c, f"{PAGE}/systems", {"year": str(s.t.year), "name": "Двенадцатибалльная",
                                                    "kind": "scale", "low": "1", "high": "12", "pass_from": "4"},
                            page=PAGE)
        assert r.status_code == 303
        sid = (await GradingSystem.select(GradingSystem.id).where(GradingSystem.name == "Двенадцатибалльная")
               .first().run())["id"]
        r = await post_form(c, f"{PAGE}/rules", {"year": str(s.t.year), "system": str(sid), "subject": "",
                                                  "grade_from": "9", "grade_to": "5"}, page=PAGE)
        assert r.status_code == 400 and "начало позже конца" in r.text
        r = await post_form(c, f"{PAGE}/rules", {"year": str(s.t.year), "system": str(sid), "subject": "",
                                                  "grade_from": "5", "grade_to": "5"}, page=PAGE)
        assert r.status_code == 303
        assert (await access.system_for(s.t.year, 5, s.math.subject, None)).name == "Двенадцатибалльная"
        rule = (await GradingRule.select().first().run())["id"]
        r = await post_form(c, f"{PAGE}/rules/{rule}/remove", {"year": str(s.t.year)}, page=PAGE)
        assert r.status_code == 303 and await GradingRule.count().run() == 0

        r = await post_form(c, f"{PAGE}/work-kinds", {"year": str(s.t.year), "name": "Зачёт", "short": "зч",
                                                       "weight": "0"}, page=PAGE)
        assert r.status_code == 400 and "Вес: от 0,1 до 10" in r.text
        r = await post_form(c, f"{PAGE}/work-kinds", {"year": str(s.t.year), "name": "Зачёт", "short": "зч",
                                                       "weight": "1,5"}, page=PAGE)
        assert r.status_code == 303 and await WorkKind.count().where(WorkKind.name == "Зачёт").run() == 1
        r = await post_form(c, f"{PAGE}/conversions", {"year": str(s.t.year), "source": str(sid),
                                                        "target": str(sid), "conversions": "1 12 5"}, page=PAGE)
        assert r.status_code == 400 and "не нужен" in r.text


async def test_without_the_right_the_rules_are_closed(db):
    s = await journal_school()
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)  # the administrator holds journal.settings too
        page = await c.get(PAGE)
        assert page.status_code == 200
    async with client() as c:
        await sign_in(c, "uchitel", PASSWORD)
        assert (await c.get(PAGE)).status_code == 403
        r = await post_form(c, PAGE, _settings(s.t.year), page="/home")  # a real token: refused by the right
        assert r.status_code == 403
        assert await JournalSetting.count().run() == 0
