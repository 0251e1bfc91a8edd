"""The dated lessons of a timetable version, kept in step with its weekly slots.

A slot («по понедельникам, 2-й урок, неделя A: 5А, математика») becomes a lesson on each school
day that matches it (rules.lesson_days). Whenever a slot, a version or a special day changes,
the action that changed it calls :func:`sync_lessons` in its own transaction, from the first day
it may change (:func:`first_editable_day` — the past is never rewritten):

- a lesson that stays keeps its id (a calendar feed shows the same event), gets the new subject,
  teacher or room and a higher ``revision``; a change made for its date (a substitute, another
  room, a move) stays;
- a lesson no longer wanted is deleted, a newly wanted one inserted;
- a lesson holding journal records (``has_records``) is never moved, changed or deleted: the
  whole edit is refused with the list of those lessons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from service.audit.log import Actor, record
from service.db import bulk_insert, is_postgres
from service.errors import NotFound, Refused
from service.school.rules import Day
from service.school.tables import AcademicYear, CalendarDay
from service.timetable import rules
from service.timetable.tables import DaySetting, Lesson, Slot, Timetable

LISTED = 10  # how many affected lessons a refusal names before «и ещё N»
_FIELDS = ("number", "school_class", "study_group", "student", "subject", "teacher", "room")
_CHUNK = 500


@dataclass
class Sync:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)


def first_editable_day(version_starts_on: date, today: date) -> date:
    """Timetable edits change lessons from this day on: never before the version starts, never
    in the past."""
    return max(version_starts_on, today)


async def _calendar(year_id: int) -> list[Day]:
    rows = await CalendarDay.select().where(CalendarDay.year == year_id).run()
    return [Day(r["kind"], r["name"], r["grade_from"], r["grade_to"], r["starts_on"], r["ends_on"])
            for r in rows]


_SLOTS_SQL = """
SELECT s.id, s.weekday, s.number, s.week, s.school_class, s.study_group, s.student, s.subject,
       s.teacher, s.room, COALESCE(c.grade, gc.grade) AS grade,
       COALESCE(c.week_days, gc.week_days) AS week_days
FROM timetable_slot s
LEFT JOIN school_class c ON c.id = s.school_class
LEFT JOIN study_group g ON g.id = s.study_group
LEFT JOIN school_class gc ON gc.id = g.school_class
WHERE s.timetable = {}
"""

_LESSONS_SQL = """
SELECT l.id, l.on_date, l.number, l.school_class, l.study_group, l.student, l.subject, l.teacher,
       l.taught_by, l.room, l.slot, l.room_changed, l.moved_from, l.has_records, l.revision
