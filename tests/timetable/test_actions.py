"""Setting up the timetable through the actions (R-TT-1 bells, R-TT-2 versions and A/B weeks,
R-YEAR-2 moved working days), on SQLite and PostgreSQL: what is written, its audit row, the
lessons that follow, and that every refusal writes nothing at all — no row, no audit entry."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest

from service import db as dbmod
from service.audit.tables import AuditEvent
from service.db import atomic
from service.errors import NotFound, Refused
from service.school.tables import AcademicYear, CalendarDay, SchoolClass
from service.timetable import actions, lessons, queries, rules
from service.timetable.tables import Bell, BellSchedule, DaySetting, Lesson, Room, Slot, Timetable
from tests.factories import SYSTEM
from tests.timetable.factories import BELLS, timetable_school

pytestmark = pytest.mark.anyio
TODAY = date(2026, 11, 27)  # a Friday; the factory's version is in force since 1 September
TABLES = (Room, BellSchedule, Bell, DaySetting, Timetable, Slot, Lesson, AuditEvent)
SATURDAY = date(2026, 12, 5)


async def _counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count().run() for t in TABLES}


@contextlib.asynccontextmanager
async def refused(match: str, field: str | None = None):
    """The action must refuse with ``match`` in its message (naming ``field``) and change nothing."""
    before = await _counts()
    with pytest.raises(Refused, match=match) as caught:
        yield
    if field is not None:
        assert caught.value.field == field
    assert await _counts() == before


async def _audit(action: str) -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id).run()


async def _slot(t, weekday: int, number: int, version: int | None = None, teacher: str = "uchitel") -> int:
    return (await Slot.insert(Slot(timetable=version or t.version, weekday=weekday, number=number, week=0,
                                   school_class=t.school.classes["5А"], subject=t.subjects["Математика"],
                                   teacher=t.school.people[teacher], room=t.rooms["12"]))
            .returning(Slot.id).run())[0]["id"]


async def _sync(t, from_date: date = TODAY) -> None:
    async with atomic():
        await lessons.sync_lessons(SYSTEM, t.version, from_date)


# --- pure: what a deputy types --------------------------------------------------------------


def test_bells_are_typed_one_lesson_a_line():
    """R-TT-1: «1 08:30 09:15», «2. 9.25–10.10», or just the times, numbered after the line above."""
    bells = actions.parse_bells("1 08:30 09:15\n2. 9.25–10.10\n\n10:20-11:05\n")
    assert bells == [rules.Bell(1, 510, 555), rules.Bell(2, 565, 610), rules.Bell(3, 620, 665)]
    assert actions.parse_bells("0 07:45 08:25\n08:30 09:15")[1] == rules.Bell(1, 510, 555)
    assert actions.bells_text(bells).splitlines()[2] == "3 10:20 11:05"
    with pytest.raises(Refused, match="Строка 2 \\(2-й урок\\): Время «9:75»"):
        actions.parse_bells("1 08:30 09:15\n2 9:75 10:10")
    with pytest.raises(Refused, match="Строка 3: напишите номер урока, начало и конец"):
        actions.parse_bells("1 08:30 09:15\n2 09:25 10:10\nтретий урок в 10:20")
    with pytest.raises(Refused, match="Строка 1: номер урока «x»"):
        actions.parse_bells("x 08:30 09:15")


# --- rooms ----------------------------------------------------------------------------------


async def test_rooms_are_added_and_renamed_with_unique_names(db):
    """R-TT-2: a room's name is unique whatever its case and spaces; each change is audited."""
    t = await timetable_school()
    room = await actions.do_create_room(SYSTEM, "  Кабинет   информатики ", "15 компьютеров")
    assert await queries.room(room) == {"id": room, "name": "Кабинет информатики", "note": "15 компьютеров"}
    async with refused("Кабинет «Спортзал» уже есть", "name"):
        await actions.do_create_room(SYSTEM, "спортзал")
    async with refused("Кабинет «12» уже есть", "name"):
        await actions.do_change_room(SYSTEM, room, " 12 ")
    async with refused("не длиннее 30", "name"):
        await actions.do_create_room(SYSTEM, "К" * 31)
    await actions.do_change_room(SYSTEM, t.rooms["14"], "14а", "")
    assert [r["name"] for r in await queries.rooms()] == ["12", "14а", "Кабинет информатики", "Спортзал"]
    assert [r["new"] for r in await _audit("timetable.room_created")] == [
        '{"name":"Кабинет информатики","note":"15 компьютеров"}']
    assert len(await _audit("timetable.room_changed")) == 1
    with pytest.raises(NotFound):
        await actions.do_change_room(SYSTEM, 999_999, "99")


