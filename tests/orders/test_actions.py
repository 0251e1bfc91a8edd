"""The order book's actions on both engines (R-ORG-3, R-ORG-1, R-YEAR-1): each order moves
students by dated intervals, each refusal writes nothing (rows and audit rows counted), a
cancelling order undoes exactly what the cancelled one did, and the year-end rollover is all or
nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.errors import NotFound, Refused
from service.orders import actions
from service.orders.actions import OrderHead
from service.school.tables import AcademicYear, Enrolment, Movement, SchoolClass, SchoolOrder
from tests.orders.helpers import (
    NEXT_START,
    SYSTEM,
    YEAR_END,
    YEAR_START,
    class_of,
    counts,
    groups_of,
    head,
    order_school,
)

pytestmark = pytest.mark.anyio
OCT1, NOV1 = date(2026, 10, 1), date(2026, 11, 1)


async def refused(call, match: str) -> Refused:
    """The call is refused with a message matching ``match`` and nothing at all is written."""
    before = await counts()
    with pytest.raises(Refused, match=match) as info:
        await call
    assert await counts() == before
    return info.value


async def test_enrolment_puts_a_person_in_a_class_from_its_date(db):
    """R-ORG-3: enrolment by an order with number and date; the class has the pupil from that
    date on, not before; one audit row for the order and one for the enrolment."""
    s = await order_school()
    before = await AuditEvent.count().run()
    order = await actions.do_enrol(SYSTEM, head("12-у"), [s.people["novice"]], s.classes["5А"], OCT1)
    assert await class_of(s.people["novice"], date(2026, 9, 30)) == []
    assert await class_of(s.people["novice"], OCT1) == [s.classes["5А"]]
    assert await AuditEvent.count().run() == before + 2
    line = await Movement.select().where(Movement.school_order == order).first().run()
    assert (line["kind"], line["to_class"], line["on_date"]) == ("enrol", s.classes["5А"], OCT1)
    assert (await verify_chain()).ok


async def test_a_student_is_never_enrolled_twice_at_once(db):
    """Bad input from the issue: a student enrolled twice at once — refused, nothing written."""
    s = await order_school()
    error = await refused(actions.do_enrol(SYSTEM, head("13"), [s.people["pupil1"]],
                                           s.classes["6Б"], OCT1), "в два класса одновременно")
    assert "5А" in error.message and error.field == "students"
    # also a pupil enrolled from a later date: an open enrolment from October meets it
    await actions.do_enrol(SYSTEM, head("14"), [s.people["novice"]], s.classes["5А"], NOV1)
    await refused(actions.do_enrol(SYSTEM, head("15"), [s.people["novice"]], s.classes["6Б"], OCT1),
                  "№ 14")


async def test_transfer_closes_the_old_class_the_day_before(db):
    """R-ORG-3: a transfer «с 1 ноября»: in 5А until 31 October, in 6Б from 1 November."""
    s = await order_school()
    pupil = s.people["pupil1"]
    await actions.do_transfer(SYSTEM, head("20"), [pupil], s.classes["6Б"], NOV1)
    assert await class_of(pupil, date(2026, 10, 31)) == [s.classes["5А"]]
    assert await class_of(pupil, NOV1) == [s.classes["6Б"]]


async def test_transfer_refusals_write_nothing(db):
    """Bad input from the issue: a transfer dated before enrolment; also into the same class,
    into a class of another year, on the enrolment's own day, outside the year."""
    s = await order_school()
    await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], s.classes["5А"], NOV1)
    error = await refused(actions.do_transfer(SYSTEM, head("2"), [s.people["novice"]],
                                              s.classes["6Б"], OCT1), "раньше зачисления")
    assert error.field == "on_date"
    await refused(actions.do_transfer(SYSTEM, head("2"), [s.people["novice"]], s.classes["6Б"], NOV1),
                  "не позже даты зачисления")
    await refused(actions.do_transfer(SYSTEM, head("2"), [s.people["pupil1"]], s.classes["5А"], NOV1),
                  "тот же класс")
    other = (await SchoolClass.insert(SchoolClass(
        year=s.classes["next_year"], grade=6, letter="Б", name="6Б", created_at=YEAR_START))
        .returning(SchoolClass.id).run())[0]["id"]
    await refused(actions.do_transfer(SYSTEM, head("2", date(2027, 9, 1)), [s.people["pupil1"]],
                                      other, date(2027, 9, 2)), "другого учебного года")
    await refused(actions.do_transfer(SYSTEM, head("2"), [s.people["pupil1"]], s.classes["6Б"],
                                      date(2027, 6, 15)), "вне 2026/2027 учебного года")


