"""Changes of the timetable for a date through the actions (R-TT-3, R-TT-4), on SQLite and
PostgreSQL: absences, substitutions («замена»), combining («совмещение»), cancellations, room
changes, extra and moved lessons, undoing a change, the substitute-hours report — and that every
refusal writes nothing at all: no lesson changed, no absence, no audit row."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest

from service import db as dbmod
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.school.tables import StaffMember, TeachingLoad
from service.timetable import change_queries as q
from service.timetable import changes
from service.timetable.tables import Absence, Lesson
from tests.factories import SYSTEM
from tests.timetable.factories import MONDAY, add_lesson, timetable_school

pytestmark = pytest.mark.anyio
TUESDAY = MONDAY + timedelta(days=1)
BEFORE = MONDAY - timedelta(days=7)  # «today» for actions that refuse the past


async def school():
    """The timetable school with its teachers on the staff (admin left in the summer)."""
    t = await timetable_school()
    people = t.school.people
    await StaffMember.insert(*[
        StaffMember(person=people[k], post="учитель", starts_on=date(2020, 9, 1))
        for k in ("uchitel", "klruk", "other")
    ], StaffMember(person=people["admin"], post="учитель физики", starts_on=date(2015, 9, 1),
                   ends_on=date(2026, 8, 31))).run()
    return t


async def _state() -> tuple:
    lessons = await Lesson.select().order_by(Lesson.id).run()
    absences = await Absence.select().order_by(Absence.id).run()
    return lessons, absences, await AuditEvent.count().run()


@contextlib.asynccontextmanager
async def refused(match: str):
    """The action must refuse with ``match`` in its message and change nothing."""
    before = await _state()
    with pytest.raises(Refused, match=match):
        yield
    assert await _state() == before


async def _lesson(lesson_id: int) -> dict:
    return await Lesson.select().where(Lesson.id == lesson_id).first().run()


async def _actions() -> list[str]:
    return [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.seq).run()]


# --- substitution and combining -------------------------------------------------------------


async def test_a_substitute_teaches_the_lesson_and_it_is_audited(db):
    """R-TT-4: «замена» is recorded on the lesson: who actually taught, a new revision, when."""
    t = await school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await changes.do_replace(SYSTEM, lesson, p["other"], "больничный")
    row = await _lesson(lesson)
    assert (row["teacher"], row["taught_by"], row["combined"]) == (p["uchitel"], p["other"], False)
    assert row["revision"] == 1 and row["changed_at"] is not None and row["change_note"] == "больничный"
    assert (await _actions())[-1] == "timetable.lesson_replaced"
    await changes.do_record_absence(SYSTEM, p["uchitel"], MONDAY, MONDAY)
    async with refused("Попова М. С. отсутствует 23.11.2026: оставьте замену"):
        await changes.do_restore(SYSTEM, lesson)
    await changes.do_end_absence(SYSTEM, (await Absence.select(Absence.id).first().run())["id"], remove=True)
    await changes.do_restore(SYSTEM, lesson)
    row = await _lesson(lesson)
    assert (row["taught_by"], row["revision"], row["change_note"]) == (p["uchitel"], 2, "")


async def test_a_busy_substitute_is_refused_naming_both_lessons(db):
    """Bad input: a substitution by a teacher who is busy at that time changes nothing, and the
    message names the substitute's own lesson and the lesson needing a substitute."""
    t = await school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await add_lesson(t, MONDAY, 2, "other", school_class="6Б", room="14")
    async with refused(r"Кузнецов О\. И\. в это время уже ведёт урок: 6Б, Математика.*"
                       r"Урок, на который нужна замена: 5А, Математика, Попова М\. С\."):
        await changes.do_replace(SYSTEM, lesson, p["other"])


async def test_absent_and_former_staff_and_strangers_do_not_substitute(db):
    t = await school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await changes.do_record_absence(SYSTEM, p["other"], MONDAY, TUESDAY, "курсы")
    async with refused("Кузнецов О. И. отсутствует 23.11.2026–24.11.2026 \\(курсы\\)"):
        await changes.do_replace(SYSTEM, lesson, p["other"])
    async with refused("не работает в школе"):
        await changes.do_replace(SYSTEM, lesson, p["admin"])  # left in August
    async with refused("не работает в школе"):
        await changes.do_replace(SYSTEM, lesson, p["pupil1"])
    async with refused("учитель урока по расписанию"):
        await changes.do_replace(SYSTEM, lesson, p["uchitel"])
    async with refused("Причина изменения: не длиннее 300"):
        await changes.do_replace(SYSTEM, lesson, p["klruk"], "x" * 301)
    with pytest.raises(NotFound):
        await changes.do_replace(SYSTEM, 999_999, p["klruk"])