# --- bells ----------------------------------------------------------------------------------


async def test_bell_schedules_of_a_year_and_the_bells_of_any_date(db):
    """R-TT-1: several schedules (the normal one, Saturday, a shortened day); each date gets
    the bells of its weekday, or of the schedule a special day picks."""
    t = await timetable_school()
    saturday = await actions.do_create_bells(SYSTEM, t.year, "Суббота", "08:30 09:10\n09:20 10:00", "6",
                                             today=TODAY)
    short = await actions.do_create_bells(SYSTEM, t.year, "Сокращённый день",
                                          "1 08:30 09:00\n2 09:10 09:40\n3 09:50 10:20", "", today=TODAY)
    assert (await BellSchedule.select().where(BellSchedule.id == saturday).first().run())["weekdays"] == "6"
    audit = await _audit("timetable.bells_created")
    assert '"bells":[[1,"08:30","09:10"],[2,"09:20","10:00"]]' in audit[0]["new"] and len(audit) == 2
    await actions.do_set_day(SYSTEM, t.year, date(2026, 12, 30), schedule=short, today=TODAY)
    friday, sunday = date(2026, 12, 4), date(2026, 12, 6)
    bells = await queries.bells_for_dates([friday, SATURDAY, sunday, date(2026, 12, 30), date(2030, 1, 7)])
    assert bells[friday][0] == {"number": 1, "starts_at": 510, "ends_at": 555} and len(bells[friday]) == 7
    assert [b["ends_at"] for b in bells[SATURDAY]] == [550, 600]
    assert bells[sunday] == [] and bells[date(2030, 1, 7)] == []
    assert [b["ends_at"] for b in bells[date(2026, 12, 30)]] == [540, 580, 620]


async def test_bell_refusals_name_the_lesson_and_write_nothing(db):
    """The issue's bad input: overlapping bell times, a weekday in two schedules."""
    t = await timetable_school()
    async with refused("2-й урок \\(09:20–10:05\\) пересекается с уроком 3-й урок \\(10:00–10:45\\)", "bells"):
        await actions.do_create_bells(SYSTEM, t.year, "Суббота", "1 08:30 09:15\n2 09:20 10:05\n3 10:00 10:45",
                                      "6", today=TODAY)
    async with refused("уже действует расписание звонков «Основное»", "weekdays"):
        await actions.do_create_bells(SYSTEM, t.year, "Среда", "1 08:30 09:15", "36", today=TODAY)
    async with refused("Расписание звонков «Основное» в этом году уже есть", "name"):
        await actions.do_create_bells(SYSTEM, t.year, "основное", "1 08:30 09:15", "6", today=TODAY)
    async with refused("Строка 1", "bells"):
        await actions.do_change_bells(SYSTEM, t.schedule, "Основное", "1 25:00 09:15", "12345", today=TODAY)


async def test_bells_cannot_drop_a_lesson_number_the_timetable_stands_on(db):
    """R-TT-1: a schedule in use may change its times, not lose a lesson that slots stand on —
    the refusal names the slots."""
    t = await timetable_school()
    await _slot(t, 3, 7)
    six = "\n".join(f"{n} {rules.time_text(a)} {rules.time_text(b)}" for n, a, b in BELLS[:6])
    async with refused("5А, Математика, среда, 7-й урок \\(«Основное расписание»\\)", "bells"):
        await actions.do_change_bells(SYSTEM, t.schedule, "Основное", six, "12345", today=TODAY)
    # new times for the same lessons, and giving Friday up, are fine
    later = "\n".join(f"{n} {rules.time_text(a + 5)} {rules.time_text(b + 5)}" for n, a, b in BELLS)
    await actions.do_change_bells(SYSTEM, t.schedule, "Основное", later, "1234", today=TODAY)
    assert (await queries.bells_for_dates([date(2026, 12, 2)]))[date(2026, 12, 2)][0]["starts_at"] == 515
    [audit] = await _audit("timetable.bells_changed")
    assert '"weekdays":"12345"' in audit["old"] and '"weekdays":"1234"' in audit["new"]


