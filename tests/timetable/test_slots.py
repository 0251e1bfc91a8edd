"""The weekly slots of a timetable version through their actions (R-TT-2, R-YEAR-2, issue items
2, 5 and 6), on SQLite and PostgreSQL: what is written, its audit row, the dated lessons that
follow — and that every refusal (two places at once, a day or lesson number the class does not
have, a week the version does not have) writes nothing at all: no slot, no lesson, no audit."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime

import pytest

from service import db as dbmod
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.school.tables import AcademicYear, SchoolClass, StaffMember, StudyGroup
from service.timetable import slots
from service.timetable.tables import HomeSchooling, Lesson, Slot, Timetable
from tests.factories import SYSTEM
from tests.timetable.factories import timetable_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 23)  # a Monday of week B
LEFT = date(2026, 8, 31)


async def _counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count().run() for t in (Slot, Lesson, AuditEvent)}


@contextlib.asynccontextmanager
async def refused(match: str):
    """The action must refuse with ``match`` in its message and change nothing."""
    before = await _counts()
    with pytest.raises(Refused, match=match) as caught:
        yield caught
    assert await _counts() == before


async def school():
    """The timetable school with its teachers on the staff, one who left before the year, and
    two subgroups of 5А."""
    t = await timetable_school()
    people = t.school.people
    await StaffMember.insert(*[
        StaffMember(person=people[k], post="учитель", starts_on=date(2020, 9, 1))
        for k in ("uchitel", "klruk", "other")
    ], StaffMember(person=people["admin"], post="учитель физики", starts_on=date(2015, 9, 1),
                   ends_on=LEFT)).run()
    now = datetime.now(UTC)
    t.groups = {}
    for name in ("5А англ. 1 группа", "5А англ. 2 группа"):
        t.groups[name[-8:]] = (await StudyGroup.insert(StudyGroup(
            year=t.year, name=name, kind="subgroup", school_class=t.school.classes["5А"],
            created_at=now)).returning(StudyGroup.id).run())[0]["id"]
    return t


async def add(t, weekday=1, number=2, week=0, teacher="uchitel", room="12", cls="5А", *,
              group=None, subject="Математика", student=None, version=None, today=TODAY) -> int:
    return await slots.do_add_slot(
        SYSTEM, version or t.version, weekday, number, week, t.subjects[subject],
        t.school.people[teacher], t.rooms[room] if room else None,
        school_class=t.school.classes[cls] if cls and not group and not student else None,
        study_group=t.groups[group] if group else None,
        student=t.school.people[student] if student else None, today=today)


async def test_a_slot_is_written_audited_and_makes_lessons_from_today(db):
    """R-TT-2: a Monday slot gives Monday lessons from today on, none in the past."""
    t = await school()
    slot_id = await add(t)
    row = await Slot.select().where(Slot.id == slot_id).first().run()
    assert (row["weekday"], row["number"], row["week"], row["teacher"]) == (1, 2, 0, t.school.people["uchitel"])
    made = await Lesson.select().where(Lesson.slot == slot_id).order_by(Lesson.on_date).run()
    assert made and made[0]["on_date"] == TODAY
    assert all(m["on_date"].isoweekday() == 1 and m["number"] == 2 for m in made)
    audit = await AuditEvent.select().where(AuditEvent.action == "timetable.slot_added").run()
    assert len(audit) == 1 and audit[0]["object_id"] == str(slot_id)


async def test_a_teacher_a_room_a_class_in_two_places_are_refused_naming_both(db):
    """Issue item 5: the message names the new lesson and the one already there."""
    t = await school()
    await add(t)
    async with refused("учитель уже ведёт урок") as caught:
        await add(t, cls="6Б", room="14")
    message = str(caught.value)
    assert "5А, Математика, Попова М. С., каб. 12, понедельник, 2-й урок, каждую неделю" in message
    assert "6Б, Математика, Попова М. С., каб. 14, понедельник, 2-й урок" in message
    async with refused("кабинет уже занят"):
        await add(t, cls="6Б", teacher="other", room="12")
    async with refused("у класса уже есть урок"):
        await add(t, teacher="klruk", room="14")
    async with refused("у класса уже есть урок"):  # a whole-class lesson and a subgroup's
        await add(t, teacher="klruk", room="14", group="1 группа")
    async with refused("учитель уже ведёт урок"):  # «every week» meets week A
        await add(t, cls="6Б", room="14", week=1)
    await add(t, number=3, teacher="klruk", room=None, week=2)  # no room: no room clash
    await add(t, number=3, teacher="other", room=None, cls="6Б", week=1)


async def test_two_subgroups_of_a_class_run_in_parallel_weeks_a_and_b_too(db):
    """Issue item 2: two groups of a class can have parallel lessons; week A and week B of one
    teacher at the same time do not meet."""
    t = await school()
    await add(t, group="1 группа", subject="Русский язык")
    await add(t, group="2 группа", teacher="klruk", room="14")
    async with refused("у класса уже есть урок"):
        await add(t, teacher="other", room="Спортзал")
    async with refused("у группы уже есть урок"):
        await add(t, group="1 группа", teacher="other", room="Спортзал")
    await add(t, number=4, week=1)
    await add(t, number=4, week=2, cls="6Б")
    assert await Slot.count().run() == 4


async def test_days_numbers_and_weeks_the_class_or_version_does_not_have_are_refused(db):
    """R-YEAR-2: a five-day class has no Saturday; a lesson in a period with no bells is refused
    naming the weekday and number; week B exists only in a two-week version."""
    t = await school()
    async with refused("пять дней в неделю: уроков в субботу"):
        await add(t, weekday=6)
    await SchoolClass.update({SchoolClass.week_days: 6}).where(SchoolClass.name == "6Б").run()
    async with refused("На субботу нет расписания звонков"):
        await add(t, weekday=6, cls="6Б")
    async with refused(r"В среду по расписанию звонков нет урока № 8 \(8-й урок\)"):
        await add(t, weekday=3, number=8)
    async with refused("День недели"):
        await add(t, weekday=7)
    one = (await Timetable.insert(Timetable(year=t.year, name="Новое", starts_on=date(2027, 1, 11),
                                            cycle=1, created_at=datetime.now(UTC)))
           .returning(Timetable.id).run())[0]["id"]
    async with refused("расписание на одну неделю"):
        await add(t, week=2, version=one)
    await add(t, version=one)


async def test_who_and_by_whom_must_fit_the_version(db):
    """A teacher off the staff, a class of another year, no class at all, a student without
    home schooling: refused; a home-schooled student gets an individual lesson."""
    t = await school()
    async with refused("не в штате школы"):
        await add(t, teacher="admin")
    other_year = (await AcademicYear.insert(AcademicYear(name="2027/2028", starts_on=date(2027, 9, 1),
                                                         ends_on=date(2028, 5, 31)))
                  .returning(AcademicYear.id).run())[0]["id"]
    foreign = (await SchoolClass.insert(SchoolClass(year=other_year, grade=5, letter="А", name="5А",
                                                    created_at=datetime.now(UTC)))
               .returning(SchoolClass.id).run())[0]["id"]
    async with refused("Класс не из учебного года 2026/2027"):
        await slots.do_add_slot(SYSTEM, t.version, 1, 2, 0, t.subjects["Математика"],
                                t.school.people["uchitel"], school_class=foreign, today=TODAY)
    async with refused("для класса, для группы или для одного ученика"):
        await slots.do_add_slot(SYSTEM, t.version, 1, 2, 0, t.subjects["Математика"],
                                t.school.people["uchitel"], today=TODAY)
    async with refused("только при надомном или семейном обучении"):
        await add(t, student="pupil1")
    await HomeSchooling.insert(HomeSchooling(student=t.school.people["pupil1"], kind="home",
                                             starts_on=date(2026, 11, 1), order_ref="12-у",
                                             created_at=datetime.now(UTC))).run()
    await add(t, student="pupil1", weekday=2)
    with pytest.raises(NotFound):
        await slots.do_add_slot(SYSTEM, 999_999, 1, 2, 0, t.subjects["Математика"],
                                t.school.people["uchitel"], school_class=t.school.classes["5А"])


async def test_a_closed_year_is_read_only(db):
    t = await school()
    slot_id = await add(t)
    await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC)}).where(AcademicYear.id == t.year).run()
    async with refused("закрыт"):
        await add(t, number=3)
    async with refused("закрыт"):
        await slots.do_remove_slot(SYSTEM, slot_id, today=TODAY)


async def test_changing_a_slot_updates_its_future_lessons_in_place(db):
    """Issue item 6: the same lessons (same ids) get the new teacher and room; lessons before
    today stay as they were."""
    t = await school()
    slot_id = await add(t, today=date(2026, 11, 9))
    before = {r["id"]: r for r in await Lesson.select().where(Lesson.slot == slot_id).run()}
    await slots.do_change_slot(SYSTEM, slot_id, 1, 2, 0, t.subjects["Математика"],
                               t.school.people["klruk"], t.rooms["14"],
                               school_class=t.school.classes["5А"], today=TODAY)
    after = {r["id"]: r for r in await Lesson.select().where(Lesson.slot == slot_id).run()}
    assert after.keys() == before.keys()
    for lesson_id, lesson in after.items():
        if lesson["on_date"] < TODAY:
            assert lesson["teacher"] == t.school.people["uchitel"]
        else:
            assert (lesson["teacher"], lesson["room"]) == (t.school.people["klruk"], t.rooms["14"])
            assert lesson["revision"] == before[lesson_id]["revision"] + 1
    audit = await AuditEvent.select().where(AuditEvent.action == "timetable.slot_changed").run()
    assert len(audit) == 1 and '"teacher"' in audit[0]["old"]


async def test_a_lesson_with_journal_records_blocks_changing_and_removing_its_slot(db):
    """Issue item 6 and «bad input»: the edit is refused with the list of affected lessons."""
    t = await school()
    slot_id = await add(t)
    await Lesson.update({Lesson.has_records: True}).where(
        (Lesson.slot == slot_id) & (Lesson.on_date == date(2026, 11, 30))).run()
    async with refused("5А, Математика, 30.11.2026, 2-й урок"):
        await slots.do_change_slot(SYSTEM, slot_id, 2, 2, 0, t.subjects["Математика"],
                                   t.school.people["uchitel"], t.rooms["12"],
                                   school_class=t.school.classes["5А"], today=TODAY)
    async with refused("уже есть отметки"):
        await slots.do_remove_slot(SYSTEM, slot_id, today=TODAY)
    assert (await Slot.select().where(Slot.id == slot_id).first().run())["weekday"] == 1


async def test_removing_a_slot_keeps_past_lessons_as_history(db):
    t = await school()
    slot_id = await add(t, today=date(2026, 11, 9))
    await slots.do_remove_slot(SYSTEM, slot_id, today=TODAY)
    assert not await Slot.exists().where(Slot.id == slot_id).run()
    left = await Lesson.select().run()
    assert [r["on_date"] for r in left] == [date(2026, 11, 9), date(2026, 11, 16)]
    assert all(r["slot"] is None for r in left)
    assert await AuditEvent.count().where(AuditEvent.action == "timetable.slot_removed").run() == 1


async def test_copying_week_a_to_week_b_replaces_b_and_keeps_equal_slots(db):
    """Issue item 2 «Copy a week»: B becomes A for the class (its subgroups too); a slot already
    the same keeps its lessons; other classes and every-week slots are not touched."""
    t = await school()
    same_a = await add(t, number=1, week=1)
    await add(t, number=2, week=1, group="1 группа", teacher="klruk")
    await add(t, number=3, week=1, teacher="other")
    every = await add(t, number=4, week=0)
    same_b = await add(t, number=1, week=2)
    old_b = await add(t, number=5, week=2)
    other_class = await add(t, number=5, week=2, cls="6Б", teacher="klruk", room="14")
    kept_lessons = {r["id"] for r in await Lesson.select(Lesson.id).where(Lesson.slot == same_b).run()}
    done = await slots.do_copy_week(SYSTEM, t.version, t.school.classes["5А"], 1, 2, today=TODAY)
    assert done == {"added": 2, "removed": 1}
    rows = await Slot.select().run()
    b = {(r["number"], r["study_group"]) for r in rows if r["week"] == 2 and r["school_class"] != t.school.classes["6Б"]}
    assert b == {(1, None), (2, t.groups["1 группа"]), (3, None)}
    ids = {r["id"] for r in rows}
    assert {same_a, every, same_b, other_class} <= ids and old_b not in ids
    assert {r["id"] for r in await Lesson.select(Lesson.id).where(Lesson.slot == same_b).run()} == kept_lessons
    audit = await AuditEvent.select().where(AuditEvent.action == "timetable.week_copied").run()
    assert len(audit) == 1
    async with refused("копировать нечего"):
        await slots.do_copy_week(SYSTEM, t.version, t.school.classes["5А"], 1, 2, today=TODAY)


async def test_copying_a_week_that_would_clash_is_refused(db):
    t = await school()
    await add(t, number=1, week=1)
    await add(t, number=1, week=2, cls="6Б", room="14")  # uchitel teaches 6Б then in week B
    async with refused("учитель уже ведёт урок"):
        await slots.do_copy_week(SYSTEM, t.version, t.school.classes["5А"], 1, 2, today=TODAY)
    async with refused("неделю A в неделю B"):
        await slots.do_copy_week(SYSTEM, t.version, None, 1, 1, today=TODAY)
    with pytest.raises(NotFound):
        await slots.do_copy_week(SYSTEM, t.version, 999_999, 1, 2, today=TODAY)


async def test_two_deputies_placing_one_teacher_at_once_make_one_slot(pg_db):
    """Real concurrent connections on PostgreSQL: the same teacher at the same time for two
    classes — exactly one succeeds, the other is refused."""
    t = await school()
    await dbmod.start_pool(10)
    try:
        results = await asyncio.gather(*[add(t, cls=c, room=r) for c, r in
                                         [("5А", "12"), ("6Б", "14"), ("5А", "Спортзал"), ("6Б", "12")]],
                                       return_exceptions=True)
    finally:
        await dbmod.close_pool()
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | Refused) for r in results), results
    assert await Slot.count().run() == 1