async def test_a_teacher_with_a_lesson_then_combines_a_second_group(db):
    """R-TT-4: «совмещение» — one teacher for two groups; refused for a teacher with no lesson
    at that time (that is a plain substitution)."""
    t = await school()
    p = t.school.people
    lesson = await add_lesson(t, MONDAY, 3, "uchitel")
    async with refused("у Кузнецов О. И. на 3-й урок 23.11.2026 урока нет: оформите замену"):
        await changes.do_combine(SYSTEM, lesson, p["other"])
    await add_lesson(t, MONDAY, 3, "other", school_class="6Б", room="14")
    await changes.do_combine(SYSTEM, lesson, p["other"], "объединили в кабинете 14")
    row = await _lesson(lesson)
    assert (row["taught_by"], row["combined"]) == (p["other"], True)
    assert (await _actions())[-1] == "timetable.lesson_combined"


async def test_a_past_lesson_with_records_still_records_who_taught_it(db):
    """Recording who actually taught yesterday is legitimate, even on a lesson with grades."""
    t = await school()
    p = t.school.people
    lesson = await add_lesson(t, BEFORE, 1, "uchitel", has_records=True)
    await changes.do_replace(SYSTEM, lesson, p["klruk"])
    assert (await _lesson(lesson))["taught_by"] == p["klruk"]
    async with refused("На уроке уже есть отметки"):
        await changes.do_cancel(SYSTEM, lesson)
    async with refused("На уроке уже есть отметки"):
        await changes.do_move(SYSTEM, lesson, MONDAY, 5, today=BEFORE)


# --- cancel, room, extra, move, restore -----------------------------------------------------


async def test_cancel_and_restore(db):
    t = await school()
    lesson = await add_lesson(t, MONDAY, 1, "uchitel")
    await changes.do_cancel(SYSTEM, lesson, "экскурсия")
    assert (await _lesson(lesson))["cancelled"] is True
    async with refused("Урок уже отменён"):
        await changes.do_cancel(SYSTEM, lesson)
    await changes.do_restore(SYSTEM, lesson)
    row = await _lesson(lesson)
    assert row["cancelled"] is False and row["revision"] == 2
    async with refused("Урок идёт по расписанию, отменять нечего"):
        await changes.do_restore(SYSTEM, lesson)
    assert (await _actions())[-2:] == ["timetable.lesson_cancelled", "timetable.lesson_restored"]


async def test_a_taken_room_is_refused_naming_the_other_lesson(db):
    t = await school()
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await add_lesson(t, MONDAY, 2, "other", school_class="6Б", room="14")
    async with refused("Кабинет 14 в это время занят: 6Б, Математика, Кузнецов О. И., каб. 14"):
        await changes.do_change_room(SYSTEM, lesson, t.rooms["14"])
    await changes.do_change_room(SYSTEM, lesson, t.rooms["Спортзал"], "ремонт")
    row = await _lesson(lesson)
    assert (row["room"], row["room_changed"]) == (t.rooms["Спортзал"], True)
    async with refused("изменён кабинет: выберите прежний кабинет"):
        await changes.do_restore(SYSTEM, lesson)
    assert (await _actions())[-1] == "timetable.lesson_room_changed"


