"""Everything that writes the order book and the memberships it makes (R-ORG-3). Each ``do_*``
is one transaction: the order, its lines («движение»), the dated intervals it opens or closes,
and one audit row per record it creates or changes. A refusal raises ``Refused`` and writes
nothing.

Every effect of an order is one of its lines, so that a cancelling order can undo exactly what
it did: a line with ``to_class`` or kind ``group_in`` opened a membership (the row carries the
order in ``school_order``); a line with ``from_class`` (transfer, withdrawal) or kind
``group_out`` closed the student's membership on the day before ``on_date``.

Two orders for one student never decide at once: each transaction locks the students' person
rows first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock already serialises).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from service import forms
from service.accounts.tables import Person
from service.audit.log import Actor, record
from service.db import atomic, is_postgres, xact_lock
from service.errors import NotFound, Refused
from service.orders import rules
from service.orders.queries import rollover_plan
from service.school.tables import (
    AcademicYear,
    Enrolment,
    GroupMember,
    Movement,
    SchoolClass,
    SchoolOrder,
    StudyGroup,
)

DAY = timedelta(days=1)
NUMBER_MAX = 40   # the school_order.number column
SANE_GAP = timedelta(days=366)  # an order is dated within a year of the day it takes effect
CANCELLABLE = ("enrol", "transfer", "withdraw", "groups")
KIND_NAMES = {
    "enrol": "о зачислении", "transfer": "о переводе", "withdraw": "о выбытии",
    "groups": "о составе группы", "promote": "о переводе в следующий класс",
    "graduate": "о выпуске", "cancel": "об отмене приказа",
}


@dataclass(frozen=True)
class OrderHead:
    """What every order has: its number in the book, its date and a title (may be empty: a
    title is then made from what the order does)."""

    number: str
    dated: date
    title: str = ""


def ru(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _now() -> datetime:
    return datetime.now(UTC)


# --- shared checks ---------------------------------------------------------------------------


def _clean_head(head: OrderHead, prefix: str = "") -> OrderHead:
    """The same limits as the form, so that no caller passes them."""
    number = forms.value(forms.Text("Номер приказа", NUMBER_MAX, required=True), head.number,
                         prefix + "number")
    title = forms.value(forms.Text("Заголовок приказа", forms.SHORT_MAX), head.title,
                        prefix + "title")
    if not isinstance(head.dated, date) or not forms.DAY_MIN <= head.dated <= forms.DAY_MAX:
        raise Refused("Дата приказа: укажите дату", field=prefix + "dated")
    return OrderHead(number, head.dated, title)


def _check_sane(head: OrderHead, effective: date, prefix: str = "") -> None:
    if abs(head.dated - effective) > SANE_GAP:
        raise Refused(f"Дата приказа {ru(head.dated)} дальше чем на год от даты, с которой он "
                      f"действует ({ru(effective)}): проверьте год", field=prefix + "dated")


async def _check_number(head: OrderHead, prefix: str = "") -> None:
    """Order numbers are unique within the calendar year of the order's date."""
    year = head.dated.year
    await xact_lock(f"school_order {year} {head.number}")
    taken = await SchoolOrder.select(SchoolOrder.id, SchoolOrder.dated).where(
        SchoolOrder.number == head.number,
        SchoolOrder.dated >= date(year, 1, 1), SchoolOrder.dated <= date(year, 12, 31)).first().run()
    if taken:
        raise Refused(f"Приказ № {head.number} уже есть в книге приказов за {year} год "
                      f"(от {ru(taken['dated'])}): у каждого приказа свой номер",
                      field=prefix + "number")