async def test_order_numbers_are_unique_within_a_calendar_year(db):
    s = await order_school()
    await actions.do_enrol(SYSTEM, head("7-у"), [s.people["novice"]], s.classes["5А"], OCT1)
    error = await refused(actions.do_withdraw(SYSTEM, head("7-у", date(2026, 12, 1)),
                                              [s.people["pupil1"]], date(2026, 12, 1), "школа № 5"),
                          "№ 7-у уже есть")
    assert error.field == "number"
    # the same number next calendar year is a different order
    await actions.do_withdraw(SYSTEM, head("7-у", date(2027, 1, 11)), [s.people["pupil1"]],
                              date(2027, 1, 11), "школа № 5")


async def test_absurd_order_header_is_refused(db):
    s = await order_school()
    await refused(actions.do_enrol(SYSTEM, head(""), [s.people["novice"]], s.classes["5А"], OCT1),
                  "Номер приказа")
    await refused(actions.do_enrol(SYSTEM, head("x" * 41), [s.people["novice"]], s.classes["5А"], OCT1),
                  "не длиннее")
    await refused(actions.do_enrol(SYSTEM, head("1", date(2019, 1, 1)), [s.people["novice"]],
                                   s.classes["5А"], OCT1), "дальше чем на год")
    with pytest.raises(NotFound):
        await actions.do_enrol(SYSTEM, head("1"), [10**6], s.classes["5А"], OCT1)
    with pytest.raises(NotFound):
        await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], 10**6, OCT1)


async def test_withdrawal_ends_the_class_and_every_group(db):
    s = await order_school()
    pupil = s.people["pupil1"]
    await actions.do_group_join(SYSTEM, head("3"), s.classes["club"], [pupil], OCT1)
    await actions.do_withdraw(SYSTEM, head("4", NOV1), [pupil], NOV1, "переезд, школа № 5 г. Тверь")
    assert await class_of(pupil, NOV1) == [] and await groups_of(pupil, NOV1) == []
    assert await groups_of(pupil, date(2026, 10, 31)) == [s.classes["club"]]
    await refused(actions.do_withdraw(SYSTEM, head("5", NOV1), [pupil], NOV1, "снова"),
                  "не состоит ни в одном классе")
    await refused(actions.do_withdraw(SYSTEM, head("5", NOV1), [s.people["pupil2"]], NOV1, " "),
                  "Куда выбыл")


async def test_subgroup_members_belong_to_its_class(db):
    """R-ORG-1: a subgroup of 5А takes only 5А's pupils on that date; a transfer out of 5А
    ends the subgroup too, and cancelling the transfer brings both back."""
    s = await order_school()
    english = s.classes["english"]
    await refused(actions.do_group_join(SYSTEM, head("6"), english, [s.people["pupil3"]], OCT1),
                  "не состоит в 5А классе")
    await actions.do_group_join(SYSTEM, head("6"), english, [s.people["pupil1"]], OCT1)
    await refused(actions.do_group_join(SYSTEM, head("7"), english, [s.people["pupil1"]], NOV1),
                  "уже в группе")
    transfer = await actions.do_transfer(SYSTEM, head("8", NOV1), [s.people["pupil1"]],
                                         s.classes["6Б"], NOV1)
    assert await groups_of(s.people["pupil1"], NOV1) == []
    await actions.do_cancel(SYSTEM, head("9", NOV1), transfer)
    assert await groups_of(s.people["pupil1"], NOV1) == [english]
    assert await class_of(s.people["pupil1"], NOV1) == [s.classes["5А"]]


async def test_group_leave_from_a_date(db):
    s = await order_school()
    club = s.classes["club"]
    await actions.do_group_join(SYSTEM, head("1"), club, [s.people["pupil1"], s.people["pupil3"]], OCT1)
    await actions.do_group_leave(SYSTEM, head("2"), club, [s.people["pupil3"]], NOV1)
    assert await groups_of(s.people["pupil3"], NOV1) == []
    assert await groups_of(s.people["pupil1"], NOV1) == [club]
    await refused(actions.do_group_leave(SYSTEM, head("3"), club, [s.people["pupil2"]], NOV1),
                  "не состоит в группе")