async def test_an_extra_lesson_needs_bells_a_school_day_and_free_people(db):
    t = await school()
    p, subject = t.school.people, t.subjects["Математика"]
    c5a = t.school.classes["5А"]
    await add_lesson(t, MONDAY, 2, "other", school_class="6Б", room="14")
    async with refused("уже прошло"):
        await changes.do_add_lesson(SYSTEM, MONDAY, 6, subject, p["uchitel"], t.rooms["12"],
                                    school_class=c5a, today=TUESDAY)
    async with refused("нет звонков для урока № 8"):
        await changes.do_add_lesson(SYSTEM, MONDAY, 8, subject, p["uchitel"], t.rooms["12"],
                                    school_class=c5a, today=BEFORE)
    async with refused("не учебный день"):
        await changes.do_add_lesson(SYSTEM, MONDAY + timedelta(days=6), 1, subject, p["uchitel"],
                                    t.rooms["12"], school_class=c5a, today=BEFORE)
    async with refused("кабинет уже занят в это время.*уже есть: 6Б, Математика"):
        await changes.do_add_lesson(SYSTEM, MONDAY, 2, subject, p["uchitel"], t.rooms["14"],
                                    school_class=c5a, today=BEFORE)
    async with refused("учитель уже ведёт урок"):
        await changes.do_add_lesson(SYSTEM, MONDAY, 2, subject, p["other"], t.rooms["12"],
                                    school_class=c5a, today=BEFORE)
    lesson = await changes.do_add_lesson(SYSTEM, MONDAY, 6, subject, p["uchitel"], t.rooms["12"],
                                         school_class=c5a, note="консультация", today=BEFORE)
    row = await _lesson(lesson)
    assert (row["extra"], row["slot"], row["number"]) == (True, None, 6)
    assert (await _actions())[-1] == "timetable.lesson_added"
    await changes.do_restore(SYSTEM, lesson)  # an extra lesson is removed
    assert await _lesson(lesson) is None


async def test_a_moved_lesson_keeps_its_place_and_goes_back(db):
    t = await school()
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await add_lesson(t, TUESDAY, 3, "klruk", room="14")  # 5А is busy on Tuesday, 3rd lesson
    async with refused("у класса уже есть урок в это время. Новый урок: 5А, Математика, "
                       "Попова М. С., каб. 12, 24.11.2026, 3-й урок; уже есть: 5А"):
        await changes.do_move(SYSTEM, lesson, TUESDAY, 3, today=BEFORE)
    async with refused("уже прошло"):
        await changes.do_move(SYSTEM, lesson, TUESDAY, 5, today=TUESDAY + timedelta(days=1))
    await changes.do_move(SYSTEM, lesson, TUESDAY, 5, "учитель на олимпиаде", today=BEFORE)
    row = await _lesson(lesson)
    assert (row["on_date"], row["number"], row["moved_from"], row["moved_from_number"]) == (TUESDAY, 5, MONDAY, 2)
    extra = await add_lesson(t, MONDAY, 2, "other", school_class="6Б", room="12")  # takes the room
    async with refused("кабинет уже занят"):
        await changes.do_restore(SYSTEM, lesson)
    await Lesson.delete().where(Lesson.id == extra).run()
    await changes.do_restore(SYSTEM, lesson)
    row = await _lesson(lesson)
    assert (row["on_date"], row["number"], row["moved_from"]) == (MONDAY, 2, None)
    assert (await _actions())[-2:] == ["timetable.lesson_moved", "timetable.lesson_restored"]


# --- absences -------------------------------------------------------------------------------


async def test_absences_are_recorded_changed_and_removed(db):
    t = await school()
    p = t.school.people
    absence = await changes.do_record_absence(SYSTEM, p["uchitel"], MONDAY, TUESDAY, "больничный")
    async with refused("уже отмечено отсутствие 23.11.2026–24.11.2026"):
        await changes.do_record_absence(SYSTEM, p["uchitel"], TUESDAY, TUESDAY)
    async with refused("Последний день отсутствия раньше первого"):
        await changes.do_record_absence(SYSTEM, p["klruk"], TUESDAY, MONDAY)
    async with refused("не работает в школе"):
        await changes.do_record_absence(SYSTEM, p["pupil1"], MONDAY, MONDAY)
    await changes.do_end_absence(SYSTEM, absence, MONDAY, MONDAY)
    assert [a["teacher"] for a in await q.absences_on(MONDAY)] == [p["uchitel"]]
    assert await q.absences_on(TUESDAY) == []
    await changes.do_end_absence(SYSTEM, absence, remove=True)
    assert await Absence.count().run() == 0
    assert (await _actions())[-3:] == ["timetable.absence_recorded", "timetable.absence_ended",
                                       "timetable.absence_ended"]


