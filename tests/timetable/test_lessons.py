"""Dated lessons made from the weekly slots (issue item 6; R-TT-2, R-LESSON-1): on school days
only, week A and B apart; a changed slot changes the lessons from a date on and keeps their ids
(calendar feeds update the same event); a lesson holding journal records is never moved,
changed or deleted — the edit is refused naming it, and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.db import atomic
from service.errors import Refused
from service.school.rules import is_school_day
from service.school.tables import AcademicYear, CalendarDay
from service.timetable import lessons, rules
from service.timetable.tables import Lesson, Slot
from tests.factories import SYSTEM
from tests.timetable.factories import timetable_school

pytestmark = pytest.mark.anyio
FROM = date(2026, 11, 23)


async def _slot(t, weekday: int, number: int, week: int = 0, teacher: str = "uchitel", room: str = "12") -> int:
    return (await Slot.insert(Slot(timetable=t.version, weekday=weekday, number=number, week=week,
                                   school_class=t.school.classes["5А"], subject=t.subjects["Математика"],
                                   teacher=t.school.people[teacher], room=t.rooms[room]))
            .returning(Slot.id).run())[0]["id"]


async def _sync(t, **kw) -> lessons.Sync:
    async with atomic():
        return await lessons.sync_lessons(SYSTEM, t.version, kw.pop("from_date", FROM), **kw)


async def _lessons(**where) -> list[dict]:
    query = Lesson.select().order_by(Lesson.on_date)
    for column, value in where.items():
        query = query.where(getattr(Lesson, column) == value)
    return await query.run()


async def test_a_slot_becomes_lessons_on_its_school_days_in_its_week(db):
    t = await timetable_school()
    monday_a = await _slot(t, 1, 2, week=1)
    done = await _sync(t)
    made = await _lessons(slot=monday_a)
    assert done.inserted == len(made) > 10
    year = await AcademicYear.select().first().run()
    calendar = [rules.Day(**{k: r[k] for k in ("kind", "name", "grade_from", "grade_to", "starts_on", "ends_on")})
                for r in await CalendarDay.select().run()] if await CalendarDay.count().run() else []
    for lesson in made:
        assert lesson["on_date"] >= FROM and lesson["on_date"].isoweekday() == 1
        assert rules.week_type(lesson["on_date"], 2, date(2026, 9, 1)) == 1
        assert is_school_day(lesson["on_date"], 5, 5, year["starts_on"], year["ends_on"], calendar)
        assert (lesson["number"], lesson["teacher"], lesson["taught_by"]) == (2, t.school.people["uchitel"],
                                                                              t.school.people["uchitel"])
    audit = await AuditEvent.select().where(AuditEvent.action == "timetable.lessons_made").run()
    assert len(audit) == 1
    # nothing to do the second time: nothing written, no audit row
    assert not await _sync(t)
    assert await AuditEvent.count().where(AuditEvent.action == "timetable.lessons_made").run() == 1


async def test_a_changed_slot_updates_the_same_lessons_from_the_date_on(db):
    t = await timetable_school()
    slot = await _slot(t, 2, 3)
    await _sync(t, from_date=date(2026, 11, 2))
    before = {r["id"]: r for r in await _lessons(slot=slot)}
    await Slot.update({Slot.room: t.rooms["14"], Slot.teacher: t.school.people["klruk"]}).where(Slot.id == slot).run()
    done = await _sync(t, slot_ids=[slot])
    after = {r["id"]: r for r in await _lessons(slot=slot)}
    assert set(after) == set(before), "lesson ids stay: calendars update the same events"
    assert done.updated == sum(1 for r in after.values() if r["on_date"] >= FROM) > 0
    for lesson in after.values():
        if lesson["on_date"] >= FROM:
            assert (lesson["room"], lesson["taught_by"], lesson["revision"]) == (t.rooms["14"], t.school.people["klruk"], 1)
        else:  # the past is history
            assert (lesson["room"], lesson["revision"]) == (t.rooms["12"], 0)


async def test_a_change_for_a_date_survives_a_slot_edit(db):
    t = await timetable_school()
    slot = await _slot(t, 3, 1)
    await _sync(t)
    first = (await _lessons(slot=slot))[0]
    await Lesson.update({Lesson.taught_by: t.school.people["other"], Lesson.room: t.rooms["Спортзал"],
                         Lesson.room_changed: True}).where(Lesson.id == first["id"]).run()
    await Slot.update({Slot.teacher: t.school.people["klruk"], Slot.room: t.rooms["14"]}).where(Slot.id == slot).run()
    await _sync(t, slot_ids=[slot])
    kept = (await _lessons(id=first["id"]))[0]
    assert kept["teacher"] == t.school.people["klruk"]  # the plan changed
    assert kept["taught_by"] == t.school.people["other"]  # the substitute for that date stays
    assert kept["room"] == t.rooms["Спортзал"]


async def test_an_edit_touching_a_lesson_with_records_is_refused_and_writes_nothing(db):
    t = await timetable_school()
    slot = await _slot(t, 1, 1)
    await _sync(t)
    held = (await _lessons(slot=slot))[0]
    await Lesson.update({Lesson.has_records: True}).where(Lesson.id == held["id"]).run()
    rows_before = await _lessons()
    audit_before = await AuditEvent.count().run()
    await Slot.update({Slot.number: 4}).where(Slot.id == slot).run()
    with pytest.raises(Refused) as refused:
        await _sync(t, slot_ids=[slot])
    assert f"{held['on_date']:%d.%m.%Y}, 1-й урок" in refused.value.message
    assert "5А, Математика" in refused.value.message
    assert await _lessons() == rows_before and await AuditEvent.count().run() == audit_before


async def test_removing_a_slot_removes_its_future_lessons_and_keeps_the_past(db):
    t = await timetable_school()
    slot = await _slot(t, 4, 2)
    await _sync(t, from_date=date(2026, 11, 2))
    async with atomic():
        done = await lessons.sync_lessons(SYSTEM, t.version, FROM, slot_ids=[], removing=[slot])
        await lessons.detach_slot(slot)
        await Slot.delete().where(Slot.id == slot).run()
    left = await _lessons()
    assert done.deleted > 0 and left and all(r["on_date"] < FROM and r["slot"] is None for r in left)


async def test_a_moved_lesson_is_found_by_its_original_date(db):
    t = await timetable_school()
    slot = await _slot(t, 5, 2)
    await _sync(t)
    lesson = (await _lessons(slot=slot))[0]
    await Lesson.update({Lesson.on_date: lesson["on_date"].replace(day=lesson["on_date"].day - 1),
                         Lesson.number: 6, Lesson.moved_from: lesson["on_date"],
                         Lesson.moved_from_number: 2}).where(Lesson.id == lesson["id"]).run()
    assert not await _sync(t), "the moved lesson is the slot's lesson of its original date"


async def test_a_slot_edit_racing_a_substitution_keeps_the_substitute(pg_db):
    """A change for a date commits while a slot edit is syncing the same lesson (real concurrent
    connections on PostgreSQL): the sync waits for it and keeps the substitute it wrote."""
    import asyncio

    from service import db as dbmod

    t = await timetable_school()
    slot = await _slot(t, 1, 2)
    await _sync(t)
    lesson = (await _lessons(slot=slot))[0]
    substitute, new_teacher = t.school.people["other"], t.school.people["klruk"]
    substituted = asyncio.Event()

    async def substitution():
        async with atomic():
            await Lesson.update({Lesson.taught_by: substitute}).where(Lesson.id == lesson["id"]).run()
            substituted.set()
            await asyncio.sleep(0.5)  # the row stays locked while the slot edit starts

    async def slot_edit():
        await substituted.wait()
        async with atomic():
            await Slot.update({Slot.teacher: new_teacher}).where(Slot.id == slot).run()
            await lessons.sync_lessons(SYSTEM, t.version, FROM, slot_ids=[slot])

    await dbmod.start_pool(4)
    try:
        await asyncio.gather(substitution(), slot_edit())
    finally:
        await dbmod.close_pool()
    row = (await _lessons(id=lesson["id"]))[0]
    assert (row["teacher"], row["taught_by"]) == (new_teacher, substitute)
