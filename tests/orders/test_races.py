"""Two orders at once never beat a rule (R-ORG-3), on PostgreSQL with real concurrent
connections: one student enrolled into two classes from the same date by two requests at once
ends up in one class; one year rolled over twice at once is rolled over once."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from service import db as dbmod
from service.accounts.actions import do_create_person
from service.audit.verify import verify_chain
from service.errors import Refused
from service.orders import actions
from service.orders.actions import OrderHead
from service.school.tables import SchoolClass, SchoolOrder
from tests.orders.helpers import SYSTEM, class_of, head, order_school

pytestmark = pytest.mark.anyio
OCT1 = date(2026, 10, 1)


async def _together(calls) -> list:
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Refused):
            raise result
    return results


async def test_two_enrolments_of_one_student_at_once(pg_db):
    s = await order_school()
    people = [s.people["novice"]]
    for n in range(3):
        people.append(await do_create_person(SYSTEM, "Гусев", f"Тимофей{n}"))
    await dbmod.start_pool(10)
    try:
        for n, person in enumerate(people):
            results = await _together([
                actions.do_enrol(SYSTEM, head(f"{n}-а"), [person], s.classes["5А"], OCT1),
                actions.do_enrol(SYSTEM, head(f"{n}-б"), [person], s.classes["6Б"], OCT1),
                actions.do_enrol(SYSTEM, head(f"{n}-в"), [person], s.classes["9А"], OCT1),
            ])
            assert sum(isinstance(r, int) for r in results) == 1, results
            assert all("одновременно" in r.message for r in results if isinstance(r, Refused))
    finally:
        await dbmod.close_pool()
    for person in people:
        assert len(await class_of(person, OCT1)) == 1
    assert await SchoolOrder.count().run() == len(people)
    assert (await verify_chain()).ok


async def test_one_year_rolled_over_once(pg_db):
    s = await order_school()
    await dbmod.start_pool(10)
    try:
        results = await _together([
            actions.do_rollover(SYSTEM, s.classes["year"], s.classes["next_year"],
                                OrderHead(f"{n}01", date(2027, 6, 20)),
                                OrderHead(f"{n}02", date(2027, 6, 20)))
            for n in range(3)])
    finally:
        await dbmod.close_pool()
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert await SchoolClass.count().where(SchoolClass.year == s.classes["next_year"]).run() == 3
    assert await class_of(s.people["pupil1"], date(2027, 9, 1)) != []
