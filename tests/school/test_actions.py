"""Setting up a year and the school's structure through the actions (R-YEAR-1, R-YEAR-2,
R-ORG-1, R-ORG-2, R-JOURNAL-1), on SQLite and PostgreSQL: what is written, its audit row, and
that every refusal writes nothing at all — no row, no audit entry."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime

import pytest

from service import db as dbmod
from service.audit.tables import AuditEvent
from service.errors import NotFound, Refused
from service.school import actions
from service.school.tables import (
    AcademicYear,
    CalendarDay,
    SchoolClass,
    StaffMember,
    StudyGroup,
    StudyPeriod,
    Subject,
    TeachingLoad,
)
from tests.factories import SYSTEM, YEAR_START, tiny_school

pytestmark = pytest.mark.anyio
TABLES = (AcademicYear, StudyPeriod, CalendarDay, SchoolClass, Subject, StudyGroup, TeachingLoad, AuditEvent)
DAY = date(2026, 10, 1)
LEFT = date(2026, 8, 31)


async def _counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count().run() for t in TABLES}


@contextlib.asynccontextmanager
async def refused(match: str):
    """The action must refuse with ``match`` in its message and change nothing."""
    before = await _counts()
    with pytest.raises(Refused, match=match):
        yield
    assert await _counts() == before


async def school():
    """The tiny school, with its teachers on the staff and one who left before the year."""
    s = await tiny_school()
    await StaffMember.insert(*[
        StaffMember(person=s.people[k], post="учитель", starts_on=date(2020, 9, 1))
        for k in ("uchitel", "klruk", "other")
    ], StaffMember(person=s.people["admin"], post="учитель физики", starts_on=date(2015, 9, 1),
                   ends_on=LEFT)).run()
    s.year = (await AcademicYear.select(AcademicYear.id).first().run())["id"]
    s.subject = (await Subject.select(Subject.id).first().run())["id"]
    return s


async def _audit_actions() -> list[str]:
    return [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.seq).run()]


# --- years ----------------------------------------------------------------------------------


async def test_a_new_year_gets_the_usual_calendar(db):
    """R-YEAR-1: quarters for 1–9, half-years for 10–11, holidays and public holidays."""
    year = await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 26))
    periods = await StudyPeriod.select().where(StudyPeriod.year == year).order_by(StudyPeriod.id).run()
    assert [(p["name"], p["grade_from"], p["grade_to"]) for p in periods] == [
        ("1 четверть", 1, 9), ("2 четверть", 1, 9), ("3 четверть", 1, 9), ("4 четверть", 1, 9),
        ("1 полугодие", 10, 11), ("2 полугодие", 10, 11)]
    names = {d["name"] for d in await CalendarDay.select(CalendarDay.name).where(CalendarDay.year == year).run()}
    assert {"Осенние каникулы", "Зимние каникулы", "День Победы"} <= names
    assert "school.year_created" in await _audit_actions()


async def test_a_year_from_the_previous_one_copies_its_calendar_moved_a_year(db):
    """«A year can be created from the previous one (copying structure, not people's data)»."""
    s = await school()
    await actions.do_add_period(SYSTEM, s.year, "quarters", 1, 1, 9, date(2026, 9, 1), date(2026, 10, 24))
    await actions.do_add_day(SYSTEM, s.year, "day_off", "День народного единства", 1, 11,
                             date(2026, 11, 4), date(2026, 11, 4))
    new = await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 31), copy_from=s.year)
    assert [(p["starts_on"], p["ends_on"]) for p in await StudyPeriod.select().where(StudyPeriod.year == new).run()] \
        == [(date(2027, 9, 1), date(2027, 10, 24))]
    assert [d["starts_on"] for d in await CalendarDay.select().where(CalendarDay.year == new).run()] \
        == [date(2027, 11, 4)]
    assert await SchoolClass.count().where(SchoolClass.year == new).run() == 0  # structure, not people


async def test_bad_years_are_refused_and_change_nothing(db):
    s = await school()
    async with refused("пересекаются с учебным годом 2026/2027"):
        await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 5, 1), date(2027, 12, 31))
    async with refused("раньше"):
        await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2027, 8, 1))
    async with refused("Текущий учебный год уже есть"):
        await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 26), make_current=True)
    async with refused("скопировать"):
        await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 26), copy_from=s.year + 99)


