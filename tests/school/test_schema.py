"""The school's tables as the later domains need them (R-ORG-1..3, R-JOURNAL-1): a teaching
load belongs to a class or to a group, orders cancel orders, memberships are dated."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from service.school.tables import (
    AcademicYear,
    SchoolOrder,
    StudyGroup,
    Subject,
    TeachingLoad,
)
from tests.factories import tiny_school

pytestmark = pytest.mark.anyio


async def test_a_load_can_be_for_a_cross_class_group(db):
    s = await tiny_school()
    year = (await AcademicYear.select(AcademicYear.id).first().run())["id"]
    subject = (await Subject.select(Subject.id).first().run())["id"]
    group = (await StudyGroup.insert(StudyGroup(
        year=year, name="Робототехника", kind="club", subject=subject,
        created_at=datetime.now(UTC))).returning(StudyGroup.id).run())[0]["id"]
    await TeachingLoad.insert(TeachingLoad(teacher=s.people["uchitel"], subject=subject,
                                           school_class=None, study_group=group,
                                           hours_per_week=2, starts_on=date(2026, 9, 1))).run()
    row = await TeachingLoad.select().where(TeachingLoad.study_group == group).first().run()
    assert row["school_class"] is None and row["hours_per_week"] == 2


async def test_an_order_refers_to_the_order_it_cancels(db):
    first = (await SchoolOrder.insert(SchoolOrder(
        number="12-у", dated=date(2026, 9, 1), kind="enrol", title="О зачислении",
        created_at=datetime.now(UTC))).returning(SchoolOrder.id).run())[0]["id"]
    await SchoolOrder.insert(SchoolOrder(number="13-у", dated=date(2026, 9, 2), kind="cancel",
                                         title="Об отмене приказа № 12-у", cancels=first,
                                         created_at=datetime.now(UTC))).run()
    row = await SchoolOrder.select(SchoolOrder.cancels.number).where(
        SchoolOrder.number == "13-у").first().run()
    assert row["cancels.number"] == "12-у"