async def test_cancelling_an_enrolment_leaves_the_order_in_the_book(db):
    """R-ORG-3: nothing is deleted; the cancelled order stays, the pupil is in no class on any
    date, and a second cancellation is refused."""
    s = await order_school()
    enrol = await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], s.classes["5А"], OCT1)
    rows = await Enrolment.count().run()
    cancel = await actions.do_cancel(SYSTEM, head("2"), enrol)
    assert await Enrolment.count().run() == rows
    assert await class_of(s.people["novice"], OCT1) == []
    assert await class_of(s.people["novice"], date(2027, 5, 1)) == []
    assert (await SchoolOrder.select(SchoolOrder.cancels).where(SchoolOrder.id == cancel)
            .first().run())["cancels"] == enrol
    await refused(actions.do_cancel(SYSTEM, head("3"), enrol), "уже отменён приказом № 2")
    await refused(actions.do_cancel(SYSTEM, head("3"), cancel), "отменить нельзя")
    # the person can now be enrolled anew
    await actions.do_enrol(SYSTEM, head("4"), [s.people["novice"]], s.classes["6Б"], OCT1)


async def test_cancel_is_refused_while_a_later_order_rests_on_it(db):
    s = await order_school()
    enrol = await actions.do_enrol(SYSTEM, head("1"), [s.people["novice"]], s.classes["5А"], OCT1)
    await actions.do_transfer(SYSTEM, head("2-п", NOV1), [s.people["novice"]], s.classes["6Б"], NOV1)
    error = await refused(actions.do_cancel(SYSTEM, head("3", NOV1), enrol), "№ 2-п")
    assert "Лебедев" in error.message
    # a withdrawal followed by a new enrolment: cancelling the withdrawal would overlap
    pupil = s.people["pupil2"]
    withdraw = await actions.do_withdraw(SYSTEM, head("4", NOV1), [pupil], NOV1, "школа № 3")
    await actions.do_enrol(SYSTEM, head("5", NOV1), [pupil], s.classes["6Б"], date(2026, 12, 1))
    await refused(actions.do_cancel(SYSTEM, head("6", NOV1), withdraw), "№ 5")


async def test_cancelling_a_withdrawal_reopens_the_class(db):
    s = await order_school()
    pupil = s.people["pupil2"]
    withdraw = await actions.do_withdraw(SYSTEM, head("4", NOV1), [pupil], NOV1, "школа № 3")
    await actions.do_cancel(SYSTEM, head("5", NOV1), withdraw)
    assert await class_of(pupil, date(2027, 3, 1)) == [s.classes["5А"]]


async def test_rollover_promotes_classes_and_closes_the_year(db):
    """R-ORG-3 item 7, R-YEAR-1: 5А → 6А, 6Б → 7Б with their class teachers, 11А graduates,
    one 9А pupil leaves and one is held back in 9А; the old year is closed, stays as it was, and
    refuses any further order; a second rollover is refused."""
    s = await order_school()
    year, new = s.classes["year"], s.classes["next_year"]
    result = await actions.do_rollover(
        SYSTEM, year, new, OrderHead("101", date(2027, 6, 20)), OrderHead("100", date(2027, 6, 20)),
        leaving=[s.people["ninth"]], held_back=[s.people["ninth2"]])
    assert result["graduated"] == 2 and result["repeat"] == 1 and result["promoted"] == 3
    classes = {c["name"]: c for c in await SchoolClass.select().where(SchoolClass.year == new).run()}
    assert set(classes) == {"6А", "7Б", "9А", "10А"}
    assert classes["6А"]["class_teacher"] == s.people["klruk"]
    assert await class_of(s.people["pupil1"], YEAR_END) == [s.classes["5А"]]
    assert await class_of(s.people["pupil1"], NEXT_START) == [classes["6А"]["id"]]
    assert await class_of(s.people["pupil3"], NEXT_START) == [classes["7Б"]["id"]]
    assert await class_of(s.people["ninth2"], NEXT_START) == [classes["9А"]["id"]]
    assert await class_of(s.people["ninth"], NEXT_START) == []
    assert await class_of(s.people["eleventh"], NEXT_START) == []
    assert await class_of(s.people["eleventh"], YEAR_END) == [s.classes["11А"]]
    closed = await AcademicYear.select(AcademicYear.closed_at).where(AcademicYear.id == year).first().run()
    assert closed["closed_at"] is not None
    await refused(actions.do_rollover(SYSTEM, year, new, OrderHead("102", date(2027, 6, 21)), None),
                  "уже закрыт")
    await refused(actions.do_enrol(SYSTEM, head("103", date(2027, 5, 1)), [s.people["novice"]],
                                   s.classes["5А"], date(2027, 5, 2)), "закрыт")
    await refused(actions.do_cancel(SYSTEM, head("104", date(2027, 6, 22)), result["promote"]),
                  "отменить нельзя")
    assert (await verify_chain()).ok


