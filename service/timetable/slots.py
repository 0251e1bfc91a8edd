"""Everything that writes the weekly slots of a timetable version: adding, changing and removing
one slot, copying week A to week B. Each ``do_*`` checks every rule itself (the grid page only
hides what the action refuses anyway): the version's year is open, the weekday is a school day
of the class, the lesson number has bells on that weekday, the week fits the version's cycle,
the teacher is on the staff, the class or group belongs to the version's year, a student's
individual lesson needs home schooling, and nobody — teacher, room, class, group, student — is
in two places at once. After writing, the dated lessons follow (``lessons.sync_lessons``); a
lesson holding journal records refuses the whole edit. Writers of one version are serialised."""

from __future__ import annotations

from datetime import date, datetime

from service.audit.log import Actor, record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.school.tables import SchoolClass, StudyGroup, Subject
from service.settings import get_settings
from service.timetable import lessons, rules
from service.timetable.tables import Room, Slot, Timetable

CLOSED = "Учебный год {name} закрыт: его расписание только для чтения"
WEEKDAY_NAMES_ACC = {1: "понедельник", 2: "вторник", 3: "среду", 4: "четверг", 5: "пятницу",
                     6: "субботу"}
SLOT_FIELDS = ("weekday", "number", "week", "school_class", "study_group", "student", "subject",
               "teacher", "room")


def _today() -> date:
    return datetime.now(get_settings().tz).date()


def short_name(last: str | None, first: str | None, middle: str | None) -> str:
    """«Попова М. С.»"""
    initials = " ".join(f"{n[0]}." for n in (first, middle) if n)
    return f"{last or ''} {initials}".strip()


# --- the version -------------------------------------------------------------------------


_VERSION_SQL = """
SELECT t.id, t.year, t.name, t.starts_on, t.ends_on, t.cycle, t.anchor,
       y.name AS year_name, y.starts_on AS year_starts_on, y.ends_on AS year_ends_on, y.closed_at
FROM timetable t JOIN academic_year y ON y.id = t.year
WHERE t.id = {}
"""


async def _version(version_id: int, today: date) -> dict:
    """The version, open for editing: its year not closed, its dates not all in the past."""
    rows = await Timetable.raw(_VERSION_SQL, version_id).run()
    if not rows:
        raise NotFound()
    version = rows[0]
    if version["closed_at"] is not None:
        raise Refused(CLOSED.format(name=version["year_name"]))
    last = version["ends_on"] or version["year_ends_on"]
    if last < today:
        raise Refused(f"Версия расписания «{version['name']}» действовала до {last:%d.%m.%Y}: "
                      "прошедшие уроки расписание не меняет")
    version["from_date"] = lessons.first_editable_day(version["starts_on"], today)
    version["last_date"] = last
    return version


# --- checking one slot -------------------------------------------------------------------


async def _target(version: dict, school_class: int | None, study_group: int | None,
                  student: int | None) -> dict:
    """Whose lesson it is: ``week_days`` of the class (6 for a group of several classes or a
    student) and its name for messages."""
    if sum(x is not None for x in (school_class, study_group, student)) != 1:
        raise Refused("Урок — для класса, для группы или для одного ученика: выберите одно",
                      field="target")
    if school_class is not None:
        row = await SchoolClass.select(SchoolClass.id, SchoolClass.year, SchoolClass.name,
                                       SchoolClass.week_days).where(
            SchoolClass.id == school_class).first().run()
        if row is None or row["year"] != version["year"]:
            raise Refused(f"Класс не из учебного года {version['year_name']}: выберите класс из "
                          "списка", field="target")
        return {"name": row["name"], "week_days": row["week_days"], "class_name": row["name"]}
    if study_group is not None:
        rows = await StudyGroup.raw(
            """SELECT g.year, g.name, c.name AS class_name, c.week_days
               FROM study_group g LEFT JOIN school_class c ON c.id = g.school_class
               WHERE g.id = {}""", study_group).run()
        if not rows or rows[0]["year"] != version["year"]:
            raise Refused(f"Группа не из учебного года {version['year_name']}: выберите группу из "
                          "списка", field="target")
        row = rows[0]
        return {"name": row["name"], "week_days": row["week_days"] or 6,
                "class_name": row["class_name"] or row["name"]}
    rows = await Slot.raw(
        """SELECT p.last_name, p.first_name, p.middle_name,
                  (SELECT COUNT(*) FROM home_schooling h WHERE h.student = p.id
                     AND h.starts_on <= {} AND (h.ends_on IS NULL OR h.ends_on >= {})) AS home
           FROM person p WHERE p.id = {}""",
        version["last_date"], version["from_date"], student).run()
    if not rows:
        raise Refused("Ученик не найден: выберите ученика из списка", field="target")
    name = short_name(rows[0]["last_name"], rows[0]["first_name"], rows[0]["middle_name"])
    if not rows[0]["home"]:
        raise Refused(f"Индивидуальные уроки — только при надомном или семейном обучении, а у "
                      f"ученика {name} его нет на даты этой версии расписания", field="target")
    return {"name": name, "week_days": 6, "class_name": name}