async def test_one_current_year_at_a_time(db):
    s = await school()
    new = await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 26))
    await actions.do_make_current(SYSTEM, new)
    current = await AcademicYear.select(AcademicYear.id).where(AcademicYear.is_current.eq(True)).run()
    assert current == [{"id": new}]
    assert s.year != new


async def test_a_closed_year_is_read_only(db):
    """After the rollover a year is complete and read-only: every action refuses, in Russian."""
    s = await school()
    gid = await actions.do_create_group(SYSTEM, s.year, "club", "Шахматы")
    pid = await actions.do_add_period(SYSTEM, s.year, "halves", 1, 10, 11, YEAR_START, date(2026, 12, 28))
    await AcademicYear.update({AcademicYear.closed_at: datetime.now(UTC), AcademicYear.is_current: False}).where(
        AcademicYear.id == s.year).run()
    closed = "закрыт"
    async with refused(closed):
        await actions.do_add_period(SYSTEM, s.year, "halves", 2, 10, 11, date(2027, 1, 9), date(2027, 5, 31))
    async with refused(closed):
        await actions.do_change_period(SYSTEM, pid, YEAR_START, date(2026, 12, 27))
    async with refused(closed):
        await actions.do_add_day(SYSTEM, s.year, "holidays", "Каникулы", 1, 11, date(2026, 11, 1), date(2026, 11, 2))
    async with refused(closed):
        await actions.do_create_class(SYSTEM, s.year, 7, "Б", day=DAY)
    async with refused(closed):
        await actions.do_change_class(SYSTEM, s.classes["5А"], 6, None, DAY)
    async with refused(closed):
        await actions.do_create_group(SYSTEM, s.year, "club", "Робототехника")
    async with refused(closed):
        await actions.do_add_load(SYSTEM, s.people["uchitel"], s.subject, 2, DAY, study_group=gid)
    async with refused(closed):
        await actions.do_make_current(SYSTEM, s.year)
    load = (await TeachingLoad.select(TeachingLoad.id).first().run())["id"]
    async with refused(closed):
        await actions.do_change_load(SYSTEM, load, s.people["uchitel"], 3, DAY)
    async with refused(closed):
        await actions.do_end_load(SYSTEM, load, DAY)


# --- periods and calendar days --------------------------------------------------------------


async def test_periods_outside_the_year_or_overlapping_are_refused(db):
    """Issue 7, bad input: «a period outside its year or overlapping another»."""
    s = await school()
    await actions.do_add_period(SYSTEM, s.year, "quarters", 1, 1, 9, YEAR_START, date(2026, 10, 24))
    async with refused("за пределы учебного года"):
        await actions.do_add_period(SYSTEM, s.year, "quarters", 4, 1, 9, date(2027, 3, 30), date(2027, 6, 30))
    async with refused("пересекаются"):
        await actions.do_add_period(SYSTEM, s.year, "quarters", 2, 1, 9, date(2026, 10, 20), date(2026, 12, 28))
    async with refused("один вид периодов"):
        await actions.do_add_period(SYSTEM, s.year, "halves", 1, 9, 11, YEAR_START, date(2026, 12, 28))
    async with refused("один вид периодов"):
        await actions.do_add_period(SYSTEM, s.year, "quarters", 2, 1, 4, date(2026, 11, 5), date(2026, 12, 28))
    with pytest.raises(NotFound):
        await actions.do_change_period(SYSTEM, 999_999, YEAR_START, date(2026, 10, 1))


async def test_calendar_days_outside_the_year_are_refused(db):
    """R-YEAR-1: holidays and days off belong to their year; moved working days to weekends."""
    s = await school()
    day = await actions.do_add_day(SYSTEM, s.year, "workday", "Перенос с 3 ноября", 1, 11,
                                   date(2026, 11, 7), date(2026, 11, 7))
    async with refused("вне учебного года"):
        await actions.do_add_day(SYSTEM, s.year, "holidays", "Летние каникулы", 1, 11,
                                 date(2027, 6, 1), date(2027, 8, 31))
    async with refused("будний день"):
        await actions.do_add_day(SYSTEM, s.year, "workday", "Перенос", 1, 11, date(2026, 11, 3), date(2026, 11, 3))
    async with refused("вне учебного года"):
        await actions.do_change_day(SYSTEM, day, "Перенос", date(2027, 6, 5), date(2027, 6, 5))
    assert "school.day_added" in await _audit_actions()