async def test_a_failed_rollover_leaves_everything_as_it_was(db):
    s = await order_school()
    year, new = s.classes["year"], s.classes["next_year"]
    await actions.do_enrol(SYSTEM, head("50", date(2027, 6, 1)), [s.people["novice"]], s.classes["5А"],
                           date(2027, 5, 3))
    # the graduate order's number is taken: refused at the end, after the classes were made
    await refused(actions.do_rollover(SYSTEM, year, new, OrderHead("101", date(2027, 6, 20)),
                                      OrderHead("50", date(2027, 6, 20))), "№ 50 уже есть")
    await refused(actions.do_rollover(SYSTEM, year, new, OrderHead("101", date(2027, 6, 20)), None),
                  "приказа о выпуске")
    await refused(actions.do_rollover(SYSTEM, year, new, OrderHead("101", date(2027, 6, 20)),
                                      OrderHead("102", date(2027, 6, 20)),
                                      leaving=[s.people["pupil1"]]), "9 классов")
    await refused(actions.do_rollover(SYSTEM, new, year, OrderHead("101", date(2027, 6, 20)), None),
                  "начинаться после")


async def test_audit_names_every_record(db):
    """One audit row per record an order creates or changes (R-ORG-3 with the audit rule)."""
    s = await order_school()
    before = await AuditEvent.count().run()
    await actions.do_transfer(SYSTEM, head("1", NOV1), [s.people["pupil1"], s.people["pupil2"]],
                              s.classes["6Б"], NOV1)
    rows = await AuditEvent.select(AuditEvent.action).where(AuditEvent.seq > before).run()
    names = sorted(r["action"] for r in rows)
    assert names == ["orders.enrolment_closed"] * 2 + ["orders.enrolment_opened"] * 2 + [
        "orders.order_created"]
    assert all(re.match(r"orders\.", n) for n in names)


async def _snapshot(students: list[int]) -> dict:
    """Who is in which class and group on days across the year: what the journals will show."""
    days = [date(2026, 9, 1), date(2026, 10, 31), NOV1, date(2026, 11, 2), date(2027, 3, 1), YEAR_END]
    return {(p, d): (await class_of(p, d), await groups_of(p, d)) for p in students for d in days}


async def test_cancelling_restores_the_memberships_exactly(db):
    """R-ORG-3: for each kind of order, cancelling it gives back exactly the class and group
    membership of every day as it was before the order."""
    s = await order_school()
    pupils = [s.people[k] for k in ("pupil1", "pupil2", "pupil3", "novice")]
    await actions.do_group_join(SYSTEM, head("1"), s.classes["english"],
                                [s.people["pupil1"], s.people["pupil2"]], OCT1)
    await actions.do_group_join(SYSTEM, head("2"), s.classes["club"], [s.people["pupil3"]], OCT1)
    orders = [
        lambda: actions.do_enrol(SYSTEM, head("10"), [s.people["novice"]], s.classes["6Б"], NOV1),
        lambda: actions.do_transfer(SYSTEM, head("11"), [s.people["pupil1"], s.people["pupil2"]],
                                    s.classes["6Б"], NOV1),
        lambda: actions.do_withdraw(SYSTEM, head("12"), [s.people["pupil3"]], NOV1, "гимназия № 2"),
        lambda: actions.do_group_join(SYSTEM, head("13"), s.classes["club"], [s.people["pupil1"]], NOV1),
        lambda: actions.do_group_leave(SYSTEM, head("14"), s.classes["english"],
                                       [s.people["pupil2"]], NOV1),
    ]
    for n, make in enumerate(orders):
        before = await _snapshot(pupils)
        order = await make()
        assert await _snapshot(pupils) != before
        await actions.do_cancel(SYSTEM, head(f"{20 + n}"), order)
        assert await _snapshot(pupils) == before, n
    assert (await verify_chain()).ok
