"""Everything that writes the timetable's setup: rooms («кабинеты»), bell schedules of a year,
special days (a shortened day, a moved working day that follows another weekday's timetable)
and timetable versions with their validity intervals and A/B weeks (R-TT-1, R-TT-2, R-YEAR-2).

Each ``do_*`` checks every rule itself, writes its change and its audit row in one transaction;
a refusal raises ``Refused`` and writes nothing. A closed year is read-only. Changes that decide
which lessons exist (a moved working day, a new version, another A/B anchor) bring the dated
lessons along through ``lessons.sync_lessons`` in the same transaction, from today on only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from service import forms
from service.audit.log import Actor, record
from service.db import atomic, bulk_insert, xact_lock
from service.errors import NotFound, Refused
from service.school.tables import AcademicYear
from service.timetable import lessons, rules
from service.timetable.tables import Bell, BellSchedule, DaySetting, Room, Slot, Timetable
from service.web import today as school_today

CLOSED = "Учебный год {name} закрыт: его расписание только для чтения"
ROOM_NAME_MAX, ROOM_NOTE_MAX = 30, 150  # the columns of ``Room``
SCHEDULE_NAME_MAX, VERSION_NAME_MAX, DAY_NOTE_MAX = 60, 100, 150
BELL_LINES_MAX = 20
LISTED = 10  # how many slots a refusal names before «и ещё N»
_SLOT_COLUMNS = ("weekday", "number", "week", "school_class", "study_group", "student", "subject",
                 "teacher", "room")


def now() -> datetime:
    return datetime.now(UTC)


async def _lock_year(year_id: int, *, versions: bool = False) -> None:
    """The bells, special days and versions of one year; with ``versions`` also each version of
    the year, as the grid editor locks one (``timetable:<version id>``) while it changes its slots."""
    await xact_lock(f"timetable-year:{year_id}")
    if versions:
        ids = await Timetable.select(Timetable.id).where(Timetable.year == year_id).run()
        await xact_lock(*[f"timetable:{r['id']}" for r in ids])


def _text(value: str, label: str, limit: int, field: str, required: bool = True) -> str:
    """The same limits as the form, for callers that are not a form (the demo, imports)."""
    return " ".join(forms.value(forms.Text(label, limit, required=required), value, field).split())


async def _year(year_id: int, *, open_only: bool = True) -> dict:
    row = await AcademicYear.select().where(AcademicYear.id == year_id).first().run()
    if row is None:
        raise NotFound()
    if open_only and row["closed_at"] is not None:
        raise Refused(CLOSED.format(name=row["name"]))
    return row


def _iso(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


def _within_year(day: date, year: dict, field: str, label: str) -> None:
    if not year["starts_on"] <= day <= year["ends_on"]:
        raise Refused(f"{label} {day:%d.%m.%Y} — вне учебного года {year['name']} "
                      f"({year['starts_on']:%d.%m.%Y}–{year['ends_on']:%d.%m.%Y})", field=field)


# --- rooms ----------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    """«Спортзал» and « спортзал», «Каб. 12» and «каб.  12» are one room."""
    def norm(s: str) -> str:
        return " ".join(s.replace("ё", "е").replace("Ё", "Е").casefold().split())
    return norm(a) == norm(b)


async def _check_room_name(name: str, room_id: int | None) -> None:
    for other in await Room.select(Room.id, Room.name).run():
        if other["id"] != room_id and _same_name(other["name"], name):
            raise Refused(f"Кабинет «{other['name']}» уже есть", field="name")


async def do_create_room(actor: Actor, name: str, note: str = "") -> int:
    """A room lessons take place in; its name is unique whatever the case and spaces."""
    name = rules.check_room_name(_text(name, "Кабинет", ROOM_NAME_MAX, "name"))
    note = _text(note, "Примечание", ROOM_NOTE_MAX, "note", required=False)
    async with atomic():
        await xact_lock("room")
        await _check_room_name(name, None)
        room_id = (await Room.insert(Room(name=name, note=note)).returning(Room.id).run())[0]["id"]
        await record(actor, "timetable.room_created", "room", room_id, new={"name": name, "note": note})
    return room_id


async def do_change_room(actor: Actor, room_id: int, name: str, note: str = "") -> None:
    """Rename a room or change its note (a room is never deleted: lessons of past years name it)."""
    name = rules.check_room_name(_text(name, "Кабинет", ROOM_NAME_MAX, "name"))
    note = _text(note, "Примечание", ROOM_NOTE_MAX, "note", required=False)
    async with atomic():
        await xact_lock("room")
        old = await Room.select().where(Room.id == room_id).first().run()
        if old is None:
            raise NotFound()
        await _check_room_name(name, room_id)
        if (old["name"], old["note"]) == (name, note):
            return
        await Room.update({Room.name: name, Room.note: note}).where(Room.id == room_id).run()
        await record(actor, "timetable.room_changed", "room", room_id,
                     old={"name": old["name"], "note": old["note"]}, new={"name": name, "note": note})


# --- bell schedules -------------------------------------------------------------------------


def parse_bells(text: str) -> list[rules.Bell]:
    """The bells as a deputy types them, one lesson a line: «1 08:30 09:15», «1. 8.30–9.15» or
    just «08:30-09:15» (numbered after the line above it, the first line being lesson 1; start
    with «0 07:45 08:25» for «нулевой урок»). A bad line is named by its number."""
    bells: list[rules.Bell] = []
    lines = [(i, line) for i, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1) if line.strip()]
    if len(lines) > BELL_LINES_MAX:
        raise Refused(f"Звонки: не больше {BELL_LINES_MAX} строк", field="bells")
    for i, line in lines:
        parts = line.replace("–", " ").replace("—", " ").replace("-", " ").split()
        if len(parts) == 3:
            number_text = parts[0].rstrip(".)")
            if not number_text.isascii() or not number_text.isdigit() or len(number_text) > 2:
                raise Refused(f"Строка {i}: номер урока «{parts[0][:5]}» — целое число, например "
                              "«1 08:30 09:15»", field="bells")
            number, times = int(number_text), parts[1:]
        elif len(parts) == 2 and not parts[0].rstrip(".)").isdigit():
            number, times = (bells[-1].number + 1 if bells else 1), parts
        else:
            raise Refused(f"Строка {i}: напишите номер урока, начало и конец, например «1 08:30 09:15»",
                          field="bells")
        try:
            starts_at, ends_at = (rules.parse_time(t, "bells") for t in times)
        except Refused as exc:
            raise Refused(f"Строка {i} ({rules.lesson_name(number)}): {exc.message}", field="bells") from None
        bells.append(rules.Bell(number, starts_at, ends_at))
    return bells


def bells_text(bells: Sequence[dict | rules.Bell]) -> str:
    """The bells back as the lines ``parse_bells`` reads (to fill the form)."""
    out = []
    for b in bells:
        n, a, z = (b.number, b.starts_at, b.ends_at) if isinstance(b, rules.Bell) else (
            b["number"], b["starts_at"], b["ends_at"])
        out.append(f"{n} {rules.time_text(a)} {rules.time_text(z)}")
    return "\n".join(out)


_SLOTS_SQL = """
SELECT s.id, s.weekday, s.number, s.week, t.name AS version, sub.name AS subject,
       c.name AS class_name, g.name AS group_name, p.last_name AS student_last