async def _lock_students(ids: Iterable[int]) -> dict[int, str]:
    """Lock the students' person rows until commit and return their names; an unknown id is
    404. Locked in id order, so two orders never wait for each other in a circle."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    lock = " FOR UPDATE" if is_postgres() else ""
    rows = await Person.raw(f"SELECT id, last_name, first_name FROM person WHERE id IN ({marks})"
                            f" ORDER BY id{lock}", *ids).run()
    if len(rows) != len(ids):
        raise NotFound()
    return {r["id"]: f"{r['last_name']} {r['first_name']}" for r in rows}


async def _class(class_id: int) -> dict:
    rows = await SchoolClass.raw(
        """SELECT c.id, c.name, c.grade, c.letter, c.year, y.name AS year_name,
                  y.starts_on, y.ends_on, y.closed_at
           FROM school_class c JOIN academic_year y ON y.id = c.year WHERE c.id = {}""",
        class_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def _group(group_id: int) -> dict:
    rows = await StudyGroup.raw(
        """SELECT g.id, g.name, g.school_class, g.year, y.name AS year_name,
                  y.starts_on, y.ends_on, y.closed_at
           FROM study_group g JOIN academic_year y ON y.id = g.year WHERE g.id = {}""",
        group_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


def _check_year(place: dict, day: date, field: str = "on_date") -> None:
    """Nothing is written into a closed year, and a movement falls inside its year (R-YEAR-1)."""
    if place["closed_at"] is not None:
        raise Refused(f"{place['year_name']} учебный год закрыт: после перевода на следующий год "
                      "в нём ничего не меняется", field=field)
    if not rules.within(day, place["starts_on"], place["ends_on"]):
        raise Refused(f"Дата {ru(day)} вне {place['year_name']} учебного года "
                      f"({ru(place['starts_on'])} — {ru(place['ends_on'])})", field=field)


async def _order_label(order_id: int | None) -> str:
    if order_id is None:
        return "без приказа в книге"
    row = await SchoolOrder.select(SchoolOrder.number, SchoolOrder.dated).where(
        SchoolOrder.id == order_id).first().run()
    return f"приказ № {row['number']} от {ru(row['dated'])}"


async def _closing_order(student: int, ends_on: date, *, school_class: int | None = None,
                         study_group: int | None = None) -> str:
    """The order that closed a membership on ``ends_on`` (a later order that depends on it)."""
    query = Movement.select(Movement.school_order).where(
        Movement.student == student, Movement.on_date == ends_on + DAY)
    query = (query.where(Movement.from_class == school_class) if school_class is not None
             else query.where(Movement.study_group == study_group, Movement.kind == "group_out"))
    row = await query.first().run()
    if row is None:  # closed at the end of a year by the rollover
        return "перевод на следующий год"
    return await _order_label(row["school_order"])


async def _create_order(actor: Actor, head: OrderHead, kind: str, title: str,
                        lines: list[dict], cancels: int | None = None) -> int:
    order_id = (await SchoolOrder.insert(SchoolOrder(
        number=head.number, dated=head.dated, kind=kind, title=head.title or title,
        cancels=cancels, created_at=_now(), created_by=actor.user_id,
    )).returning(SchoolOrder.id).run())[0]["id"]
    if lines:
        await Movement.insert(*[Movement(school_order=order_id, **line) for line in lines]).run()
    await record(actor, "orders.order_created", "school_order", order_id, new={
        "number": head.number, "dated": head.dated.isoformat(), "kind": kind,
        "title": head.title or title, "cancels": cancels,
        "lines": [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in line.items()}
                  for line in lines]})
    return order_id


async def _open_enrolment(actor: Actor, student: int, class_id: int, starts_on: date,
                          order_id: int) -> int:
    row_id = (await Enrolment.insert(Enrolment(
        student=student, school_class=class_id, starts_on=starts_on, school_order=order_id,
    )).returning(Enrolment.id).run())[0]["id"]
    await record(actor, "orders.enrolment_opened", "enrolment", row_id, new={
        "student": student, "school_class": class_id, "starts_on": starts_on.isoformat(),
        "school_order": order_id})
    return row_id


async def _set_enrolment_end(actor: Actor, row: dict, ends_on: date | None, order_id: int,
                             action: str = "orders.enrolment_closed") -> None:
    await Enrolment.update({Enrolment.ends_on: ends_on}).where(Enrolment.id == row["id"]).run()
    await record(actor, action, "enrolment", row["id"],
                 old={"ends_on": _iso(row["ends_on"])},
                 new={"ends_on": _iso(ends_on), "school_order": order_id})


async def _set_member_end(actor: Actor, row: dict, ends_on: date | None, order_id: int,
                          action: str = "orders.group_left") -> None:
    await GroupMember.update({GroupMember.ends_on: ends_on}).where(GroupMember.id == row["id"]).run()
    await record(actor, action, "group_member", row["id"],
                 old={"ends_on": _iso(row["ends_on"])},
                 new={"ends_on": _iso(ends_on), "school_order": order_id})


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _interval(row: dict) -> rules.Interval:
    return rules.Interval(row["starts_on"], row["ends_on"])


async def _enrolments(student: int) -> list[dict]:
    rows = await Enrolment.select(
        Enrolment.id, Enrolment.school_class, Enrolment.school_class.name.as_alias("class_name"),
        Enrolment.school_class.year.as_alias("year"), Enrolment.starts_on, Enrolment.ends_on,
        Enrolment.school_order,
    ).where(Enrolment.student == student).order_by(Enrolment.starts_on).run()
    return [r for r in rows if not _interval(r).void]


async def _memberships(student: int) -> list[dict]:
    rows = await GroupMember.select(
        GroupMember.id, GroupMember.study_group, GroupMember.study_group.name.as_alias("group_name"),
        GroupMember.study_group.school_class.as_alias("group_class"),
        GroupMember.starts_on, GroupMember.ends_on, GroupMember.school_order,
    ).where(GroupMember.student == student).order_by(GroupMember.starts_on).run()
    return [r for r in rows if not _interval(r).void]


def _in_force(rows: list[dict], day: date) -> dict | None:
    return next((r for r in rows if _interval(r).covers(day)), None)


async def _close_memberships(actor: Actor, student: int, name: str, day: date, order_id: int,
                             only_class: int | None, lines: list[dict]) -> None:
    """Close the student's group memberships (only the subgroups of ``only_class``, or all)
    on the day before ``day``, adding a ``group_out`` line for each, so a cancellation can
    reopen exactly these."""
    for m in await _memberships(student):
        if only_class is not None and m["group_class"] != only_class:
            continue
        if m["ends_on"] is not None and m["ends_on"] < day:
            continue  # ended already
        if m["ends_on"] is not None or m["starts_on"] >= day:
            raise Refused(f"{name}: в группе «{m['group_name']}» после {ru(day)} есть более поздний "
                          f"приказ ({await _order_label(m['school_order'])}); сначала отмените его",
                          field="students")
        await _set_member_end(actor, m, day - DAY, order_id)
        lines.append({"student": student, "kind": "group_out", "study_group": m["study_group"],
                      "on_date": day, "reason": ""})


# --- enrolment, transfer, withdrawal ---------------------------------------------------------


async def do_enrol(actor: Actor, head: OrderHead, students: list[int], class_id: int,
                   on_date: date) -> int:
    """«Зачисление»: existing people become pupils of a class from ``on_date``. A student is in
    at most one class on any day."""
    head = _clean_head(head)
    if not students:
        raise Refused("Отметьте, кого зачислить", field="students")
    async with atomic():
        target = await _class(class_id)
        _check_year(target, on_date)
        _check_sane(head, on_date)
        await _check_number(head)
        names = await _lock_students(students)
        for student, name in names.items():
            clash = rules.first_overlap(rules.Interval(on_date), (
                (r, _interval(r)) for r in await _enrolments(student)))
            if clash is not None:
                ends = f" по {ru(clash['ends_on'])}" if clash["ends_on"] else ""
                raise Refused(f"{name} уже состоит в {clash['class_name']} классе с "
                              f"{ru(clash['starts_on'])}{ends} "
                              f"({await _order_label(clash['school_order'])}): ученик не может "
                              "быть зачислен в два класса одновременно", field="students")
        lines = [{"student": s, "kind": "enrol", "to_class": class_id, "on_date": on_date,
                  "reason": ""} for s in names]
        order_id = await _create_order(actor, head, "enrol", f"О зачислении в {target['name']} класс",
                                       lines)
        for student in names:
            await _open_enrolment(actor, student, class_id, on_date, order_id)
    return order_id


async def _current(student: int, name: str, day: date, doing: str) -> dict:
    """The enrolment a transfer or withdrawal «с ``day``» closes: in force on that day, started
    before it and not already closed by a later order."""
    enrolments = await _enrolments(student)
    current = _in_force(enrolments, day)
    later = next((e for e in enrolments if e["starts_on"] > day), None)
    if current is None and later is not None:
        raise Refused(f"{name}: {doing} с {ru(day)} — раньше зачисления в "
                      f"{later['class_name']} класс ({ru(later['starts_on'])})", field="on_date")
    if current is None:
        raise Refused(f"{name} не состоит ни в одном классе на {ru(day)}: {doing} невозможен",
                      field="students")
    if day <= current["starts_on"]:
        raise Refused(f"{name}: {doing} с {ru(day)} — не позже даты зачисления в "
                      f"{current['class_name']} класс ({ru(current['starts_on'])}); укажите дату "
                      "после зачисления", field="on_date")
    if current["ends_on"] is not None:
        later = await _closing_order(student, current["ends_on"],
                                     school_class=current["school_class"])
        raise Refused(f"{name} выбывает из {current['class_name']} класса после "
                      f"{ru(current['ends_on'])} по более позднему приказу ({later}); "
                      "сначала отмените его", field="students")
    return current


async def do_transfer(actor: Actor, head: OrderHead, students: list[int], to_class: int,
                      on_date: date) -> int:
    """«Перевод» into another class of the same year from ``on_date``: the current enrolment
    closes on the day before, the new one opens; subgroups of the old class are left too."""
    head = _clean_head(head)
    if not students:
        raise Refused("Отметьте, кого перевести", field="students")
    async with atomic():
        target = await _class(to_class)
        _check_year(target, on_date)
        _check_sane(head, on_date)
        await _check_number(head)
        names = await _lock_students(students)
        plans = []
        for student, name in names.items():
            current = await _current(student, name, on_date, "перевод")
            if current["school_class"] == to_class:
                raise Refused(f"{name} уже в {target['name']} классе: перевод в тот же класс не нужен",
                              field="to_class")
            if current["year"] != target["year"]:
                raise Refused(f"{target['name']} класс — другого учебного года ({target['year_name']}): "
                              "переводят в класс того же года, в следующий — переводом на "
                              "следующий год", field="to_class")
            plans.append((student, name, current))
        order_id = await _create_order(actor, head, "transfer",
                                       f"О переводе в {target['name']} класс", [])
        lines: list[dict] = []
        for student, name, current in plans:
            await _set_enrolment_end(actor, current, on_date - DAY, order_id)
            await _close_memberships(actor, student, name, on_date, order_id,
                                     current["school_class"], lines)
            await _open_enrolment(actor, student, to_class, on_date, order_id)
            lines.append({"student": student, "kind": "transfer",
                          "from_class": current["school_class"], "to_class": to_class,
                          "on_date": on_date, "reason": ""})
        await Movement.insert(*[Movement(school_order=order_id, **line) for line in lines]).run()
    return order_id


async def do_withdraw(actor: Actor, head: OrderHead, students: list[int], on_date: date,
                      reason: str) -> int:
    """«Выбытие» from ``on_date`` (the first day the student is no longer at school), with where
    they went; every group membership ends too."""
    head = _clean_head(head)
    reason = forms.value(forms.Text("Куда выбыл", forms.SHORT_MAX, required=True), reason, "reason")
    if not students:
        raise Refused("Отметьте, кто выбывает", field="students")
    async with atomic():
        _check_sane(head, on_date)
        await _check_number(head)
        names = await _lock_students(students)
        plans = []
        for student, name in names.items():
            current = await _current(student, name, on_date, "выбытие")
            _check_year(await _class(current["school_class"]), on_date)
            plans.append((student, name, current))
        order_id = await _create_order(actor, head, "withdraw", "О выбытии", [])
        lines: list[dict] = []
        for student, name, current in plans:
            await _set_enrolment_end(actor, current, on_date - DAY, order_id)
            await _close_memberships(actor, student, name, on_date, order_id, None, lines)
            lines.append({"student": student, "kind": "withdraw",
                          "from_class": current["school_class"], "on_date": on_date,
                          "reason": reason})
        await Movement.insert(*[Movement(school_order=order_id, **line) for line in lines]).run()
    return order_id


# --- groups ----------------------------------------------------------------------------------


async def do_group_join(actor: Actor, head: OrderHead, group_id: int, students: list[int],
                        on_date: date) -> int:
    """Students join a study group from ``on_date``. A subgroup's members belong to its class on
    that date (and stay there: a later transfer takes them out)."""
    head = _clean_head(head)
    if not students:
        raise Refused("Отметьте, кого включить в группу", field="students")
    async with atomic():
        group = await _group(group_id)
        _check_year(group, on_date)
        _check_sane(head, on_date)
        await _check_number(head)
        names = await _lock_students(students)
        for student, name in names.items():
            enrolment = _in_force(await _enrolments(student), on_date)
            if group["school_class"] is not None:
                if enrolment is None or enrolment["school_class"] != group["school_class"]:
                    owner = await _class(group["school_class"])
                    raise Refused(f"{name} не состоит в {owner['name']} классе на {ru(on_date)}: "
                                  f"в подгруппу «{group['name']}» включают только учеников класса",
                                  field="students")
                if enrolment["ends_on"] is not None:
                    raise Refused(f"{name} выбывает из класса после {ru(enrolment['ends_on'])}: "
                                  "сначала отмените тот приказ или выберите другую дату",
                                  field="students")
            elif enrolment is None or enrolment["year"] != group["year"]:
                raise Refused(f"{name} не учится в школе на {ru(on_date)}: в группу включают "
                              "только зачисленных учеников", field="students")
            mine = [m for m in await _memberships(student) if m["study_group"] == group_id]
            clash = rules.first_overlap(rules.Interval(on_date), ((m, _interval(m)) for m in mine))
            if clash is not None:
                raise Refused(f"{name} уже в группе «{group['name']}» с {ru(clash['starts_on'])}",
                              field="students")
        lines = [{"student": s, "kind": "group_in", "study_group": group_id, "on_date": on_date,
                  "reason": ""} for s in names]
        order_id = await _create_order(actor, head, "groups",
                                       f"О включении в группу «{group['name']}»", lines)
        for student in names:
            row_id = (await GroupMember.insert(GroupMember(
                study_group=group_id, student=student, starts_on=on_date, school_order=order_id,
            )).returning(GroupMember.id).run())[0]["id"]
            await record(actor, "orders.group_joined", "group_member", row_id, new={
                "student": student, "study_group": group_id, "starts_on": on_date.isoformat(),
                "school_order": order_id})
    return order_id


async def do_group_leave(actor: Actor, head: OrderHead, group_id: int, students: list[int],
                         on_date: date) -> int:
    """Students leave a study group from ``on_date`` (the day before is their last)."""
    head = _clean_head(head)
    if not students:
        raise Refused("Отметьте, кого исключить из группы", field="students")
    async with atomic():
        group = await _group(group_id)
        _check_year(group, on_date)
        _check_sane(head, on_date)
        await _check_number(head)
        names = await _lock_students(students)
        plans = []
        for student, name in names.items():
            mine = [m for m in await _memberships(student) if m["study_group"] == group_id]
            current = _in_force(mine, on_date)
            if current is None:
                raise Refused(f"{name} не состоит в группе «{group['name']}» на {ru(on_date)}",
                              field="students")
            if on_date <= current["starts_on"] or current["ends_on"] is not None:
                raise Refused(f"{name}: исключить из группы можно после даты включения "
                              f"({ru(current['starts_on'])}) и пока нет более позднего приказа",
                              field="on_date")
            plans.append((student, current))
        lines = [{"student": s, "kind": "group_out", "study_group": group_id, "on_date": on_date,
                  "reason": ""} for s, _ in plans]
        order_id = await _create_order(actor, head, "groups",
                                       f"Об исключении из группы «{group['name']}»", lines)
        for _, current in plans:
            await _set_member_end(actor, current, on_date - DAY, order_id)
    return order_id


# --- cancellation ----------------------------------------------------------------------------


async def do_cancel(actor: Actor, head: OrderHead, order_id: int) -> int:
    """«Приказ об отмене»: a new order that undoes a mistaken one. What it opened is closed on
    the day before it starts (no day is in it any more), what it closed is open again; the
    cancelled order stays in the book, marked. Refused when a later order for the same students
    rests on it (named, to be cancelled first)."""
    head = _clean_head(head)
    async with atomic():
        # one cancellation of an order at a time: a second one at the same moment waits here and
        # then finds the first (below), instead of cancelling the order a second time
        await xact_lock(f"school_order cancel {order_id}")
        order = await SchoolOrder.select().where(SchoolOrder.id == order_id).first().run()
        if order is None:
            raise NotFound()
        label = f"№ {order['number']} от {ru(order['dated'])}"
        if order["kind"] not in CANCELLABLE:
            raise Refused(f"Приказ {label} ({KIND_NAMES.get(order['kind'], order['kind'])}) "
                          "отменить нельзя" + (": прошлый учебный год закрыт"
                                               if order["kind"] in ("promote", "graduate") else ""))
        already = await SchoolOrder.select(SchoolOrder.number, SchoolOrder.dated).where(
            SchoolOrder.cancels == order_id).first().run()
        if already:
            raise Refused(f"Приказ {label} уже отменён приказом № {already['number']} от "
                          f"{ru(already['dated'])}")
        lines = await Movement.select().where(Movement.school_order == order_id).run()
        _check_sane(head, min(line["on_date"] for line in lines) if lines else head.dated)
        await _check_number(head)
        names = await _lock_students(line["student"] for line in lines)
        for line in lines:
            for place in filter(None, [
                    await _class(line["from_class"]) if line["from_class"] else None,
                    await _class(line["to_class"]) if line["to_class"] else None,
                    await _group(line["study_group"]) if line["study_group"] else None]):
                _check_year(place, line["on_date"], field="__all__")

        # What the order opened must still be open: a later order closing it rests on it.
        opened = [r for r in await Enrolment.select().where(Enrolment.school_order == order_id).run()
                  if not _interval(r).void]
        joined = [r for r in await GroupMember.select().where(GroupMember.school_order == order_id).run()
                  if not _interval(r).void]
        for row in opened:
            if row["ends_on"] is not None:
                later = await _closing_order(row["student"], row["ends_on"],
                                             school_class=row["school_class"])
                raise Refused(f"Отменить приказ {label} нельзя: по ученику {names[row['student']]} "
                              f"после него внесён {later} — сначала отмените его")
            for m in await _memberships(row["student"]):
                if (m["group_class"] == row["school_class"] and m["school_order"] != order_id
                        and rules.overlaps(_interval(m), _interval(row))):
                    raise Refused(f"Отменить приказ {label} нельзя: {names[row['student']]} включён "
                                  f"в подгруппу «{m['group_name']}» "
                                  f"({await _order_label(m['school_order'])}) — сначала отмените его")
        for row in joined:
            if row["ends_on"] is not None:
                later = await _closing_order(row["student"], row["ends_on"],
                                             study_group=row["study_group"])
                raise Refused(f"Отменить приказ {label} нельзя: по ученику {names[row['student']]} "
                              f"после него внесён {later} — сначала отмените его")

        cancel_id = await _create_order(
            actor, head, "cancel", f"Об отмене приказа {label}",
            [{"student": s, "kind": "cancel", "on_date": head.dated, "reason": ""} for s in names],
            cancels=order_id)
        for row in opened:
            await _set_enrolment_end(actor, row, rules.voided(_interval(row)).ends_on, cancel_id,
                                     "orders.order_cancelled")
        for row in joined:
            await _set_member_end(actor, row, rules.voided(_interval(row)).ends_on, cancel_id,
                                  "orders.order_cancelled")
        for line in lines:  # reopen what it closed
            closed_on = line["on_date"] - DAY
            if line["from_class"] is not None:
                row = await Enrolment.select().where(
                    Enrolment.student == line["student"], Enrolment.school_class == line["from_class"],
                    Enrolment.ends_on == closed_on, Enrolment.starts_on <= closed_on).first().run()
                if row:
                    await _set_enrolment_end(actor, row, None, cancel_id, "orders.order_cancelled")
            elif line["kind"] == "group_out":
                row = await GroupMember.select().where(
                    GroupMember.student == line["student"],
                    GroupMember.study_group == line["study_group"],
                    GroupMember.ends_on == closed_on, GroupMember.starts_on <= closed_on).first().run()
                if row:
                    await _set_member_end(actor, row, None, cancel_id, "orders.order_cancelled")
        # Reopened intervals may now meet a later order's (a re-enrolment after a withdrawal):
        # then that order rests on this one, and nothing is written.
        for student, name in names.items():
            await _refuse_overlaps(student, name, label)
    return cancel_id


async def _refuse_overlaps(student: int, name: str, label: str) -> None:
    enrolments = await _enrolments(student)
    for i, a in enumerate(enrolments):
        for b in enrolments[i + 1:]:
            if rules.overlaps(_interval(a), _interval(b)):
                later = max(a, b, key=lambda r: r["starts_on"])
                raise Refused(f"Отменить приказ {label} нельзя: {name} с {ru(later['starts_on'])} "
                              f"состоит в {later['class_name']} классе "
                              f"({await _order_label(later['school_order'])}) — сначала отмените его")
    memberships = await _memberships(student)
    for i, a in enumerate(memberships):
        for b in memberships[i + 1:]:
            if a["study_group"] == b["study_group"] and rules.overlaps(_interval(a), _interval(b)):
                later = max(a, b, key=lambda r: r["starts_on"])
                raise Refused(f"Отменить приказ {label} нельзя: {name} снова включён в группу "
                              f"«{later['group_name']}» ({await _order_label(later['school_order'])})"
                              " — сначала отмените его")


# --- the year-end rollover -------------------------------------------------------------------


async def do_rollover(actor: Actor, old_year: int, new_year: int, promote: OrderHead,
                      graduate: OrderHead | None, leaving: Iterable[int] = (),
                      held_back: Iterable[int] = ()) -> dict:
    """«Перевод на следующий год» in one transaction: the new year's classes (7Б → 8Б with its
    class teacher), a «promote» order moving every pupil from the new year's first day, a
    «graduate» order for those who finish school, every membership of the old year closed on
    its last day, and the old year closed for good. A failure leaves everything as it was;
    a second rollover of the same year is refused."""
    promote = _clean_head(promote, "promote_")
    graduate = _clean_head(graduate, "graduate_") if graduate else None
    async with atomic():
        # The year row is locked first: two rollovers of one year queue, the second is refused.
        if is_postgres():
            await AcademicYear.raw("SELECT id FROM academic_year WHERE id = {} FOR UPDATE",
                                   old_year).run()
        old, new, plan = await rollover_plan(old_year, new_year, leaving, held_back)
        starts, ends = new["starts_on"], old["ends_on"]
        _check_sane(promote, starts, "promote_")
        graduates = plan.of_kind("graduate")
        if graduates and graduate is None:
            raise Refused("Есть выпускники: укажите номер и дату приказа о выпуске",
                          field="graduate_number")
        if graduate is not None:
            _check_sane(graduate, ends, "graduate_")
            if graduate.number == promote.number and graduate.dated.year == promote.dated.year:
                raise Refused("У приказа о выпуске свой номер, не тот же, что у приказа о переводе",
                              field="graduate_number")
        await _check_number(promote, "promote_")
        if graduate is not None and graduates:
            await _check_number(graduate, "graduate_")
        moves = plan.moves
        await _lock_students(m.student for m in moves)
        movers = sorted({m.student for m in moves if m.to is not None})
        if movers:  # already in a class of the new year: the rollover would put them in two
            marks = ", ".join("{}" for _ in movers)
            taken = await Enrolment.raw(
                f"""SELECT e.student, c.name FROM enrolment e JOIN school_class c ON c.id = e.school_class
                    WHERE c.year = {{}} AND e.student IN ({marks})
                      AND (e.ends_on IS NULL OR e.ends_on >= e.starts_on) LIMIT 1""",
                new_year, *movers).run()
            if taken:
                name = (await _lock_students([taken[0]["student"]]))[taken[0]["student"]]
                raise Refused(f"{name} уже зачислен в {taken[0]['name']} класс {new['name']} "
                              "учебного года: отмените то зачисление или отметьте ученика "
                              "выбывающим", field="held_back")

        ids: dict[tuple[int, str], int] = {}
        created = []
        for c in plan.new_classes:
            if c.id is not None:
                ids[(c.grade, c.letter)] = c.id
                continue
            class_id = (await SchoolClass.insert(SchoolClass(
                year=new_year, grade=c.grade, letter=c.letter, name=c.name,
                class_teacher=c.class_teacher, week_days=c.week_days, created_at=_now(),
            )).returning(SchoolClass.id).run())[0]["id"]
            ids[(c.grade, c.letter)] = class_id
            created.append(c.name)
            await record(actor, "orders.class_created", "school_class", class_id, new={
                "year": new_year, "name": c.name, "class_teacher": c.class_teacher})

        staying = [m for m in moves if m.to is not None]
        promote_id = await _create_order(
            actor, promote, "promote", f"О переводе учащихся в следующий класс ({new['name']})",
            [{"student": m.student, "kind": m.kind, "from_class": m.from_class,
              "to_class": ids[m.to], "on_date": starts, "reason": ""} for m in staying])
        graduate_id = None
        if graduates:
            assert graduate is not None
            graduate_id = await _create_order(
                actor, graduate, "graduate", f"О выпуске учащихся ({old['name']})",
                [{"student": m.student, "kind": "graduate", "from_class": m.from_class,
                  "on_date": ends + DAY, "reason": "окончил обучение"} for m in graduates])

        # Every open membership of the old year ends on its last day.
        old_ids = [c["id"] for c in await SchoolClass.select(SchoolClass.id)
                   .where(SchoolClass.year == old_year).run()]
        closing = await Enrolment.select().where(
            Enrolment.school_class.is_in(old_ids or [0]),
            (Enrolment.ends_on.is_null()) | (Enrolment.ends_on > ends)).run()
        leavers = {g.student for g in graduates}
        for row in closing:
            if not _interval(row).void:
                await _set_enrolment_end(actor, row, ends,
                                         graduate_id if row["student"] in leavers else promote_id)
        group_ids = [g["id"] for g in await StudyGroup.select(StudyGroup.id)
                     .where(StudyGroup.year == old_year).run()]
        members = await GroupMember.select().where(
            GroupMember.study_group.is_in(group_ids or [0]),
            (GroupMember.ends_on.is_null()) | (GroupMember.ends_on > ends)).run()
        for row in members:
            if not _interval(row).void:
                await _set_member_end(actor, row, ends, promote_id)
        for m in staying:
            await _open_enrolment(actor, m.student, ids[m.to], starts, promote_id)

        closed_at = _now()
        await AcademicYear.update({AcademicYear.closed_at: closed_at}).where(
            AcademicYear.id == old_year).run()
        await record(actor, "orders.year_closed", "academic_year", old_year,
                     old={"closed_at": None}, new={"closed_at": closed_at.isoformat(),
                                                   "next_year": new_year})
    return {"promote": promote_id, "graduate": graduate_id, "classes": created,
            "promoted": len(plan.of_kind("promote")), "repeat": len(plan.of_kind("repeat")),
            "graduated": len(graduates)}
