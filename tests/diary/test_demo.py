"""The demo school's acknowledgements of finals (issue 10): part of the parents — not all —
have acknowledged finals that families see, never before they were visible; the demo parent
«roditel» has the latest such period left to press in the diary."""

from __future__ import annotations

import pytest

from service.demo import generate_demo_school
from service.journal import rules
from service.timetable.tables import Lesson
from tests.journal.factories import TODAY

pytestmark = pytest.mark.anyio


async def _rows(sql: str, *args) -> list[dict]:
    return await Lesson.raw(sql, *args).run()


async def test_part_of_the_parents_acknowledged_visible_finals(sqlite_db):
    """R-GRADE-6: some parents acknowledged, some did not; each acknowledgement is of a pupil
    with a final of that period, dated on or after the day the finals became visible; «roditel»
    has not yet acknowledged the latest visible period."""
    await generate_demo_school("S", 2026)
    acks = await _rows("SELECT a.period, a.student, a.parent, a.acknowledged_at, p.ends_on FROM "
                       "finals_acknowledgement a JOIN study_period p ON p.id = a.period")
    assert acks
    with_finals = {(r["period"], r["student"]) for r in await _rows(
        "SELECT DISTINCT period, student FROM final_grade WHERE kind = 'period'")}
    assert all((a["period"], a["student"]) in with_finals for a in acks)
    assert all(a["acknowledged_at"].date() >= rules.finals_from(a["ends_on"], 2) for a in acks)
    links = await _rows("SELECT DISTINCT l.parent, l.child, f.period FROM parent_link l "
                        "JOIN final_grade f ON f.student = l.child AND f.kind = 'period'")
    assert len(acks) < len(links)  # not everyone
    roditel = (await _rows("SELECT person FROM account WHERE login = {}", "roditel"))[0]["person"]
    latest = max(a["ends_on"] for a in acks)
    assert latest < TODAY
    assert not [a for a in acks if a["parent"] == roditel and a["ends_on"] == latest]