async def _check_slot(version: dict, values: dict) -> None:
    """Every rule of one slot except «two places at once» (which needs the other slots)."""
    weekday, number, week = values["weekday"], values["number"], values["week"]
    if not 1 <= weekday <= 6:
        raise Refused("День недели: от понедельника до субботы", field="weekday")
    if week not in rules.WEEKS:
        raise Refused("Неделя: каждая, A или B", field="week")
    if week and version["cycle"] != 2:
        raise Refused(f"Версия «{version['name']}» — расписание на одну неделю: урок бывает "
                      "каждую неделю, недель A и B в ней нет", field="week")
    target = await _target(version, values["school_class"], values["study_group"], values["student"])
    if weekday > target["week_days"]:
        raise Refused(f"{target['name']} учится пять дней в неделю: уроков в "
                      f"{WEEKDAY_NAMES_ACC[weekday]} у него нет", field="weekday")
    bells = await Slot.raw(
        """SELECT b.number FROM bell_time b JOIN bell_schedule s ON s.id = b.schedule
           WHERE s.year = {} AND s.weekdays LIKE {}""", version["year"], f"%{weekday}%").run()
    if not bells:
        raise Refused(f"На {WEEKDAY_NAMES_ACC[weekday]} нет расписания звонков: сначала задайте "
                      "звонки этого дня", field="weekday")
    if number not in {b["number"] for b in bells}:
        raise Refused(f"В {WEEKDAY_NAMES_ACC[weekday]} по расписанию звонков нет урока № {number} "
                      f"({rules.lesson_name(number)}): добавьте его в звонки или выберите другой "
                      "номер", field="number")
    if not await Subject.exists().where(Subject.id == values["subject"]).run():
        raise Refused("Предмет: выберите из списка", field="subject")
    staff = await Slot.raw(
        """SELECT p.id, p.last_name, p.first_name, p.middle_name,
                  (SELECT COUNT(*) FROM staff_member s WHERE s.person = p.id
                     AND s.starts_on <= {} AND (s.ends_on IS NULL OR s.ends_on >= {})) AS on_staff
           FROM person p WHERE p.id = {}""",
        version["last_date"], version["from_date"], values["teacher"]).run()
    if not staff:
        raise Refused("Учитель: выберите из списка", field="teacher")
    if not staff[0]["on_staff"]:
        name = short_name(staff[0]["last_name"], staff[0]["first_name"], staff[0]["middle_name"])
        raise Refused(f"{name} не в штате школы на даты этой версии расписания: урок ему "
                      "поставить нельзя", field="teacher")
    if values["room"] is not None and not await Room.exists().where(Room.id == values["room"]).run():
        raise Refused("Кабинет: выберите из списка", field="room")


_PLACES_SQL = """
SELECT s.id, s.weekday, s.number, s.week, s.school_class, s.study_group, s.student, s.teacher,
       s.room, g.school_class AS group_class, subj.name AS subject_name,
       c.name AS class_name, g.name AS group_name, r.name AS room_name,
       t.last_name AS t_last, t.first_name AS t_first, t.middle_name AS t_middle,
       st.last_name AS s_last, st.first_name AS s_first, st.middle_name AS s_middle
FROM timetable_slot s
JOIN subject subj ON subj.id = s.subject
JOIN person t ON t.id = s.teacher
LEFT JOIN school_class c ON c.id = s.school_class
LEFT JOIN study_group g ON g.id = s.study_group
LEFT JOIN room r ON r.id = s.room
LEFT JOIN person st ON st.id = s.student
WHERE s.timetable = {}
"""


