"""The tiny school plus what the order book needs: a secretary, a pupil-to-be, a subgroup of
5А, a 9th and an 11th class, and the next year (created by the calendar, without classes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.accounts.actions import do_create_person, do_create_user
from service.audit.tables import AuditEvent
from service.orders.actions import OrderHead
from service.school.tables import (
    AcademicYear,
    Enrolment,
    GroupMember,
    Movement,
    SchoolClass,
    SchoolOrder,
    StudyGroup,
)
from tests.factories import PASSWORD, SYSTEM, YEAR_START, TinySchool, tiny_school
from tests.snapshots import snapshotted

YEAR_END = date(2027, 5, 31)
NEXT_START, NEXT_END = date(2027, 9, 1), date(2028, 5, 31)


def head(number: str, dated: date = date(2026, 10, 1), title: str = "") -> OrderHead:
    return OrderHead(number, dated, title)


@snapshotted
async def order_school() -> TinySchool:
    s = await tiny_school()
    now = datetime.now(UTC)
    year = (await SchoolClass.select(SchoolClass.year).where(
        SchoolClass.id == s.classes["5А"]).first().run())["year"]
    s.classes["year"] = year
    for key, last, first in [("novice", "Лебедев", "Кирилл"), ("ninth", "Орлова", "Вера"),
                             ("ninth2", "Зайцев", "Пётр"), ("eleventh", "Фролова", "Нина")]:
        s.people[key] = await do_create_person(SYSTEM, last, first)
    s.people["sekretar"] = await do_create_person(SYSTEM, "Егорова", "Ирина", "Павловна")
    s.users["sekretar"] = await do_create_user(SYSTEM, "sekretar", PASSWORD, ["secretary"],
                                               s.people["sekretar"])
    for name, grade, letter in [("9А", 9, "А"), ("11А", 11, "А")]:
        s.classes[name] = (await SchoolClass.insert(SchoolClass(
            year=year, grade=grade, letter=letter, name=name, created_at=now))
            .returning(SchoolClass.id).run())[0]["id"]
    await Enrolment.insert(*[
        Enrolment(student=s.people[p], school_class=s.classes[c], starts_on=YEAR_START)
        for p, c in [("ninth", "9А"), ("ninth2", "9А"), ("eleventh", "11А")]]).run()
    s.classes["english"] = (await StudyGroup.insert(StudyGroup(
        year=year, name="Английский язык, 1 группа", kind="subgroup",
        school_class=s.classes["5А"], created_at=now)).returning(StudyGroup.id).run())[0]["id"]
    s.classes["club"] = (await StudyGroup.insert(StudyGroup(
        year=year, name="Шахматный кружок", kind="club", created_at=now))
        .returning(StudyGroup.id).run())[0]["id"]
    s.classes["next_year"] = (await AcademicYear.insert(AcademicYear(
        name="2027/2028", starts_on=NEXT_START, ends_on=NEXT_END))
        .returning(AcademicYear.id).run())[0]["id"]
    return s


async def counts() -> dict[str, int]:
    """Rows of everything an order may write, to show that a refusal wrote nothing."""
    tables = (SchoolOrder, Movement, Enrolment, GroupMember, SchoolClass, AuditEvent)
    result = {t._meta.tablename: await t.count().run() for t in tables}
    rows = await Enrolment.select(Enrolment.id, Enrolment.ends_on).order_by(Enrolment.id).run()
    result["enrolment_ends"] = hash(tuple((r["id"], r["ends_on"]) for r in rows))
    rows = await GroupMember.select(GroupMember.id, GroupMember.ends_on).run()
    result["member_ends"] = hash(tuple(sorted((r["id"], str(r["ends_on"])) for r in rows)))
    closed = await AcademicYear.select(AcademicYear.closed_at).order_by(AcademicYear.id).run()
    result["closed"] = hash(tuple(str(r["closed_at"]) for r in closed))
    return result


async def class_of(student: int, day: date) -> list[int]:
    """The classes a student is in on ``day`` (by the one in-force rule)."""
    rows = await Enrolment.raw(
        "SELECT school_class FROM enrolment WHERE student = {} AND starts_on <= {} "
        "AND (ends_on IS NULL OR ends_on >= {})", student, day, day).run()
    return sorted(r["school_class"] for r in rows)


async def groups_of(student: int, day: date) -> list[int]:
    rows = await GroupMember.raw(
        "SELECT study_group FROM group_member WHERE student = {} AND starts_on <= {} "
        "AND (ends_on IS NULL OR ends_on >= {})", student, day, day).run()
    return sorted(r["study_group"] for r in rows)


__all__ = ["NEXT_END", "NEXT_START", "SYSTEM", "YEAR_END", "YEAR_START", "class_of", "counts",
           "groups_of", "head", "order_school"]