# --- special days ---------------------------------------------------------------------------


async def test_a_moved_working_day_gets_the_lessons_of_the_weekday_it_follows(db):
    """R-YEAR-2: «суббота 05.12 работает по расписанию понедельника» makes Monday's lessons on
    that Saturday; clearing the day takes them away again."""
    t = await timetable_school()
    await CalendarDay.insert(CalendarDay(year=t.year, kind="workday", name="Перенос рабочего дня",
                                         grade_from=1, grade_to=11, starts_on=SATURDAY, ends_on=SATURDAY)).run()
    monday_slot = await _slot(t, 1, 2)
    await _sync(t)
    assert await Lesson.count().where(Lesson.on_date == SATURDAY).run() == 0
    overview = await queries.setup(t.year, TODAY)
    assert "Укажите, по расписанию какого дня работает суббота 05.12 («Перенос рабочего дня»)" in " ".join(
        overview["warnings"])
    await actions.do_set_day(SYSTEM, t.year, SATURDAY, as_weekday=1, note="перенос с 04.11", today=TODAY)
    [made] = await Lesson.select().where(Lesson.on_date == SATURDAY).run()
    assert (made["slot"], made["number"]) == (monday_slot, 2)
    assert "суббота 05.12" not in " ".join((await queries.setup(t.year, TODAY))["warnings"])
    [audit] = await _audit("timetable.day_set")
    assert '"as_weekday":1' in audit["new"]
    await actions.do_clear_day(SYSTEM, t.year, SATURDAY, today=TODAY)
    assert await Lesson.count().where(Lesson.on_date == SATURDAY).run() == 0
    assert await DaySetting.count().run() == 0 and len(await _audit("timetable.day_cleared")) == 1


async def test_special_day_refusals_write_nothing(db):
    t = await timetable_school()
    other_year = (await AcademicYear.insert(AcademicYear(name="2027/2028", starts_on=date(2027, 9, 1),
                                                         ends_on=date(2028, 5, 31)))
                  .returning(AcademicYear.id).run())[0]["id"]
    foreign = await actions.do_create_bells(SYSTEM, other_year, "Основное", "1 08:30 09:15", "12345")
    async with refused("Дата 01.06.2027 — вне учебного года 2026/2027", "on_date"):
        await actions.do_set_day(SYSTEM, t.year, date(2027, 6, 1), as_weekday=1, today=TODAY)
    async with refused("Выберите расписание звонков этого учебного года", "schedule"):
        await actions.do_set_day(SYSTEM, t.year, SATURDAY, schedule=foreign, today=TODAY)
    async with refused("Выберите звонки этого дня", "schedule"):
        await actions.do_set_day(SYSTEM, t.year, SATURDAY, today=TODAY)
    async with refused("от понедельника до субботы", "as_weekday"):
        await actions.do_set_day(SYSTEM, t.year, SATURDAY, as_weekday=7, today=TODAY)
    async with refused("и так обычный день", "on_date"):
        await actions.do_clear_day(SYSTEM, t.year, SATURDAY, today=TODAY)


# --- versions -------------------------------------------------------------------------------


async def test_the_first_version_of_a_year_and_its_refusals(db):
    """R-TT-2: a two-week timetable anchored to a date of the year; an anchor outside the year
    and a version overlapping another are refused, naming the field and the other version."""
    t = await timetable_school()
    year = (await AcademicYear.insert(AcademicYear(name="2027/2028", starts_on=date(2027, 9, 1),
                                                   ends_on=date(2028, 5, 31)))
            .returning(AcademicYear.id).run())[0]["id"]
    async with refused("Дата недели A 31.08.2027 — вне учебного года", "anchor"):
        await actions.do_create_version(SYSTEM, year, "Основное", date(2027, 9, 1), 2, date(2027, 8, 31))
    async with refused("укажите дату, с недели которой считается неделя A", "anchor"):
        await actions.do_create_version(SYSTEM, year, "Основное", date(2027, 9, 1), 2, None)
    async with refused("Начало версии 01.06.2028 — вне учебного года", "starts_on"):
        await actions.do_create_version(SYSTEM, year, "Основное", date(2028, 6, 1))
    async with refused("уже действует версия «Основное расписание» \\(с 01.09.2026 до конца года\\)", "starts_on"):
        await actions.do_create_version(SYSTEM, t.year, "Второе", date(2027, 1, 11))
    version = await actions.do_create_version(SYSTEM, year, "Основное", date(2027, 9, 1), 2, date(2027, 9, 6),
                                              skip_holiday_weeks=True)
    row = await Timetable.select().where(Timetable.id == version).first().run()
    assert (row["cycle"], row["anchor"], row["skip_holiday_weeks"], row["ends_on"]) == (
        2, date(2027, 9, 6), True, None)
    assert (await queries.version_on(date(2027, 10, 1)))["id"] == version
    assert (await queries.version_on(date(2026, 10, 1)))["id"] == t.version
    assert await queries.version_on(date(2027, 7, 1)) is None
    assert len(await _audit("timetable.version_created")) == 1