# --- subjects, classes, groups --------------------------------------------------------------


async def test_subjects_have_unique_russian_names(db):
    """R-ORG-1: «Математика» once, however it is typed."""
    await school()
    await actions.do_create_subject(SYSTEM, "Иностранный язык (английский)", "Англ. яз.")
    async with refused("уже есть"):
        await actions.do_create_subject(SYSTEM, "  математика ", "")
    async with refused("по-русски"):
        await actions.do_create_subject(SYSTEM, "Math", "")
    async with refused("не длиннее"):
        await actions.do_create_subject(SYSTEM, "Ф" * 151, "")


async def test_classes_are_unique_per_year_and_led_by_current_staff(db):
    """R-ORG-1, R-YEAR-2: «7Б» once a year, with a five- or six-day week."""
    s = await school()
    cid = await actions.do_create_class(SYSTEM, s.year, 7, "б", 6, s.people["uchitel"], DAY)
    row = await SchoolClass.select().where(SchoolClass.id == cid).first().run()
    assert (row["name"], row["week_days"], row["class_teacher"]) == ("7Б", 6, s.people["uchitel"])
    async with refused("уже есть"):
        await actions.do_create_class(SYSTEM, s.year, 7, "Б", 5, None, DAY)
    async with refused("пять или шесть"):
        await actions.do_create_class(SYSTEM, s.year, 7, "В", 7, None, DAY)
    async with refused("Параллель"):
        await actions.do_create_class(SYSTEM, s.year, 12, "В", 5, None, DAY)
    async with refused("уволен"):
        await actions.do_create_class(SYSTEM, s.year, 7, "В", 5, s.people["admin"], DAY)
    async with refused("не сотрудник"):
        await actions.do_create_class(SYSTEM, s.year, 7, "В", 5, s.people["roditel"], DAY)
    await actions.do_change_class(SYSTEM, cid, 5, s.people["klruk"], DAY)
    assert (await SchoolClass.select(SchoolClass.week_days).where(SchoolClass.id == cid).first().run()) \
        == {"week_days": 5}
    with pytest.raises(NotFound):
        await actions.do_create_class(SYSTEM, 999_999, 7, "Г", 5, None, DAY)


async def test_groups_of_every_kind(db):
    """R-JOURNAL-1, R-ORG-1: subgroups of a class for a subject and cross-class groups."""
    s = await school()
    await actions.do_create_group(SYSTEM, s.year, "subgroup", "5А матем. 1 группа", s.classes["5А"], s.subject)
    for kind, name in [("profile", "Профиль: физика"), ("elective", "Элективный курс по химии"),
                       ("optional", "Факультатив: логика"), ("club", "Кружок «Робототехника»"),
                       ("gpd", "ГПД 1–2 классы"), ("extra", "Хор")]:
        await actions.do_create_group(SYSTEM, s.year, kind, name)
    assert await StudyGroup.count().run() == 7
    async with refused("выберите класс"):
        await actions.do_create_group(SYSTEM, s.year, "subgroup", "Подгруппа без класса")
    async with refused("выберите предмет"):
        await actions.do_create_group(SYSTEM, s.year, "subgroup", "Подгруппа без предмета", s.classes["5А"])
    async with refused("только у подгруппы"):
        await actions.do_create_group(SYSTEM, s.year, "club", "Кружок в классе", s.classes["5А"])
    async with refused("уже есть"):
        await actions.do_create_group(SYSTEM, s.year, "club", "ХОР")
    async with refused("Вид группы"):
        await actions.do_create_group(SYSTEM, s.year, "party", "Вечеринка")
    other = await actions.do_create_year(SYSTEM, "2027/2028", date(2027, 9, 1), date(2028, 5, 26))
    async with refused("этого учебного года"):
        await actions.do_create_group(SYSTEM, other, "subgroup", "5А матем. 2 группа", s.classes["5А"], s.subject)


# --- teaching load --------------------------------------------------------------------------


