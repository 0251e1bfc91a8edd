"""«Member on this date» (R-ORG-3, R-ROLE-3): one SQL predicate, `school.queries.in_force`,
decides who is in a class, who teaches it and who works at the school on a given day; both
ends of a period count, an open end runs on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.accounts.queries import viewer_for_user
from service.people.queries import class_students
from service.school.queries import school_counts, visible_classes
from service.school.tables import Enrolment, TeachingLoad
from tests.factories import YEAR_START, tiny_school

pytestmark = pytest.mark.anyio
LEFT_ON = date(2026, 12, 25)


async def test_membership_counts_both_ends_of_its_period(db):
    s = await tiny_school()
    await Enrolment.update({Enrolment.ends_on: LEFT_ON}).where(
        Enrolment.student == s.people["pupil2"]).run()
    await Enrolment.update({Enrolment.starts_on: LEFT_ON + timedelta(days=1)}).where(
        Enrolment.student == s.people["pupil1"]).run()
    klruk = await viewer_for_user(s.users["klruk"])

    async def names(day: date) -> list[str]:
        return [p["last_name"] for p in await class_students(klruk, s.classes["5А"], day)]

    assert await names(YEAR_START) == ["Павлова"]
    assert await names(LEFT_ON) == ["Павлова"]
    assert await names(LEFT_ON + timedelta(days=1)) == ["Морозов"]
    assert (await school_counts(LEFT_ON))["students"] == 2
    assert (await school_counts(LEFT_ON + timedelta(days=1)))["students"] == 2


async def test_a_finished_teaching_load_stops_showing_the_class(db):
    s = await tiny_school()
    await TeachingLoad.update({TeachingLoad.ends_on: LEFT_ON}).where(
        TeachingLoad.teacher == s.people["uchitel"]).run()
    teacher = await viewer_for_user(s.users["uchitel"])
    assert [c["name"] for c in await visible_classes(teacher, LEFT_ON)] == ["5А"]
    assert await visible_classes(teacher, LEFT_ON + timedelta(days=1)) == []