async def test_a_new_version_from_a_date_copies_the_slots_and_keeps_the_history(db):
    """R-TT-2: «новое расписание с даты» — the old version ends the day before and stays; the
    new one holds a copy of its slots; lessons from that date are the new version's, earlier
    ones stay as they were."""
    t = await timetable_school()
    old_slot = await _slot(t, 1, 2)
    await _sync(t)
    monday, next_monday = date(2026, 11, 30), date(2026, 12, 7)
    kept = (await Lesson.select(Lesson.id).where(Lesson.on_date == monday).first().run())["id"]
    new = await actions.do_start_version(SYSTEM, t.year, date(2026, 12, 1), "Со 2 декабря", today=TODAY)
    old = await Timetable.select().where(Timetable.id == t.version).first().run()
    assert old["ends_on"] == date(2026, 11, 30)
    [copy] = await Slot.select().where(Slot.timetable == new).run()
    assert (copy["weekday"], copy["number"], copy["teacher"]) == (1, 2, t.school.people["uchitel"])
    assert await Lesson.exists().where(Lesson.id == kept).run()  # before the new version: untouched
    [after] = await Lesson.select().where(Lesson.on_date == next_monday).run()
    assert after["slot"] == copy["id"]
    assert await Lesson.count().where(Lesson.slot == old_slot).run() == await Lesson.count().where(
        (Lesson.slot == old_slot) & (Lesson.on_date <= date(2026, 11, 30))).run()
    assert (await queries.version_on(date(2026, 12, 1)))["id"] == new
    overview = await queries.setup(t.year, TODAY)
    assert [(v["name"], v["ends_on"]) for v in overview["versions"]] == [
        ("Основное расписание", date(2026, 11, 30)), ("Со 2 декабря", None)]
    assert len(await _audit("timetable.version_created")) == 1
    assert len(await _audit("timetable.version_changed")) == 1


async def test_a_new_version_refuses_to_remove_lessons_holding_records(db):
    """The issue's bad input: a timetable edit that would move lessons already holding grades is
    refused with the list of those lessons, and nothing is written."""
    t = await timetable_school()
    await _slot(t, 1, 2)
    await _sync(t)
    graded = date(2026, 12, 7)
    await Lesson.update({Lesson.has_records: True}).where(Lesson.on_date == graded).run()
    async with refused("5А, Математика, 07.12.2026, 2-й урок"):
        await actions.do_start_version(SYSTEM, t.year, date(2026, 12, 1), "Со 2 декабря", today=TODAY)
    assert (await Timetable.select().where(Timetable.id == t.version).first().run())["ends_on"] is None
    # from the day after the graded lesson it works
    await actions.do_start_version(SYSTEM, t.year, graded + timedelta(days=1), "С 8 декабря", today=TODAY)
    assert await Lesson.exists().where((Lesson.on_date == graded) & Lesson.has_records.eq(True)).run()


async def test_new_version_refusals(db):
    t = await timetable_school()
    async with refused("не раньше сегодняшнего дня \\(27.11.2026\\)", "starts_on"):
        await actions.do_start_version(SYSTEM, t.year, date(2026, 11, 26), "Вчерашняя", today=TODAY)
    async with refused("Начало версии 01.06.2027 — вне учебного года", "starts_on"):
        await actions.do_start_version(SYSTEM, t.year, date(2027, 6, 1), "Летняя", today=TODAY)
    async with refused("и так начинается 01.09.2026", "starts_on"):
        await actions.do_start_version(SYSTEM, t.year, date(2026, 9, 1), "Та же", today=date(2026, 8, 30))
    await Timetable.update({Timetable.ends_on: date(2026, 12, 31)}).where(Timetable.id == t.version).run()
    async with refused("нет действующей версии расписания", "starts_on"):
        await actions.do_start_version(SYSTEM, t.year, date(2027, 1, 11), "После каникул", today=TODAY)