async def test_changing_the_load_keeps_its_history(db):
    """R-ORG-2: new hours or a new teacher close the old row the day before and open a new one."""
    s = await school()
    gid = await actions.do_create_group(SYSTEM, s.year, "optional", "Факультатив: логика")
    first = await actions.do_add_load(SYSTEM, s.people["uchitel"], s.subject, 1, YEAR_START, study_group=gid)
    second = await actions.do_change_load(SYSTEM, first, s.people["uchitel"], 2, date(2026, 11, 5))
    third = await actions.do_change_load(SYSTEM, second, s.people["other"], 2, date(2027, 1, 9))
    rows = await TeachingLoad.select().where(TeachingLoad.study_group == gid).order_by(TeachingLoad.starts_on).run()
    assert [(r["teacher"], r["hours_per_week"], r["starts_on"], r["ends_on"]) for r in rows] == [
        (s.people["uchitel"], 1, YEAR_START, date(2026, 11, 4)),
        (s.people["uchitel"], 2, date(2026, 11, 5), date(2027, 1, 8)),
        (s.people["other"], 2, date(2027, 1, 9), None)]
    await actions.do_end_load(SYSTEM, third, date(2027, 5, 20))
    assert (await TeachingLoad.select(TeachingLoad.ends_on).where(TeachingLoad.id == third).first().run()) \
        == {"ends_on": date(2027, 5, 20)}
    assert (await _audit_actions())[-4:] == ["school.load_added", "school.load_changed",
                                             "school.load_changed", "school.load_ended"]


async def test_bad_load_is_refused_and_changes_nothing(db):
    """Issue 7, bad input: «teaching load for a teacher who has left», and the other refusals."""
    s = await school()
    five_a, teacher = s.classes["5А"], s.people["uchitel"]
    gid = await actions.do_create_group(SYSTEM, s.year, "club", "Шахматы")
    async with refused("уволен"):
        await actions.do_add_load(SYSTEM, s.people["admin"], s.subject, 2, DAY, school_class=five_a)
    async with refused("не сотрудник"):
        await actions.do_add_load(SYSTEM, s.people["roditel"], s.subject, 2, DAY, school_class=five_a)
    async with refused("от 1 до 40"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 41, DAY, school_class=five_a)
    async with refused("от 1 до 40"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 0, DAY, school_class=five_a)
    async with refused("одно из двух"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 2, DAY, school_class=five_a, study_group=gid)
    async with refused("одно из двух"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 2, DAY)
    async with refused("уже есть действующая нагрузка"):  # tiny_school has this open row
        await actions.do_add_load(SYSTEM, teacher, s.subject, 3, DAY, school_class=five_a)
    async with refused("вне учебного года"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 3, date(2027, 7, 1), study_group=gid)
    async with refused("из списка"):
        await actions.do_add_load(SYSTEM, teacher, s.subject, 3, DAY, study_group=gid + 1000)
    load = (await TeachingLoad.select(TeachingLoad.id).where(TeachingLoad.teacher == teacher).first().run())["id"]
    async with refused("позже начала"):
        await actions.do_change_load(SYSTEM, load, teacher, 3, YEAR_START)
    async with refused("Ничего не изменилось"):
        await actions.do_change_load(SYSTEM, load, teacher, 5, DAY)
    async with refused("уже есть действующая нагрузка"):  # klruk teaches 5А maths too
        await actions.do_change_load(SYSTEM, load, s.people["klruk"], 5, DAY)
    async with refused("уволен"):
        await actions.do_change_load(SYSTEM, load, s.people["admin"], 5, DAY)
    with pytest.raises(NotFound):
        await actions.do_change_load(SYSTEM, 999_999, teacher, 3, DAY)


async def test_two_requests_at_once_make_one_class_and_one_load_row(pg_db):
    """Two deputies pressing «Создать» at once (real concurrent connections on PostgreSQL):
    one «7Б», one open load row, the other request refused."""
    s = await school()
    gid = await actions.do_create_group(SYSTEM, s.year, "elective", "Элективный курс: логика")
    await dbmod.start_pool(10)
    try:
        results = await asyncio.gather(*[actions.do_create_class(SYSTEM, s.year, 7, "Б", 5, None, DAY)
                                         for _ in range(6)], return_exceptions=True)
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, int | Refused) for r in results), results
        results = await asyncio.gather(*[actions.do_add_load(SYSTEM, s.people["other"], s.subject, 2, DAY,
                                                             study_group=gid) for _ in range(6)],
                                       return_exceptions=True)
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, int | Refused) for r in results), results
    finally:
        await dbmod.close_pool()
    assert await SchoolClass.count().where(SchoolClass.name == "7Б").run() == 1
    assert await TeachingLoad.count().where(TeachingLoad.study_group == gid).run() == 1