def slot_label(row: dict, cycle: int) -> str:
    """«5А, Математика, Попова М. С., каб. 12, понедельник, 2-й урок, неделя A»."""
    if row["student"] is not None:
        who = "индивидуально: " + short_name(row["s_last"], row["s_first"], row["s_middle"])
    else:
        who = row["group_name"] or row["class_name"] or ""
    parts = [who, row["subject_name"], short_name(row["t_last"], row["t_first"], row["t_middle"])]
    if row["room_name"]:
        parts.append(f"каб. {row['room_name']}")
    parts += [rules.WEEKDAYS[row["weekday"]], rules.lesson_name(row["number"])]
    if cycle == 2:
        parts.append(rules.WEEKS[row["week"]])
    return ", ".join(parts)


def _place(row: dict, cycle: int) -> rules.Place:
    return rules.Place(weekday=row["weekday"], number=row["number"], week=row["week"],
                       teacher=row["teacher"], label=slot_label(row, cycle),
                       school_class=row["school_class"], study_group=row["study_group"],
                       group_class=row["group_class"], student=row["student"], room=row["room"],
                       id=row["id"])


async def _check_clashes(version: dict, new_ids: set[int], gone: set[int] = frozenset(),
                         cell: tuple[int, int] | None = None) -> None:
    """Refuse when one of the just-written slots ``new_ids`` meets another slot of the version
    (the slots in ``gone`` are about to be deleted and do not count). ``cell`` narrows the one
    query to a weekday and lesson number."""
    sql, args = _PLACES_SQL, [version["id"]]
    if cell is not None:
        sql += " AND s.weekday = {} AND s.number = {}"
        args += list(cell)
    rows = [r for r in await Slot.raw(sql + " ORDER BY s.id", *args).run() if r["id"] not in gone]
    by_cell: dict[tuple[int, int], list[rules.Place]] = {}
    for row in rows:
        by_cell.setdefault((row["weekday"], row["number"]), []).append(_place(row, version["cycle"]))
    for places in by_cell.values():
        for place in places:
            if place.id in new_ids:
                # a new slot meets an older one, or (copying) another new one written before it
                others = [p for p in places if p.id not in new_ids or p.id < place.id]
                rules.check_places(place, others)


def _clean(values: dict) -> dict:
    return {f: values[f] for f in SLOT_FIELDS}


def _audit(values: dict) -> dict:
    return {f: values[f] for f in SLOT_FIELDS if values[f] is not None or f in ("room",)}


# --- one slot ------------------------------------------------------------------------------


async def do_add_slot(actor: Actor, version_id: int, weekday: int, number: int, week: int,
                      subject: int, teacher: int, room: int | None = None,
                      school_class: int | None = None, study_group: int | None = None,
                      student: int | None = None, *, today: date | None = None) -> int:
    """A new line of the weekly timetable; its lessons appear from today (or the version's
    start) on."""
    values = _clean(dict(weekday=weekday, number=number, week=week, school_class=school_class,
                         study_group=study_group, student=student, subject=subject,
                         teacher=teacher, room=room))
    async with atomic():
        # one version's slots at a time: two deputies putting the same teacher at the same hour
        # decide one after the other
        await xact_lock(f"timetable:{version_id}")
        version = await _version(version_id, today or _today())
        await _check_slot(version, values)
        slot_id = (await Slot.insert(Slot(timetable=version_id, **values))
                   .returning(Slot.id).run())[0]["id"]
        await _check_clashes(version, {slot_id}, cell=(weekday, number))
        await lessons.sync_lessons(actor, version_id, version["from_date"], slot_ids=[slot_id])
        await record(actor, "timetable.slot_added", "timetable_slot", slot_id,
                     new={"timetable": version_id, **_audit(values)})
    return slot_id


async def _slot(slot_id: int) -> dict:
    row = await Slot.select().where(Slot.id == slot_id).first().run()
    if row is None:
        raise NotFound()
    return row


async def do_change_slot(actor: Actor, slot_id: int, weekday: int, number: int, week: int,
                         subject: int, teacher: int, room: int | None = None,
                         school_class: int | None = None, study_group: int | None = None,
                         student: int | None = None, *, today: date | None = None) -> None:
    """Another subject, teacher, room, time or group for a slot; its future lessons follow (the
    same lessons, updated, where the date stays)."""
    values = _clean(dict(weekday=weekday, number=number, week=week, school_class=school_class,
                         study_group=study_group, student=student, subject=subject,
                         teacher=teacher, room=room))
    old = await _slot(slot_id)
    async with atomic():
        await xact_lock(f"timetable:{old['timetable']}")
        old = await _slot(slot_id)
        version = await _version(old["timetable"], today or _today())
        if _clean(old) == values:
            return
        await _check_slot(version, values)
        await Slot.update({getattr(Slot, f): v for f, v in values.items()}).where(
            Slot.id == slot_id).run()
        await _check_clashes(version, {slot_id}, cell=(weekday, number))
        await lessons.sync_lessons(actor, version["id"], version["from_date"], slot_ids=[slot_id])
        await record(actor, "timetable.slot_changed", "timetable_slot", slot_id,
                     old=_audit(_clean(old)), new=_audit(values))