async def test_changing_a_version_moves_its_future_lessons_between_weeks(db):
    """R-TT-2: another week-A anchor swaps A and B from today on; the past stays."""
    t = await timetable_school()
    await Slot.insert(Slot(timetable=t.version, weekday=1, number=1, week=1, school_class=t.school.classes["5А"],
                           subject=t.subjects["Математика"], teacher=t.school.people["uchitel"])).run()
    await _sync(t, date(2026, 11, 16))
    before = {r["on_date"] for r in await Lesson.select(Lesson.on_date).run()}
    assert {date(2026, 11, 23), date(2026, 12, 7)} <= before and date(2026, 11, 30) not in before
    await actions.do_change_version(SYSTEM, t.version, "Основное расписание", 2, date(2026, 9, 8), today=TODAY)
    after = {r["on_date"] for r in await Lesson.select(Lesson.on_date).run()}
    assert date(2026, 11, 23) in after  # the past is never rewritten
    assert date(2026, 11, 30) in after and date(2026, 12, 7) not in after
    [audit] = await _audit("timetable.version_changed")
    assert '"anchor":"2026-09-01"' in audit["old"] and '"anchor":"2026-09-08"' in audit["new"]
    async with refused("Дата недели A 01.08.2026 — вне учебного года", "anchor"):
        await actions.do_change_version(SYSTEM, t.version, "Основное", 2, date(2026, 8, 1), today=TODAY)
    with pytest.raises(NotFound):
        await actions.do_change_version(SYSTEM, 999_999, "Основное", 1)


async def test_a_closed_year_is_read_only(db):
    t = await timetable_school()
    await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC)}).where(AcademicYear.id == t.year).run()
    async with refused("закрыт"):
        await actions.do_create_bells(SYSTEM, t.year, "Суббота", "1 08:30 09:15", "6", today=TODAY)
    async with refused("закрыт"):
        await actions.do_change_bells(SYSTEM, t.schedule, "Основное", "1 08:30 09:15", "12345", today=TODAY)
    async with refused("закрыт"):
        await actions.do_set_day(SYSTEM, t.year, SATURDAY, as_weekday=1, today=TODAY)
    async with refused("закрыт"):
        await actions.do_change_version(SYSTEM, t.version, "Другое", 1, today=TODAY)
    async with refused("закрыт"):
        await actions.do_start_version(SYSTEM, t.year, date(2026, 12, 1), "Новая", today=TODAY)


async def test_the_overview_warns_what_is_missing(db):
    """R-YEAR-2: a six-day class with no Saturday bells; a year with no version yet."""
    t = await timetable_school()
    await SchoolClass.update({SchoolClass.week_days: 6}).where(SchoolClass.id == t.school.classes["6Б"]).run()
    await Timetable.delete().where(Timetable.id == t.version).run()
    warnings = " ".join((await queries.setup(t.year, TODAY))["warnings"])
    assert "Нет звонков на субботу, а у классов 6Б в этот день уроки" in warnings
    assert "Нет звонков на пятницу" not in warnings
    assert "Версии расписания ещё нет" in warnings


async def test_two_new_versions_from_one_date_at_once_make_one(pg_db):
    """Two deputies pressing «Начать новую версию» at once (real concurrent connections on
    PostgreSQL): one new version, the others refused; the versions still do not overlap."""
    t = await timetable_school()
    await _slot(t, 1, 2)
    await dbmod.start_pool(10)
    try:
        results = await asyncio.gather(*[actions.do_start_version(SYSTEM, t.year, date(2026, 12, 1), f"Новая {i}",
                                                                  today=TODAY) for i in range(5)],
                                       return_exceptions=True)
    finally:
        await dbmod.close_pool()
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int | Refused) for r in results), results
    versions = await Timetable.select().order_by(Timetable.starts_on).run()
    assert [(v["starts_on"], v["ends_on"]) for v in versions] == [
        (date(2026, 9, 1), date(2026, 11, 30)), (date(2026, 12, 1), None)]
    assert await Slot.count().run() == 2