FROM lesson l JOIN timetable_slot s ON s.id = l.slot
WHERE s.timetable = {} AND COALESCE(l.moved_from, l.on_date) >= {}
"""


async def _wanted(version: dict, year: dict, from_date: date, slots: list[dict]) -> dict:
    """(slot id, date) → the lesson's fields, for every slot's school days from ``from_date``."""
    calendar = await _calendar(year["id"])
    as_weekday = {r["on_date"]: r["as_weekday"] for r in await DaySetting.select(
        DaySetting.on_date, DaySetting.as_weekday).where(
        (DaySetting.year == year["id"]) & DaySetting.as_weekday.is_not_null()).run()}
    skipped = tuple(rules.weeks_without_school(year["starts_on"], year["ends_on"], calendar)
                    if version["skip_holiday_weeks"] else ())
    v = rules.Version(version["starts_on"], version["ends_on"], version["cycle"], version["anchor"], skipped)
    days_of: dict[rules.Pattern, dict[tuple[int, int], list[date]]] = {}
    wanted: dict[tuple[int, date], dict] = {}
    for slot in slots:
        pattern = rules.Pattern(slot["grade"], slot["week_days"] or 6)
        if pattern not in days_of:
            table: dict[tuple[int, int], list[date]] = defaultdict(list)
            for day, weekday, week in rules.lesson_days(v, pattern, from_date, year["ends_on"],
                                                        year["starts_on"], year["ends_on"],
                                                        calendar, as_weekday):
                table[(weekday, week)].append(day)
            days_of[pattern] = table
        table = days_of[pattern]
        weeks = (0, 1, 2) if slot["week"] == 0 else (slot["week"],)
        for week in weeks:
            for day in table.get((slot["weekday"], week), ()):
                wanted[(slot["id"], day)] = {f: slot[f] for f in _FIELDS}
    return wanted


async def sync_lessons(actor: Actor, version_id: int, from_date: date, *,
                       slot_ids: Collection[int] | None = None,
                       removing: Collection[int] = ()) -> Sync:
    """Make the lessons of version ``version_id`` from ``from_date`` on agree with its slots
    (all of them, or only ``slot_ids``); the lessons of the slots in ``removing`` (about to be
    deleted by the caller) go. Must run inside the caller's ``atomic()``, after its own writes;
    raises ``Refused`` naming the lessons with journal records it would touch."""
    version = await Timetable.select().where(Timetable.id == version_id).first().run()
    if version is None:
        raise NotFound()
    year = await AcademicYear.select().where(AcademicYear.id == version["year"]).first().run()
    slots = await Slot.raw(_SLOTS_SQL, version_id).run()
    only = None if slot_ids is None else set(slot_ids) | set(removing)
    if only is not None:
        slots = [s for s in slots if s["id"] in only]
    slots = [s for s in slots if s["id"] not in set(removing)]
    wanted = await _wanted(version, year, from_date, slots)
    # On PostgreSQL the rows are locked as they are read: a change for a date committing at the
    # same moment (a substitute) is waited for and then seen, never overwritten from a stale
    # read. SQLite's one write lock already serialises the two.
    sql = _LESSONS_SQL + (" FOR UPDATE OF l" if is_postgres() else "")
    existing = await Lesson.raw(sql, version_id, from_date).run()
    if only is not None:
        existing = [lesson for lesson in existing if lesson["slot"] in only]

    deletes, updates, blocked = [], [], []
    for lesson in existing:
        key = (lesson["slot"], lesson["moved_from"] or lesson["on_date"])
        want = wanted.pop(key, None)
        if want is None:
            (blocked if lesson["has_records"] else deletes).append(lesson["id"])
            continue
        changes = {f: want[f] for f in _FIELDS if lesson[f] != want[f]
                   and not (f == "number" and lesson["moved_from"] is not None)
                   and not (f == "room" and lesson["room_changed"])}
        if not changes:
            continue
        if lesson["has_records"]:
            blocked.append(lesson["id"])
            continue
        if "teacher" in changes and lesson["taught_by"] == lesson["teacher"]:
            changes["taught_by"] = changes["teacher"]  # not replaced for the date: the new teacher teaches
        updates.append((lesson["id"], changes, lesson["revision"] + 1))
    if blocked:
        raise Refused(await refusal(blocked))

    for i in range(0, len(deletes), _CHUNK):
        await Lesson.delete().where(Lesson.id.is_in(deletes[i:i + _CHUNK])).run()
    for lesson_id, changes, revision in updates:
        await Lesson.update({**{getattr(Lesson, f): v for f, v in changes.items()},
                             Lesson.revision: revision}).where(Lesson.id == lesson_id).run()
    columns = (Lesson.on_date, Lesson.number, Lesson.school_class, Lesson.study_group,
               Lesson.student, Lesson.subject, Lesson.teacher, Lesson.taught_by, Lesson.room,
               Lesson.slot, Lesson.cancelled, Lesson.combined, Lesson.room_changed, Lesson.extra,
               Lesson.change_note, Lesson.revision, Lesson.has_records)
    rows = [(day, f["number"], f["school_class"], f["study_group"], f["student"], f["subject"],
             f["teacher"], f["teacher"], f["room"], slot_id, False, False, False, False, "", 0, False)
            for (slot_id, day), f in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    await bulk_insert(Lesson, columns, rows)
    done = Sync(inserted=len(rows), updated=len(updates), deleted=len(deletes))
    if done:
        await record(actor, "timetable.lessons_made", "timetable", version_id,
                     new={"from": from_date.isoformat(), "inserted": done.inserted,
                          "updated": done.updated, "deleted": done.deleted})
    return done


async def detach_slot(slot_id: int) -> None:
    """Before a slot row is deleted: its past lessons stay, as history, without it."""
    await Lesson.update({Lesson.slot: None}).where(Lesson.slot == slot_id).run()


_LABELS_SQL = """
SELECT l.id, l.on_date, l.number, c.name AS class_name, g.name AS group_name, s.name AS subject
FROM lesson l
JOIN subject s ON s.id = l.subject
LEFT JOIN school_class c ON c.id = l.school_class
LEFT JOIN study_group g ON g.id = l.study_group
WHERE l.id IN ({ids})
"""


async def _label_rows(lesson_ids: Collection[int]) -> list[dict]:
    ids = sorted({int(i) for i in lesson_ids})
    if not ids:
        return []
    rows = await Lesson.raw(_LABELS_SQL.replace("{ids}", ", ".join(str(i) for i in ids))).run()
    for r in rows:
        who = r["group_name"] or r["class_name"] or "индивидуальный урок"
        r["label"] = f"{who}, {r['subject']}, {r['on_date']:%d.%m.%Y}, {rules.lesson_name(r['number'])}"
    return sorted(rows, key=lambda r: (r["on_date"], r["number"], r["label"]))


async def lesson_labels(lesson_ids: Collection[int]) -> dict[int, str]:
    """«5А, Математика, 24.11.2026, 2-й урок» for each lesson (an individual lesson names no
    class: «индивидуальный урок»)."""
    return {r["id"]: r["label"] for r in await _label_rows(lesson_ids)}


async def refusal(lesson_ids: Collection[int]) -> str:
    """The message refusing an edit that would touch lessons with journal records, naming them
    in date order."""
    labels = [r["label"] for r in await _label_rows(lesson_ids)]
    shown = "; ".join(labels[:LISTED])
    tail = f" и ещё {len(labels) - LISTED}" if len(labels) > LISTED else ""
    return ("Изменение затронет уроки, на которых уже есть отметки, посещаемость или тема: "
            f"{shown}{tail}. Такие уроки расписание не меняет: начните новую версию расписания "
            "с более поздней даты или измените эти уроки на дату")
