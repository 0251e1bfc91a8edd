"""«Готовность школы» (issue 7; 003 list 1): the check-list counted from the data — an empty
school shows what is missing, the demo school what is done — in one query, for the deputy
head, the administrator and the secretary only."""

from __future__ import annotations

import pytest

from service.reports.readiness import readiness_items
from tests.factories import PASSWORD, demo_school, tiny_school
from tests.routes import client, sign_in

pytestmark = pytest.mark.anyio

EMPTY = dict.fromkeys(
    ("year", "staff", "teachers", "classes", "classes_without_teacher", "classes_without_load",
     "students", "students_with_birth_date", "students_with_parents", "students_with_consent",
     "parents", "periods", "periods_from", "periods_to", "holidays", "days_off", "study_groups",
     "groups_without_teacher", "orders", "staff_registered", "students_registered",
     "parents_registered", "classes_with_timetable", "timetable_cycle", "bell_schedules",
     "home_schooled", "home_schooled_with_timetable", "journals", "journals_with_plan"), 0)


def _states(items) -> dict[str, str]:
    return {item.number: item.state for item in items}


def test_an_empty_school_misses_everything_but_says_what_is_not_built_yet():
    states = _states(readiness_items(EMPTY | {"year": None, "periods_from": None,
                                              "periods_to": None}))
    assert states["3"] == "missing" and states["4"] == "missing" and states["8"] == "missing"
    assert states["9"] == "missing" and states["13"] == "missing" and states["16"] == "missing"


def test_half_done_items_are_partial():
    figures = EMPTY | {"year": 1, "periods": 4, "periods_from": 1, "periods_to": 9,
                       "holidays": 3, "days_off": 2, "classes": 10, "classes_without_load": 3}
    states = _states(readiness_items(figures))
    assert states["3"] == "partial"  # grades 10–11 have no periods
    assert states["4"] == "partial"
    figures |= {"periods_to": 11, "classes_without_load": 0, "journals": 40, "journals_with_plan": 30}
    states = _states(readiness_items(figures))
    assert states["3"] == "ok" and states["4"] == "ok" and states["16"] == "partial"  # 10 journals without КТП


async def test_the_demo_school_is_mostly_ready(db):
    await demo_school("M", 2026)
    async with client() as c:
        await sign_in(c, "zavuch", "demo-ezh-2026")
        page = await c.get("/readiness")
    assert page.status_code == 200
    row = page.text.split("Календарь учебного года")[1].split("</tr>")[0]
    assert "готово" in row and "учебных периодов 6 (классы 1–11)" in row
    row = page.text.split("Книга приказов: зачисление")[1].split("</tr>")[0]
    assert "готово" in row
    row = page.text.split("Выданы коды приглашения")[1].split("</tr>")[0]
    assert "не полностью" in row  # only the demo logins have accounts
    row = page.text.split("Внесены КТП")[1].split("</tr>")[0]
    assert "журналов с КТП:" in row and "в разработке" not in row


async def test_only_those_who_set_up_the_school_see_it(db):
    await tiny_school()
    async with client() as c:
        await sign_in(c, "klruk", PASSWORD)
        assert (await c.get("/readiness")).status_code == 403
    async with client() as c:
        await sign_in(c, "admin", PASSWORD)
        page = await c.get("/readiness")
        assert page.status_code == 200 and "не сделано" in page.text
