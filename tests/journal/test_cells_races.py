"""Cells saved at the same moment on PostgreSQL, with real concurrent connections (R-SEC-3, issue
9 bad input «two teachers saving the same cell at once»): of two saves from the same ``was``
exactly one lands and the other sees the conflict; many saves of different cells all land and
the audit chain verifies."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest

from service import db as dbmod
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.errors import Refused
from service.journal import cells
from service.journal.tables import Grade
from service.school.tables import Enrolment
from tests.journal.factories import journal_school
from tests.journal.test_cells import teacher

pytestmark = pytest.mark.anyio


async def _together(calls) -> list:
    """Run the coroutines at once, each on its own pooled connection; refusals are results."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Refused):
            raise result
    return results


async def test_two_teachers_saving_one_cell_at_once_one_wins(pg_db):
    """Both teachers saw the cell empty and save at once, ten times over on ten cells: each time
    exactly one save lands, the other gets ``Conflict`` naming what the winner wrote, and the
    cell's history has one row per landed save — nothing silently overwritten."""
    s = await journal_school()
    first, second = teacher(s), teacher(s, "klruk")
    p1 = s.people["pupil1"]
    days = sorted(d for d in s.lessons if date(2026, 11, 18) <= d <= date(2026, 11, 25))
    await dbmod.start_pool(10)
    try:
        for day in days:
            lesson = s.lessons[day]
            results = await _together([cells.do_save_cell(first, lesson, p1, "5", was=""),
                                       cells.do_save_cell(second, lesson, p1, "3", was="")])
            saved = [r for r in results if isinstance(r, cells.Saved)]
            lost = [r for r in results if isinstance(r, cells.Conflict)]
            assert len(saved) == 1 and len(lost) == 1, results
            assert lost[0].current == saved[0].text
            marks = await Grade.select(Grade.mark).where(Grade.lesson == lesson).run()
            assert [m["mark"] for m in marks] == [saved[0].text]
            history = await AuditEvent.count().where(AuditEvent.object_id == f"{lesson}:{p1}").run()
            assert history == 1
    finally:
        await dbmod.close_pool()
    assert (await verify_chain()).ok


async def test_twenty_saves_of_different_cells_at_once_all_land(pg_db):
    """20 concurrent saves (10 pupils × 2 lessons) from two teachers: all saved, one audit row
    each, and the chain verifies."""
    s = await journal_school()
    pupils = [s.people["pupil1"], s.people["pupil2"]]
    from service.accounts.tables import Person

    for n in range(8):  # eight more pupils in 5А
        pid = (await Person.insert(Person(last_name="Новиков", first_name=f"Ученик{n}",
                                          created_at=cells.access.now())).returning(Person.id).run())[0]["id"]
        await Enrolment.insert(Enrolment(student=pid, school_class=s.classes["5А"],
                                         starts_on=date(2026, 9, 1))).run()
        pupils.append(pid)
    lessons = [s.lessons[date(2026, 11, 23)], s.lessons[date(2026, 11, 25)]]
    writers = [teacher(s), teacher(s, "klruk")]
    before = await AuditEvent.count().run()
    await dbmod.start_pool(20)
    try:
        results = await _together([cells.do_save_cell(writers[i % 2], lesson, p, str(2 + i % 4), was="")
                                   for i, (lesson, p) in enumerate((lesson, p) for lesson in lessons for p in pupils)])
    finally:
        await dbmod.close_pool()
    assert all(isinstance(r, cells.Saved) and r.state == "saved" for r in results), results
    assert await Grade.count().run() == 20
    assert await AuditEvent.count().run() == before + 20
    result = await verify_chain()
    assert result.ok


async def test_a_lessons_attendance_and_its_cells_saved_at_once_all_land(pg_db):
    """R-ATT-1 at a lesson break: the teacher saves the whole lesson's attendance while the
    grid saves that lesson's cells, again and again, on real concurrent connections. The list
    takes every pupil's cell before its audit rows, so no save waits for the chain while holding
    a cell the other needs (a deadlock PostgreSQL would break by failing one): every save lands,
    each changed cell has its history row, and the chain verifies."""
    s = await journal_school()
    pupils = [s.people["pupil1"], s.people["pupil2"]]
    from service.accounts.tables import Person

    for n in range(6):
        pid = (await Person.insert(Person(last_name="Орлов", first_name=f"Ученик{n}",
                                          created_at=cells.access.now())).returning(Person.id).run())[0]["id"]
        await Enrolment.insert(Enrolment(student=pid, school_class=s.classes["5А"],
                                         starts_on=date(2026, 9, 1))).run()
        pupils.append(pid)
    lesson = s.lessons[date(2026, 11, 23)]
    writer, leader = teacher(s), teacher(s, "klruk")
    before = await AuditEvent.count().run()
    await dbmod.start_pool(20)
    try:
        for round_ in range(4):
            absent = pupils[round_ % len(pupils)]
            results = await _together([
                cells.do_save_attendance(writer, lesson, {p: ("absent" if p == absent else None) for p in pupils}),
                *(cells.do_save_cell(leader, lesson, p, str(2 + (round_ + i) % 4)) for i, p in enumerate(pupils))])
            assert not [r for r in results if isinstance(r, BaseException)], results
    finally:
        await dbmod.close_pool()
    assert await AuditEvent.count().run() > before
    for p in pupils:  # whichever save came last, the cell's history ends with what it holds
        now = cells.text_of(*await cells.current(lesson, p))
        history = await AuditEvent.select(AuditEvent.new).where(AuditEvent.object_id == f"{lesson}:{p}").order_by(
            AuditEvent.seq).run()
        assert history and json.loads(history[-1]["new"])["text"] == now, (p, now, history[-1])
    assert (await verify_chain()).ok