async def test_the_day_page_offers_free_teachers_of_the_subject_first(db):
    """For an absent teacher's lesson: «нужна замена», the free teachers (those teaching the
    subject first), and those with a lesson then offered for combining."""
    t = await school()
    p = t.school.people
    await TeachingLoad.delete().where(TeachingLoad.teacher == p["klruk"]).run()
    await TeachingLoad.insert(TeachingLoad(teacher=p["other"], subject=t.subjects["Математика"],
                                           school_class=t.school.classes["6Б"], hours_per_week=5,
                                           starts_on=date(2026, 9, 1))).run()
    lesson = await add_lesson(t, MONDAY, 2, "uchitel")
    await changes.do_record_absence(SYSTEM, p["uchitel"], MONDAY, MONDAY)
    page = await q.day_page(MONDAY)
    [absent] = page["absences"]
    [row] = absent["lessons"]
    assert row["id"] == lesson and row["needs_cover"]
    assert [f["id"] for f in row["free"]] == [p["other"], p["klruk"]]
    assert row["combine"] == []
    await add_lesson(t, MONDAY, 2, "klruk", school_class="6Б", room="14")
    [row] = (await q.day_page(MONDAY))["absences"][0]["lessons"]
    assert [f["id"] for f in row["free"]] == [p["other"]]
    assert [c["id"] for c in row["combine"]] == [p["klruk"]]


# --- the substitute-hours report ------------------------------------------------------------


async def test_substitute_hours_sum_a_month_without_cancelled_lessons(db):
    """R-TT-4: hours per substitute are reportable; cancelled lessons do not count, nor do
    lessons outside the dates."""
    t = await school()
    p = t.school.people
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(0, 28, 7)]  # four Mondays
    for day in days:
        lesson = await add_lesson(t, day, 1, "uchitel")
        await changes.do_replace(SYSTEM, lesson, p["other"])
    cancelled = await add_lesson(t, days[0], 2, "uchitel")
    await changes.do_replace(SYSTEM, cancelled, p["other"])
    await changes.do_cancel(SYSTEM, cancelled)
    outside = await add_lesson(t, date(2026, 12, 1), 1, "uchitel")
    await changes.do_replace(SYSTEM, outside, p["other"])
    own = await add_lesson(t, days[1], 3, "other", school_class="6Б", room="14")
    combined = await add_lesson(t, days[1], 3, "uchitel")
    await changes.do_combine(SYSTEM, combined, p["other"])
    assert own
    [row] = await q.substitute_hours(date(2026, 11, 1), date(2026, 11, 30))
    assert (row["teacher"], row["replaced"], row["combined"], row["total"]) == (p["other"], 4, 1, 5)
    lessons = await q.substitute_lessons(p["other"], date(2026, 11, 1), date(2026, 11, 30))
    assert len(lessons) == 5 and sum(x["combined"] for x in lessons) == 1
    assert changes.month_of(date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))


# --- racing deputies ------------------------------------------------------------------------


async def test_two_deputies_cannot_give_one_substitute_two_lessons_at_once(pg_db):
    """Two deputies, at the same moment, give the same free teacher two different lessons at the
    same number (real concurrent connections): exactly one substitution is made."""
    t = await school()
    p = t.school.people
    first = await add_lesson(t, MONDAY, 4, "uchitel")
    second = await add_lesson(t, MONDAY, 4, "klruk", school_class="6Б", room="14")
    await dbmod.start_pool(10)
    try:
        for _ in range(3):
            results = await asyncio.gather(changes.do_replace(SYSTEM, first, p["other"]),
                                           changes.do_replace(SYSTEM, second, p["other"]),
                                           return_exceptions=True)
            assert sum(r is None for r in results) == 1, results
            assert all(r is None or isinstance(r, Refused) for r in results), results
            for lesson, teacher in ((first, "uchitel"), (second, "klruk")):
                await Lesson.update({Lesson.taught_by: p[teacher]}).where(Lesson.id == lesson).run()
    finally:
        await dbmod.close_pool()


async def test_lessons_of_a_closed_year_are_read_only(db):
    """After the rollover a year is closed for good: no change for a date touches its lessons."""
    from service.school.tables import AcademicYear

    t = await school()
    lesson = await add_lesson(t, MONDAY, 1, "uchitel")
    await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC)}, force=True).run()
    before = (await _lesson(lesson), await AuditEvent.count().run())
    for attempt in (changes.do_cancel(SYSTEM, lesson), changes.do_replace(SYSTEM, lesson, t.school.people["klruk"])):
        async with refused("закрыт"):
            await attempt
    assert (await _lesson(lesson), await AuditEvent.count().run()) == before
