"""Everything that writes the changes of the timetable for a date (R-TT-3, R-TT-4): teacher
absences, «замена» (another teacher teaches a lesson), «совмещение» (a teacher takes a second
group at the time of their own lesson), cancellations, room changes, extra and moved lessons,
and undoing a change. Each ``do_*`` checks every rule itself, writes the lesson with a higher
``revision`` (calendar feeds update the same event) and its audit row in one transaction; a
refusal raises ``Refused`` and writes nothing.

Racing deputies are serialised by PostgreSQL advisory locks on what they decide about: the
lesson, and each teacher, room and class at a date («teacher:7:2026-11-24»)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from service import forms
from service.audit.log import Actor, record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.settings import get_settings
from service.timetable import change_queries as q
from service.timetable import rules
from service.timetable.tables import Absence, Lesson

NOTE_MAX = 300  # Lesson.change_note
REASON_MAX = 150  # Absence.reason
ABSENCE_DAYS_MAX = 366
HAS_RECORDS = "На уроке уже есть отметки, посещаемость или тема: {label}. Такой урок нельзя {what}"


def now() -> datetime:
    return datetime.now(UTC)


def school_today() -> date:
    return datetime.now(get_settings().tz).date()


def _places(row: dict, on_date: date | None = None) -> list[str]:
    """Lock names of what a lesson occupies on a date: its teacher, room and class or group."""
    day = (on_date or row["on_date"]).isoformat()
    names = [f"teacher:{row['taught_by']}:{day}"]
    if row.get("room"):
        names.append(f"room:{row['room']}:{day}")
    klass = row.get("school_class") or row.get("group_class")
    if klass:
        names.append(f"class:{klass}:{day}")
    if row.get("study_group"):
        names.append(f"group:{row['study_group']}:{day}")
    return names


def _note(note: str) -> str:
    return forms.value(forms.Text("Причина изменения", NOTE_MAX), note, "note")


async def _locked_lesson(lesson_id: int) -> dict:
    """The lesson, after taking its own lock (so its date and number are read after any other
    writer of it committed)."""
    await xact_lock(f"lesson:{lesson_id}")
    row = await q.lesson(lesson_id)
    if row is None:
        raise NotFound()
    await _check_open_year(row["on_date"])
    return row


async def _check_open_year(day: date) -> None:
    """A closed year (after the rollover) is read-only for good, its lessons too."""
    year, _ = await q.school_year_of(day)
    if year is not None and year["closed_at"] is not None:
        raise Refused(f"Учебный год {year['name']} закрыт: его уроки только для чтения")


async def _save(actor: Actor, action: str, row: dict, changes: dict, note: str | None,
                old: dict) -> None:
    values = {**changes, "changed_at": now(), "revision": row["revision"] + 1}
    if note is not None:
        values["change_note"] = note
    await Lesson.update({getattr(Lesson, k): v for k, v in values.items()}).where(Lesson.id == row["id"]).run()
    new = {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in values.items()
           if k != "changed_at"}
    await record(actor, action, "lesson", row["id"], old={"lesson": row["label"], **old}, new=new)


async def _check_staff(person_id: int, day: date, field: str, label: str) -> str:
    """The person works at the school on ``day`` and is not absent then; returns the name."""
    name = await q.person_name(person_id)
    if name is None:
        raise Refused(f"{label}: выберите учителя из списка", field=field)
    if await q.staff_post(person_id, day) is None:
        raise Refused(f"{label}: {name} не работает в школе на {day:%d.%m.%Y}", field=field)
    absent = await q.absences_of(person_id, day, day)
    if absent:
        a = absent[0]
        raise Refused(f"{label}: {name} отсутствует {a['starts_on']:%d.%m.%Y}–{a['ends_on']:%d.%m.%Y}"
                      + (f" ({a['reason']})" if a["reason"] else ""), field=field)
    return name


async def _check_free(new: dict, on_date: date, number: int) -> None:
    """Refuse when the lesson ``new`` (a row as q.lessons_where gives) would meet another lesson
    at ``on_date``/``number``: the same teacher, room, class or group — naming both lessons."""
    others = [o for o in await q.lessons_at(on_date, number) if o["id"] != new.get("id")]
    moved = {**new, "on_date": on_date, "number": number, "id": new.get("id")}
    if "who" in moved:
        moved["label"] = q.label(moved)
    rules.check_places(q.place(moved), [q.place(o) for o in others])


async def _check_lesson_time(on_date: date, number: int, grade: int | None, week_days: int,
                             today: date) -> None:
    if on_date < today:
        raise Refused(f"{on_date:%d.%m.%Y} уже прошло: урок можно добавить или перенести только "
                      "на сегодня или на будущие дни", field="on_date")
    if not await q.is_school_day(on_date, grade, week_days):
        raise Refused(f"{on_date:%d.%m.%Y} — не учебный день для этого класса", field="on_date")
    bells = await q.bells_on(on_date)
    if number not in bells:
        raise Refused(f"На {on_date:%d.%m.%Y} нет звонков для урока № {number}: выберите урок "
                      "из расписания звонков этого дня", field="number")


# --- absences -------------------------------------------------------------------------------


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise Refused("Последний день отсутствия раньше первого", field="ends_on")
    if (ends_on - starts_on).days >= ABSENCE_DAYS_MAX:
        raise Refused("Отсутствие — не дольше года: отметьте его заново, если оно продлится",
                      field="ends_on")


async def _check_overlap(teacher: int, starts_on: date, ends_on: date, skip: int | None = None) -> None:
    for other in await q.absences_of(teacher, starts_on, ends_on):
        if other["id"] != skip:
            raise Refused(f"У {other['name']} уже отмечено отсутствие {other['starts_on']:%d.%m.%Y}–"
                          f"{other['ends_on']:%d.%m.%Y}: измените его даты", field="starts_on")


async def do_record_absence(actor: Actor, teacher: int, starts_on: date, ends_on: date,
                            reason: str = "") -> int:
    """«Учитель отсутствует» for the dates: their lessons then show «нужна замена»."""
    reason = forms.value(forms.Text("Причина", REASON_MAX), reason, "reason")
    _check_dates(starts_on, ends_on)
    async with atomic():
        await xact_lock(f"absence:{teacher}")
        name = await q.person_name(teacher)
        if name is None:
            raise Refused("Учитель: выберите учителя из списка", field="teacher")
        if await q.staff_post(teacher, starts_on) is None and await q.staff_post(teacher, ends_on) is None:
            raise Refused(f"Учитель: {name} не работает в школе в эти дни", field="teacher")
        await _check_overlap(teacher, starts_on, ends_on)
        absence_id = (await Absence.insert(Absence(teacher=teacher, starts_on=starts_on, ends_on=ends_on,
                                                   reason=reason, created_at=now()))
                      .returning(Absence.id).run())[0]["id"]
        await record(actor, "timetable.absence_recorded", "teacher_absence", absence_id,
                     new={"teacher": name, "starts_on": starts_on.isoformat(),
                          "ends_on": ends_on.isoformat(), "reason": reason})
    return absence_id


async def do_end_absence(actor: Actor, absence_id: int, starts_on: date | None = None,
                         ends_on: date | None = None, *, remove: bool = False) -> None:
    """New dates of an absence (the teacher came back earlier, or stays ill longer), or, with
    ``remove``, no absence at all (recorded by mistake). Substitutions already made stay."""
    async with atomic():
        old = await q.absence(absence_id)
        if old is None:
            raise NotFound()
        await xact_lock(f"absence:{old['teacher']}")
        old = await q.absence(absence_id)  # as it is now: a removal at the same moment came first
        if old is None:
            raise NotFound()
        before = {"teacher": old["name"], "starts_on": old["starts_on"].isoformat(),
                  "ends_on": old["ends_on"].isoformat(), "reason": old["reason"]}
        if remove:
            await Absence.delete().where(Absence.id == absence_id).run()
            await record(actor, "timetable.absence_ended", "teacher_absence", absence_id,
                         old=before, new=None)
            return
        starts_on = starts_on or old["starts_on"]
        ends_on = ends_on or old["ends_on"]
        _check_dates(starts_on, ends_on)
        await _check_overlap(old["teacher"], starts_on, ends_on, skip=absence_id)
        await Absence.update({Absence.starts_on: starts_on, Absence.ends_on: ends_on}).where(
            Absence.id == absence_id).run()
        await record(actor, "timetable.absence_ended", "teacher_absence", absence_id, old=before,
                     new={**before, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})


# --- who teaches ----------------------------------------------------------------------------


async def do_replace(actor: Actor, lesson_id: int, substitute: int, note: str = "") -> None:
    """«Замена»: ``substitute`` teaches the lesson instead of the teacher the timetable names.
    Allowed for past dates too (recording who actually taught yesterday) and for lessons with
    journal records. Refused when the substitute has another lesson then (naming both), is
    absent that day or is not on the staff."""
    note = _note(note)
    async with atomic():
        row = await _locked_lesson(lesson_id)
        await xact_lock(f"teacher:{substitute}:{row['on_date'].isoformat()}")
        if row["cancelled"]:
            raise Refused(f"Урок отменён: {row['label']}. Сначала верните его", field="substitute")
        if substitute == row["teacher"]:
            raise Refused("Это учитель урока по расписанию: чтобы он снова вёл урок, отмените "
                          "изменение («Вернуть по расписанию»)", field="substitute")
        if substitute == row["taught_by"] and not row["combined"]:
            raise Refused("Этот учитель уже заменяет на этом уроке", field="substitute")
        name = await _check_staff(substitute, row["on_date"], "substitute", "Кто заменяет")
        busy = [o for o in await q.lessons_at(row["on_date"], row["number"])
                if o["taught_by"] == substitute and o["id"] != row["id"]]
        if busy:
            raise Refused(f"Не получится: {name} в это время уже ведёт урок: {busy[0]['label']}. "
                          f"Урок, на который нужна замена: {row['label']}. Выберите свободного "
                          "учителя или оформите совмещение", field="substitute")
        await _save(actor, "timetable.lesson_replaced", row,
                    {"taught_by": substitute, "combined": False}, note,
                    {"taught_by": row["taught_by_name"], "combined": row["combined"]})


async def do_combine(actor: Actor, lesson_id: int, teacher: int, note: str = "") -> None:
    """«Совмещение»: ``teacher``, who has a lesson of their own at that time, takes this
    lesson's group too. The rule chosen: the teacher must be teaching another (not cancelled)
    lesson at the same date and number — which class or grade it is for is the deputy's call
    (schools combine subgroups of one class, parallel classes or a small group with a class)."""
    note = _note(note)
    async with atomic():
        row = await _locked_lesson(lesson_id)
        await xact_lock(f"teacher:{teacher}:{row['on_date'].isoformat()}")
        if row["cancelled"]:
            raise Refused(f"Урок отменён: {row['label']}. Сначала верните его", field="teacher")
        if teacher == row["teacher"] or teacher == row["taught_by"]:
            raise Refused("Этот учитель и так ведёт этот урок", field="teacher")
        name = await _check_staff(teacher, row["on_date"], "teacher", "Кто совмещает")
        own = [o for o in await q.lessons_at(row["on_date"], row["number"])
               if o["taught_by"] == teacher and o["id"] != row["id"]]
        if not own:
            raise Refused(f"Совмещение — когда учитель ведёт в это же время свой урок, а у {name} "
                          f"на {rules.lesson_name(row['number'])} {row['on_date']:%d.%m.%Y} урока нет: "
                          "оформите замену", field="teacher")
        await _save(actor, "timetable.lesson_combined", row, {"taught_by": teacher, "combined": True},
                    note, {"taught_by": row["taught_by_name"], "combined": row["combined"],
                           "with": own[0]["label"]})


# --- the lesson itself ----------------------------------------------------------------------


async def do_cancel(actor: Actor, lesson_id: int, note: str = "") -> None:
    """«Урок отменён» for the date. A lesson with journal records is not cancelled."""
    note = _note(note)
    async with atomic():
        row = await _locked_lesson(lesson_id)
        if row["has_records"]:
            raise Refused(HAS_RECORDS.format(label=row["label"], what="отменить"))
        if row["cancelled"]:
            raise Refused(f"Урок уже отменён: {row['label']}")
        await _save(actor, "timetable.lesson_cancelled", row, {"cancelled": True}, note,
                    {"cancelled": False})


async def do_change_room(actor: Actor, lesson_id: int, room: int, note: str = "") -> None:
    """The lesson takes place in ``room`` on its date; refused when the room is taken then,
    naming the other lesson. Choosing the planned room again ends the room change."""
    note = _note(note)
    async with atomic():
        row = await _locked_lesson(lesson_id)
        await xact_lock(f"room:{room}:{row['on_date'].isoformat()}")
        rooms = await Lesson.raw("SELECT id, name FROM room WHERE id = {}", room).run()
        if not rooms:
            raise Refused("Кабинет: выберите кабинет из списка", field="room")
        if room == row["room"]:
            raise Refused(f"Урок и так в кабинете {rooms[0]['name']}", field="room")
        if row["cancelled"]:
            raise Refused(f"Урок отменён: {row['label']}", field="room")
        taken = [o for o in await q.lessons_at(row["on_date"], row["number"])
                 if o["room"] == room and o["id"] != row["id"]]
        if taken:
            raise Refused(f"Кабинет {rooms[0]['name']} в это время занят: {taken[0]['label']}. "
                          f"Урок, который переносим: {row['label']}", field="room")
        back_to_plan = row["slot"] is not None and room == row["planned_room"]
        await _save(actor, "timetable.lesson_room_changed", row,
                    {"room": room, "room_changed": not back_to_plan}, note,
                    {"room": row["room_name"], "room_changed": row["room_changed"]})


async def do_add_lesson(actor: Actor, on_date: date, number: int, subject: int, teacher: int,
                        room: int | None = None, *, school_class: int | None = None,
                        study_group: int | None = None, note: str = "",
                        today: date | None = None) -> int:
    """An extra lesson for a date («дополнительный урок»), not from the weekly timetable.
    Refused in the past, on a day without school or without bells for that number, and when
    the class, group, teacher or room is busy then."""
    note = _note(note)
    today = today or school_today()
    if (school_class is None) == (study_group is None):
        raise Refused("Выберите класс или группу", field="target")
    async with atomic():
        names = [f"teacher:{teacher}:{on_date}"] + ([f"room:{room}:{on_date}"] if room else [])
        target = (await Lesson.raw(
            "SELECT c.id, c.name, c.grade, c.week_days FROM school_class c WHERE c.id = {}", school_class).run()
            if school_class is not None else await Lesson.raw(
                "SELECT g.id, g.name, g.school_class, gc.grade, gc.week_days FROM study_group g "
                "LEFT JOIN school_class gc ON gc.id = g.school_class WHERE g.id = {}", study_group).run())
        if not target:
            raise Refused("Выберите класс или группу из списка", field="target")
        target = target[0]
        klass = school_class or target.get("school_class")
        if klass:
            names.append(f"class:{klass}:{on_date}")
        if study_group:
            names.append(f"group:{study_group}:{on_date}")
        await xact_lock(*names)
        subjects = await Lesson.raw("SELECT id, name FROM subject WHERE id = {}", subject).run()
        if not subjects:
            raise Refused("Предмет: выберите предмет из списка", field="subject")
        if room is not None and not await Lesson.raw("SELECT id FROM room WHERE id = {}", room).run():
            raise Refused("Кабинет: выберите кабинет из списка", field="room")
        await _check_lesson_time(on_date, number, target["grade"], target["week_days"] or 6, today)
        name = await _check_staff(teacher, on_date, "teacher", "Учитель")
        group_name = target["name"]
        label = f"{group_name}, {subjects[0]['name']}, {name}, {on_date:%d.%m.%Y}, {rules.lesson_name(number)}"
        new = {"id": None, "taught_by": teacher, "label": label, "school_class": school_class,
               "study_group": study_group, "group_class": target.get("school_class") if study_group else None,
               "student": None, "room": room}
        await _check_free(new, on_date, number)
        lesson_id = (await Lesson.insert(Lesson(
            on_date=on_date, number=number, school_class=school_class, study_group=study_group,
            subject=subject, teacher=teacher, taught_by=teacher, room=room, extra=True,
            change_note=note, changed_at=now(), revision=0)).returning(Lesson.id).run())[0]["id"]
        await record(actor, "timetable.lesson_added", "lesson", lesson_id,
                     new={"lesson": label, "note": note})
    return lesson_id


async def do_move(actor: Actor, lesson_id: int, to_date: date, to_number: int, note: str = "",
                  *, today: date | None = None) -> None:
    """The lesson takes place at another date or number; ``moved_from``/``moved_from_number``
    keep where the timetable put it. Refused into the past, onto a day without school or bells,
    when its class, group, teacher or room is busy there, and for a lesson with journal
    records."""
    note = _note(note)
    today = today or school_today()
    async with atomic():
        row = await _locked_lesson(lesson_id)
        await xact_lock(*_places(row, to_date))
        if row["has_records"]:
            raise Refused(HAS_RECORDS.format(label=row["label"], what="перенести"))
        if row["cancelled"]:
            raise Refused(f"Урок отменён: {row['label']}. Сначала верните его", field="to_date")
        if (to_date, to_number) == (row["on_date"], row["number"]):
            raise Refused("Урок и так стоит в это время", field="to_number")
        try:
            await _check_lesson_time(to_date, to_number, row["grade"], row["week_days"], today)
        except Refused as exc:
            raise Refused(exc.message, field={"on_date": "to_date", "number": "to_number"}.get(
                exc.field or "", exc.field)) from None
        await _check_free(row, to_date, to_number)
        first_date = row["moved_from"] or row["on_date"]
        first_number = row["moved_from_number"] if row["moved_from"] is not None else row["number"]
        back_home = (to_date, to_number) == (first_date, first_number) and not row["extra"]
        await _save(actor, "timetable.lesson_moved", row, {
            "on_date": to_date, "number": to_number,
            "moved_from": None if back_home or row["extra"] else first_date,
            "moved_from_number": None if back_home or row["extra"] else first_number,
        }, note, {"on_date": row["on_date"].isoformat(), "number": row["number"]})


async def do_restore(actor: Actor, lesson_id: int) -> None:
    """Undo the changes of a lesson for its date: the timetable's teacher teaches it, it is not
    cancelled, a moved lesson goes back to its place if that is free. An extra lesson is removed.
    A room change is not undone here (the lesson keeps no earlier room): change the room back."""
    async with atomic():
        row = await _locked_lesson(lesson_id)
        if row["extra"]:
            if row["has_records"]:
                raise Refused(HAS_RECORDS.format(label=row["label"], what="убрать"))
            await Lesson.delete().where(Lesson.id == row["id"]).run()
            await record(actor, "timetable.lesson_restored", "lesson", row["id"],
                         old={"lesson": row["label"], "extra": True}, new=None)
            return
        if not row["changed"]:
            raise Refused(f"Урок идёт по расписанию, отменять нечего: {row['label']}")
        if row["room_changed"]:
            planned = f" (по расписанию — каб. {row['planned_room_name']})" if row["planned_room_name"] else ""
            raise Refused(f"У урока изменён кабинет: выберите прежний кабинет{planned} в форме "
                          f"смены кабинета, затем верните остальное. Урок: {row['label']}", field="room")
        on_date, number = row["on_date"], row["number"]
        if row["moved"]:
            if row["has_records"]:
                raise Refused(HAS_RECORDS.format(label=row["label"], what="перенести"))
            on_date, number = row["moved_from"], row["moved_from_number"]
        back = {**row, "taught_by": row["teacher"], "taught_by_name": row["teacher_name"]}
        await xact_lock(*_places(back, on_date))
        if row["teacher"] != row["taught_by"] and await q.absences_of(row["teacher"], on_date, on_date):
            raise Refused(f"{row['teacher_name']} отсутствует {on_date:%d.%m.%Y}: оставьте замену "
                          "или отмените урок")
        await _check_free(back, on_date, number)
        await _save(actor, "timetable.lesson_restored", row, {
            "taught_by": row["teacher"], "combined": False, "cancelled": False,
            "on_date": on_date, "number": number, "moved_from": None, "moved_from_number": None,
        }, "", {"taught_by": row["taught_by_name"], "cancelled": row["cancelled"],
                "on_date": row["on_date"].isoformat(), "number": row["number"]})


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month (the hours report's default)."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)