async def do_remove_slot(actor: Actor, slot_id: int, *, today: date | None = None) -> None:
    """A slot leaves the timetable: its lessons from today on go, its past lessons stay as
    history (without the slot)."""
    old = await _slot(slot_id)
    async with atomic():
        await xact_lock(f"timetable:{old['timetable']}")
        old = await _slot(slot_id)
        version = await _version(old["timetable"], today or _today())
        await lessons.sync_lessons(actor, version["id"], version["from_date"], slot_ids=[],
                                   removing=[slot_id])
        await lessons.detach_slot(slot_id)
        await Slot.delete().where(Slot.id == slot_id).run()
        await record(actor, "timetable.slot_removed", "timetable_slot", slot_id,
                     old={"timetable": version["id"], **_audit(_clean(old))})


# --- copying a week ------------------------------------------------------------------------


def _key(row: dict) -> tuple:
    return tuple(row[f] for f in SLOT_FIELDS if f != "week")


async def do_copy_week(actor: Actor, version_id: int, school_class: int | None, from_week: int,
                       to_week: int, *, today: date | None = None) -> dict[str, int]:
    """Make week ``to_week`` of a class (its own slots and its subgroups'; ``None``: the whole
    version) the same as ``from_week``: slots of ``to_week`` not in ``from_week`` go, missing
    ones are added, equal ones stay (their lessons keep their ids). Slots of every week are not
    touched. Refused when the result puts someone in two places at once."""
    if {from_week, to_week} != {1, 2}:
        raise Refused("Скопировать можно неделю A в неделю B или неделю B в неделю A",
                      field="to_week")
    async with atomic():
        await xact_lock(f"timetable:{version_id}")
        version = await _version(version_id, today or _today())
        if version["cycle"] != 2:
            raise Refused(f"Версия «{version['name']}» — расписание на одну неделю: копировать "
                          "нечего, недель A и B в ней нет", field="to_week")
        sql, args = "SELECT s.* FROM timetable_slot s WHERE s.timetable = {}", [version_id]
        class_name = None
        if school_class is not None:
            found = await SchoolClass.select(SchoolClass.year, SchoolClass.name).where(
                SchoolClass.id == school_class).first().run()
            if found is None or found["year"] != version["year"]:
                raise NotFound()
            class_name = found["name"]
            sql += (" AND (s.school_class = {} OR s.study_group IN "
                    "(SELECT id FROM study_group WHERE school_class = {}))")
            args += [school_class, school_class]
        rows = await Slot.raw(sql, *args).run()
        source = [r for r in rows if r["week"] == from_week]
        target = [r for r in rows if r["week"] == to_week]
        wanted = {_key(r) for r in source}
        have = {_key(r) for r in target}
        gone = [r["id"] for r in target if _key(r) not in wanted]
        added = [r for r in source if _key(r) not in have]
        if not gone and not added:
            raise Refused(f"{rules.WEEKS[to_week].capitalize()} уже такая же, как "
                          f"{rules.WEEKS[from_week]}: копировать нечего", field="to_week")
        new_ids = []
        for r in added:
            values = {**_clean(r), "week": to_week}
            new_ids.append((await Slot.insert(Slot(timetable=version_id, **values))
                            .returning(Slot.id).run())[0]["id"])
        await _check_clashes(version, set(new_ids), set(gone))
        await lessons.sync_lessons(actor, version_id, version["from_date"], slot_ids=new_ids,
                                   removing=gone)
        for slot_id in gone:
            await lessons.detach_slot(slot_id)
        if gone:
            await Slot.delete().where(Slot.id.is_in(gone)).run()
        done = {"added": len(new_ids), "removed": len(gone)}
        await record(actor, "timetable.week_copied", "timetable", version_id,
                     old={"removed_slots": gone},
                     new={"school_class": school_class, "class_name": class_name,
                          "from_week": from_week, "to_week": to_week, "added_slots": new_ids})
    return done