FROM timetable_slot s
JOIN timetable t ON t.id = s.timetable
JOIN subject sub ON sub.id = s.subject
LEFT JOIN school_class c ON c.id = s.school_class
LEFT JOIN study_group g ON g.id = s.study_group
LEFT JOIN person p ON p.id = s.student
WHERE t.year = {} AND (t.ends_on IS NULL OR t.ends_on >= {})
ORDER BY s.weekday, s.number, c.name, g.name, s.id
"""


def _slot_label(s: dict) -> str:
    who = s["group_name"] or s["class_name"] or f"индивидуально ({s['student_last']})"
    week = f", {rules.WEEKS[s['week']]}" if s["week"] else ""
    return (f"{who}, {s['subject']}, {rules.WEEKDAYS[s['weekday']]}, "
            f"{rules.lesson_name(s['number'])}{week} («{s['version']}»)")


async def _check_numbers_kept(bells: list[rules.Bell], weekdays: str, slots: list[dict]) -> None:
    """The weekly slots of the year's current and future versions keep their bells: a schedule
    may not lose a lesson number that slots stand on, on its weekdays. (Giving up a weekday is
    allowed — it is how Saturday moves to a schedule of its own; the overview warns about a
    weekday left without bells until another schedule takes it.)"""
    kept = {b.number for b in bells}
    concerned = {int(c) for c in weekdays}
    lost = [s for s in slots if s["weekday"] in concerned and s["number"] not in kept]
    if lost:
        shown = "; ".join(_slot_label(s) for s in lost[:LISTED])
        tail = f" и ещё {len(lost) - LISTED}" if len(lost) > LISTED else ""
        raise Refused("Без этих звонков останутся уроки расписания: "
                      f"{shown}{tail}. Сначала перенесите или уберите их в сетке расписания",
                      field="bells")


async def _schedule_fields(year_id: int, schedule_id: int | None, name: str,
                           bells: str | Sequence[rules.Bell], weekdays: str) -> tuple[str, list[rules.Bell], str]:
    """Checked name, bells and weekdays (inside the caller's transaction and lock)."""
    bell_list = parse_bells(bells) if isinstance(bells, str) else list(bells)
    rules.check_bells(bell_list)
    others = await BellSchedule.select(BellSchedule.id, BellSchedule.name, BellSchedule.weekdays).where(
        BellSchedule.year == year_id).run()
    for other in others:
        if other["id"] != schedule_id and _same_name(other["name"], name):
            raise Refused(f"Расписание звонков «{other['name']}» в этом году уже есть", field="name")
    taken = {int(c): o["name"] for o in others if o["id"] != schedule_id for c in o["weekdays"]}
    weekdays = rules.check_weekdays(weekdays, taken)
    return name, sorted(bell_list, key=lambda b: b.number), weekdays


def _bells_json(bells: list[rules.Bell]) -> list[list]:
    return [[b.number, rules.time_text(b.starts_at), rules.time_text(b.ends_at)] for b in bells]


async def do_create_bells(actor: Actor, year_id: int, name: str, bells: str | Sequence[rules.Bell],
                          weekdays: str = "", *, today: date | None = None) -> int:
    """A bell schedule of a year («Основное», «Сокращённый день», «Суббота»): its lessons with
    their times and the weekdays it is for (none: only for the dates that pick it)."""
    name = _text(name, "Название", SCHEDULE_NAME_MAX, "name")
    today = today or school_today()
    async with atomic():
        await _lock_year(year_id, versions=True)
        await _year(year_id)
        name, bell_list, weekdays = await _schedule_fields(year_id, None, name, bells, weekdays)
        await _check_numbers_kept(bell_list, weekdays, await Slot.raw(_SLOTS_SQL, year_id, today).run())
        schedule_id = (await BellSchedule.insert(BellSchedule(
            year=year_id, name=name, weekdays=weekdays, created_at=now()))
            .returning(BellSchedule.id).run())[0]["id"]
        await Bell.insert(*[Bell(schedule=schedule_id, number=b.number, starts_at=b.starts_at,
                                 ends_at=b.ends_at) for b in bell_list]).run()
        await record(actor, "timetable.bells_created", "bell_schedule", schedule_id, new={
            "year": year_id, "name": name, "weekdays": weekdays, "bells": _bells_json(bell_list)})
    return schedule_id


async def do_change_bells(actor: Actor, schedule_id: int, name: str, bells: str | Sequence[rules.Bell],
                          weekdays: str = "", *, today: date | None = None) -> None:
    """New name, times or weekdays of a bell schedule. Refused when slots of the timetable would
    stand on a lesson number the schedule no longer has."""
    name = _text(name, "Название", SCHEDULE_NAME_MAX, "name")
    today = today or school_today()
    async with atomic():
        old = await BellSchedule.select().where(BellSchedule.id == schedule_id).first().run()
        if old is None:
            raise NotFound()
        await _lock_year(old["year"], versions=True)
        await _year(old["year"])
        name, bell_list, weekdays = await _schedule_fields(old["year"], schedule_id, name, bells, weekdays)
        await _check_numbers_kept(bell_list, weekdays, await Slot.raw(_SLOTS_SQL, old["year"], today).run())
        old_bells = [rules.Bell(b["number"], b["starts_at"], b["ends_at"]) for b in await Bell.select().where(
            Bell.schedule == schedule_id).order_by(Bell.number).run()]
        if (old["name"], old["weekdays"], old_bells) == (name, weekdays, bell_list):
            return
        await BellSchedule.update({BellSchedule.name: name, BellSchedule.weekdays: weekdays}).where(
            BellSchedule.id == schedule_id).run()
        await Bell.delete().where(Bell.schedule == schedule_id).run()
        await Bell.insert(*[Bell(schedule=schedule_id, number=b.number, starts_at=b.starts_at,
                                 ends_at=b.ends_at) for b in bell_list]).run()
        await record(actor, "timetable.bells_changed", "bell_schedule", schedule_id,
                     old={"name": old["name"], "weekdays": old["weekdays"], "bells": _bells_json(old_bells)},
                     new={"name": name, "weekdays": weekdays, "bells": _bells_json(bell_list)})


# --- special days ---------------------------------------------------------------------------


async def _version_on(year_id: int, day: date) -> dict | None:
    return await Timetable.select().where(
        (Timetable.year == year_id) & (Timetable.starts_on <= day)
        & (Timetable.ends_on.is_null() | (Timetable.ends_on >= day))).first().run()


async def _sync_day(actor: Actor, year_id: int, day: date, today: date) -> None:
    """The lessons of a day whose weekday changed follow the timetable of its new weekday."""
    if day < today:
        return  # the past is never rewritten
    version = await _version_on(year_id, day)
    if version is not None:
        await lessons.sync_lessons(actor, version["id"], max(day, today))


async def do_set_day(actor: Actor, year_id: int, on_date: date, schedule: int | None = None,
                     as_weekday: int | None = None, note: str = "", *, today: date | None = None) -> int:
    """A date that differs: other bells (``schedule``, a shortened day) and/or the timetable of
    another weekday (``as_weekday`` 1–6: «суббота работает по расписанию понедельника»). Setting
    a date again replaces what it had."""
    note = _text(note, "Примечание", DAY_NOTE_MAX, "note", required=False)
    today = today or school_today()
    if schedule is None and as_weekday is None:
        raise Refused("Выберите звонки этого дня или день недели, по расписанию которого он работает",
                      field="schedule")
    if as_weekday is not None and not 1 <= as_weekday <= 6:
        raise Refused("День недели: от понедельника до субботы", field="as_weekday")
    async with atomic():
        await _lock_year(year_id, versions=True)
        year = await _year(year_id)
        _within_year(on_date, year, "on_date", "Дата")
        if schedule is not None and not await BellSchedule.exists().where(
                (BellSchedule.id == schedule) & (BellSchedule.year == year_id)).run():
            raise Refused("Выберите расписание звонков этого учебного года", field="schedule")
        old = await DaySetting.select().where(DaySetting.on_date == on_date).first().run()
        row = {"schedule": schedule, "as_weekday": as_weekday, "note": note}
        if old is not None and {k: old[k] for k in row} == row:
            return old["id"]
        if old is None:
            day_id = (await DaySetting.insert(DaySetting(year=year_id, on_date=on_date, **row))
                      .returning(DaySetting.id).run())[0]["id"]
        else:
            day_id = old["id"]
            await DaySetting.update({DaySetting.schedule: schedule, DaySetting.as_weekday: as_weekday,
                                     DaySetting.note: note}).where(DaySetting.id == day_id).run()
        await record(actor, "timetable.day_set", "day_setting", day_id,
                     old=None if old is None else _iso({"on_date": on_date, **{k: old[k] for k in row}}),
                     new=_iso({"on_date": on_date, **row}))
        if (old["as_weekday"] if old else None) != as_weekday:
            await _sync_day(actor, year_id, on_date, today)
    return day_id


async def do_clear_day(actor: Actor, year_id: int, on_date: date, *, today: date | None = None) -> None:
    """The date is an ordinary day again (its own bells, its own weekday's timetable)."""
    today = today or school_today()
    async with atomic():
        await _lock_year(year_id, versions=True)
        await _year(year_id)
        old = await DaySetting.select().where(
            (DaySetting.on_date == on_date) & (DaySetting.year == year_id)).first().run()
        if old is None:
            raise Refused(f"{on_date:%d.%m.%Y} и так обычный день", field="on_date")
        await DaySetting.delete().where(DaySetting.id == old["id"]).run()
        await record(actor, "timetable.day_cleared", "day_setting", old["id"], old=_iso(
            {k: old[k] for k in ("on_date", "schedule", "as_weekday", "note")}))
        if old["as_weekday"] is not None:
            await _sync_day(actor, year_id, on_date, today)


# --- timetable versions ---------------------------------------------------------------------


def _version_fields(name: str, cycle: int, anchor: date | None, year: dict) -> tuple[str, date | None]:
    name = _text(name, "Название версии", VERSION_NAME_MAX, "name")
    rules.check_anchor(cycle, anchor, year["starts_on"], year["ends_on"])
    return name, (anchor if cycle == 2 else None)


def _check_overlap(starts_on: date, ends_on: date | None, year: dict, versions: list[dict],
                   version_id: int | None = None) -> None:
    last = ends_on or year["ends_on"]
    for v in versions:
        if v["id"] == version_id:
            continue
        if v["starts_on"] <= last and starts_on <= (v["ends_on"] or year["ends_on"]):
            until = f"по {v['ends_on']:%d.%m.%Y}" if v["ends_on"] else "до конца года"
            raise Refused(f"В эти даты уже действует версия «{v['name']}» (с {v['starts_on']:%d.%m.%Y} "
                          f"{until}): версии расписания не пересекаются. Начните новую версию с даты",
                          field="starts_on")


async def do_create_version(actor: Actor, year_id: int, name: str, starts_on: date, cycle: int = 1,
                            anchor: date | None = None, skip_holiday_weeks: bool = False) -> int:
    """The first timetable version of a year (or one after the last has ended): in force from
    ``starts_on`` to the end of the year, one week or weeks A/B with week A holding ``anchor``."""
    async with atomic():
        await _lock_year(year_id)
        year = await _year(year_id)
        name, anchor = _version_fields(name, cycle, anchor, year)
        _within_year(starts_on, year, "starts_on", "Начало версии")
        versions = await Timetable.select().where(Timetable.year == year_id).run()
        _check_overlap(starts_on, None, year, versions)
        row = {"name": name, "starts_on": starts_on, "ends_on": None, "cycle": cycle, "anchor": anchor,
               "skip_holiday_weeks": skip_holiday_weeks}
        version_id = (await Timetable.insert(Timetable(year=year_id, created_at=now(), **row))
                      .returning(Timetable.id).run())[0]["id"]
        await record(actor, "timetable.version_created", "timetable", version_id,
                     new=_iso({"year": year_id, **row}))
    return version_id


async def do_start_version(actor: Actor, year_id: int, starts_on: date, name: str, *,
                           today: date | None = None) -> int:
    """«Новое расписание с даты»: a new version from ``starts_on`` holding a copy of every slot
    of the version in force that day, which ends the day before (and stays as history). Its
    lessons from ``starts_on`` on are replaced by the new version's — refused, naming them, when
    one of them already holds journal records."""
    today = today or school_today()
    async with atomic():
        await _lock_year(year_id, versions=True)
        year = await _year(year_id)
        name = _text(name, "Название версии", VERSION_NAME_MAX, "name")
        _within_year(starts_on, year, "starts_on", "Начало версии")
        if starts_on < today:
            raise Refused(f"Новая версия начинается не раньше сегодняшнего дня ({today:%d.%m.%Y}): "
                          "прошедшие уроки расписание не меняет", field="starts_on")
        old = await _version_on(year_id, starts_on)
        if old is None:
            raise Refused(f"На {starts_on:%d.%m.%Y} нет действующей версии расписания, которую можно "
                          "продолжить: создайте версию", field="starts_on")
        if old["starts_on"] == starts_on:
            raise Refused(f"Версия «{old['name']}» и так начинается {starts_on:%d.%m.%Y}: измените "
                          "её уроки в сетке", field="starts_on")
        row = {"name": name, "starts_on": starts_on, "ends_on": old["ends_on"], "cycle": old["cycle"],
               "anchor": old["anchor"], "skip_holiday_weeks": old["skip_holiday_weeks"]}
        await Timetable.update({Timetable.ends_on: starts_on - timedelta(days=1)}).where(
            Timetable.id == old["id"]).run()
        version_id = (await Timetable.insert(Timetable(year=year_id, created_at=now(), **row))
                      .returning(Timetable.id).run())[0]["id"]
        slots = await Slot.select(*[getattr(Slot, c) for c in _SLOT_COLUMNS]).where(
            Slot.timetable == old["id"]).order_by(Slot.id).run()
        await bulk_insert(Slot, [Slot.timetable, *[getattr(Slot, c) for c in _SLOT_COLUMNS]],
                          [(version_id, *[s[c] for c in _SLOT_COLUMNS]) for s in slots])
        await record(actor, "timetable.version_changed", "timetable", old["id"],
                     old={"ends_on": old["ends_on"].isoformat() if old["ends_on"] else None},
                     new={"ends_on": (starts_on - timedelta(days=1)).isoformat()})
        await record(actor, "timetable.version_created", "timetable", version_id,
                     new=_iso({"year": year_id, **row, "copied_from": old["id"], "slots": len(slots)}))
        await lessons.sync_lessons(actor, old["id"], starts_on)  # refuses over lessons with records
        await lessons.sync_lessons(actor, version_id, starts_on)
    return version_id


async def do_change_version(actor: Actor, version_id: int, name: str, cycle: int,
                            anchor: date | None = None, skip_holiday_weeks: bool = False, *,
                            today: date | None = None) -> None:
    """Another name, cycle, week-A anchor or holiday-week rule of a version; its lessons follow
    from today (or its start) on."""
    today = today or school_today()
    async with atomic():
        old = await Timetable.select().where(Timetable.id == version_id).first().run()
        if old is None:
            raise NotFound()
        await _lock_year(old["year"], versions=True)
        year = await _year(old["year"])
        name, anchor = _version_fields(name, cycle, anchor, year)
        keys = ("name", "cycle", "anchor", "skip_holiday_weeks")
        new = dict(zip(keys, (name, cycle, anchor, skip_holiday_weeks), strict=True))
        before = {k: old[k] for k in keys}
        if before == new:
            return
        await Timetable.update({getattr(Timetable, k): v for k, v in new.items()}).where(
            Timetable.id == version_id).run()
        await record(actor, "timetable.version_changed", "timetable", version_id,
                     old=_iso(before), new=_iso(new))
        if {k: before[k] for k in keys[1:]} != {k: new[k] for k in keys[1:]}:
            await lessons.sync_lessons(actor, version_id, lessons.first_editable_day(old["starts_on"], today))
