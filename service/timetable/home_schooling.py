"""Home schooling: «надомное обучение» (by a medical conclusion) and «семейное образование»
(R-ORG-5). An order puts a student on it for dates; for those dates the student has an
individual timetable (slots with ``student``) and is left out of the class journal for the
subjects the order lists (none listed: every subject). Ending it is setting ``ends_on``.

The actions check every rule themselves and write their change with its audit row in one
transaction; the queries at the end are what the journal and the lesson pages ask."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from service import forms
from service.accounts.tables import Person
from service.audit.log import Actor, record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.school.queries import in_force
from service.school.tables import Subject
from service.timetable.tables import HomeSchooling, HomeSchoolingSubject, Room, Slot

KINDS = {"home": "надомное обучение", "family": "семейное образование"}
ORDER_REF_MAX, NOTE_MAX = 100, 300


def now() -> datetime:
    return datetime.now(UTC)


def _text(value: str, label: str, limit: int, field: str, required: bool) -> str:
    return forms.value(forms.Text(label, limit, required=required), value, field)


_ENROLLED_SQL = f"""
SELECT e.school_class, c.name AS class_name, y.id AS year, y.name AS year_name,
       y.starts_on AS year_start, y.ends_on AS year_end, y.closed_at
FROM enrolment e
JOIN school_class c ON c.id = e.school_class
JOIN academic_year y ON y.id = c.year
WHERE e.student = {{}} AND {in_force("e")}
"""


async def _enrolled(student: int, day: date) -> dict:
    """The class (and its year) ``student`` is enrolled in on ``day``; refuses otherwise."""
    if not await Person.exists().where(Person.id == student).run():
        raise Refused("Ученик: выберите ученика из списка", field="student")
    row = (await HomeSchooling.raw(_ENROLLED_SQL, student, day, day).run() or [None])[0]
    if row is None:
        raise Refused(f"Ученик не зачислен ни в один класс на {day:%d.%m.%Y}: надомное или "
                      "семейное обучение оформляют ученику класса", field="starts_on")
    if row["closed_at"] is not None:
        raise Refused(f"Учебный год {row['year_name']} закрыт: его данные только для чтения",
                      field="starts_on")
    return row


def _check_dates(starts_on: date, ends_on: date | None, enrolled: dict) -> None:
    first, last = enrolled["year_start"], enrolled["year_end"]
    span = f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"
    if not first <= starts_on <= last:
        raise Refused(f"Дата начала {starts_on:%d.%m.%Y} — вне учебного года "
                      f"{enrolled['year_name']} ({span})", field="starts_on")
    if ends_on is not None:
        if ends_on < starts_on:
            raise Refused("Дата окончания не может быть раньше даты начала", field="ends_on")
        if ends_on > last:
            raise Refused(f"Дата окончания {ends_on:%d.%m.%Y} — вне учебного года "
                          f"{enrolled['year_name']} ({span})", field="ends_on")


async def _check_overlap(student: int, starts_on: date, ends_on: date | None,
                         except_id: int | None = None) -> None:
    query = HomeSchooling.select().where(HomeSchooling.student == student)
    if except_id is not None:
        query = query.where(HomeSchooling.id != except_id)
    for other in await query.order_by(HomeSchooling.starts_on).run():
        other_end = other["ends_on"] or date.max
        if other["starts_on"] <= (ends_on or date.max) and starts_on <= other_end:
            until = f"по {other['ends_on']:%d.%m.%Y}" if other["ends_on"] else "без даты окончания"
            raise Refused(f"У ученика уже есть {KINDS.get(other['kind'], other['kind'])} с "
                          f"{other['starts_on']:%d.%m.%Y} {until} ({other['order_ref']}): "
                          "сроки не должны пересекаться", field="starts_on")


async def _check_subjects(subjects: list[int]) -> list[int]:
    wanted = sorted(set(subjects))
    if not wanted:
        return []
    found = {r["id"] for r in await Subject.select(Subject.id).where(Subject.id.is_in(wanted)).run()}
    if set(wanted) - found:
        raise Refused("Предметы: выберите из списка", field="subjects")
    return wanted


def _fields(kind: str, order_ref: str, note: str) -> tuple[str, str, str]:
    if kind not in KINDS:
        raise Refused("Форма обучения: надомное или семейное", field="kind")
    order_ref = " ".join(_text(order_ref, "Приказ (номер и дата)", ORDER_REF_MAX, "order_ref",
                               True).split())
    note = _text(note, "Примечание", NOTE_MAX, "note", False)
    return kind, order_ref, note


def _audit(row: dict, subjects: list[int]) -> dict:
    return {"student": row["student"], "kind": row["kind"],
            "starts_on": row["starts_on"].isoformat(),
            "ends_on": row["ends_on"].isoformat() if row["ends_on"] else None,
            "order_ref": row["order_ref"], "note": row["note"], "subjects": subjects or "все"}


async def do_start_home_schooling(actor: Actor, student: int, kind: str, starts_on: date,
                                  ends_on: date | None, order_ref: str, subjects: list[int],
                                  note: str = "") -> int:
    """Put ``student`` on home («home») or family («family») schooling by the order
    ``order_ref`` from ``starts_on`` (to ``ends_on``, or open), for ``subjects`` (empty: every
    subject). The student must be in a class of an open year on ``starts_on``; the dates lie in
    that year and overlap no other home schooling of the student."""
    kind, order_ref, note = _fields(kind, order_ref, note)
    async with atomic():
        await xact_lock(f"home:{student}")  # no two overlapping spans of one student side by side
        enrolled = await _enrolled(student, starts_on)
        _check_dates(starts_on, ends_on, enrolled)
        await _check_overlap(student, starts_on, ends_on)
        wanted = await _check_subjects(subjects)
        row = {"student": student, "kind": kind, "starts_on": starts_on, "ends_on": ends_on,
               "order_ref": order_ref, "note": note}
        home_id = (await HomeSchooling.insert(HomeSchooling(created_at=now(), **row))
                   .returning(HomeSchooling.id).run())[0]["id"]
        if wanted:
            await HomeSchoolingSubject.insert(*[HomeSchoolingSubject(home_schooling=home_id, subject=s)
                                                for s in wanted]).run()
        await record(actor, "timetable.home_started", "home_schooling", home_id,
                     new={**_audit(row, wanted), "school_class": enrolled["school_class"]})
    return home_id


async def do_change_home_schooling(actor: Actor, home_id: int, starts_on: date,
                                   ends_on: date | None, subjects: list[int], order_ref: str,
                                   note: str | None = None) -> None:
    """New dates, subjects or order of a home schooling; ending it early is setting
    ``ends_on``. The same rules as for a new one."""
    old = await HomeSchooling.select().where(HomeSchooling.id == home_id).first().run()
    if old is None:
        raise NotFound()
    _, order_ref, note = _fields(old["kind"], order_ref, old["note"] if note is None else note)
    async with atomic():
        await xact_lock(f"home:{old['student']}")
        old = await HomeSchooling.select().where(HomeSchooling.id == home_id).first().run()
        if old is None:
            raise NotFound()
        enrolled = await _enrolled(old["student"], starts_on)
        _check_dates(starts_on, ends_on, enrolled)
        await _check_overlap(old["student"], starts_on, ends_on, except_id=home_id)
        wanted = await _check_subjects(subjects)
        before = sorted(r["subject"] for r in await HomeSchoolingSubject.select(
            HomeSchoolingSubject.subject).where(HomeSchoolingSubject.home_schooling == home_id).run())
        new = {**old, "starts_on": starts_on, "ends_on": ends_on, "order_ref": order_ref, "note": note}
        if _audit(new, wanted) == _audit(old, before):
            raise Refused("Ничего не изменилось: укажите другие даты, предметы или приказ",
                          field="starts_on")
        await HomeSchooling.update({HomeSchooling.starts_on: starts_on, HomeSchooling.ends_on: ends_on,
                                    HomeSchooling.order_ref: order_ref, HomeSchooling.note: note}).where(
            HomeSchooling.id == home_id).run()
        if wanted != before:
            await HomeSchoolingSubject.delete().where(HomeSchoolingSubject.home_schooling == home_id).run()
            if wanted:
                await HomeSchoolingSubject.insert(*[HomeSchoolingSubject(home_schooling=home_id, subject=s)
                                                    for s in wanted]).run()
        await record(actor, "timetable.home_changed", "home_schooling", home_id,
                     old=_audit(old, before), new=_audit(new, wanted))


# --- what other parts ask -------------------------------------------------------------------


async def _spans(where: str, args: list) -> list[dict]:
    """Home schooling rows matching ``where`` (over alias h) with their subject ids (one query)."""
    sql = f"""
    SELECT h.id, h.student, h.starts_on, h.ends_on, hs.subject
    FROM home_schooling h
    LEFT JOIN home_schooling_subject hs ON hs.home_schooling = h.id
    WHERE {where}
    ORDER BY h.student, h.starts_on, h.id
    """
    rows = await HomeSchooling.raw(sql, *args).run()
    spans: dict[int, dict] = {}
    for r in rows:
        span = spans.setdefault(r["id"], {"student": r["student"], "starts_on": r["starts_on"],
                                          "ends_on": r["ends_on"], "subjects": set()})
        if r["subject"] is not None:
            span["subjects"].add(r["subject"])
    return list(spans.values())


async def excluded_subjects(student_ids: list[int], start: date,
                            end: date) -> dict[int, list[tuple[date, date | None, set[int] | None]]]:
    """For each of ``student_ids`` on home schooling at some day of ``start``–``end``: its
    spans (starts, ends or None, the subjects it covers — None: every subject). Students
    without any are absent. One query."""
    ids = sorted({int(i) for i in student_ids})
    if not ids:
        return {}
    where = (f"h.student IN ({', '.join(str(i) for i in ids)}) AND h.starts_on <= {{}} "
             "AND (h.ends_on IS NULL OR h.ends_on >= {})")
    found: dict[int, list[tuple[date, date | None, set[int] | None]]] = defaultdict(list)
    for span in await _spans(where, [end, start]):
        found[span["student"]].append((span["starts_on"], span["ends_on"], span["subjects"] or None))
    return dict(found)


async def excluded_from_class(school_class: int, subject: int, day: date) -> set[int]:
    """The students of ``school_class`` on ``day`` whom home schooling takes out of the class
    journal of ``subject`` that day (their order lists the subject, or lists none). One query."""
    sql = f"""
    SELECT DISTINCT h.student
    FROM home_schooling h
    JOIN enrolment e ON e.student = h.student AND e.school_class = {{}} AND {in_force("e")}
    WHERE h.starts_on <= {{}} AND (h.ends_on IS NULL OR h.ends_on >= {{}})
      AND (NOT EXISTS (SELECT 1 FROM home_schooling_subject a WHERE a.home_schooling = h.id)
           OR EXISTS (SELECT 1 FROM home_schooling_subject b
                      WHERE b.home_schooling = h.id AND b.subject = {{}}))
    """
    rows = await HomeSchooling.raw(sql, school_class, day, day, day, day, subject).run()
    return {r["student"] for r in rows}


# --- pages ----------------------------------------------------------------------------------


_LIST_SQL = """
SELECT h.id, h.student, h.kind, h.starts_on, h.ends_on, h.order_ref, h.note,
       p.last_name, p.first_name, p.middle_name,
       (SELECT c.name FROM enrolment e JOIN school_class c ON c.id = e.school_class
        WHERE e.student = h.student AND e.starts_on <= {} AND (e.ends_on IS NULL OR e.ends_on >= {})
        ORDER BY e.starts_on DESC LIMIT 1) AS class_name
FROM home_schooling h
JOIN person p ON p.id = h.student
"""


async def _subject_names(home_ids: list[int]) -> dict[int, list[str]]:
    if not home_ids:
        return {}
    rows = await HomeSchoolingSubject.raw(
        "SELECT hs.home_schooling, s.name FROM home_schooling_subject hs "
        "JOIN subject s ON s.id = hs.subject WHERE hs.home_schooling IN ("
        + ", ".join(str(int(i)) for i in home_ids) + ") ORDER BY s.name").run()
    names: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        names[r["home_schooling"]].append(r["name"])
    return names


def _describe(row: dict, names: dict[int, list[str]], today: date) -> dict:
    row["full_name"] = " ".join(x for x in (row["last_name"], row["first_name"], row["middle_name"]) if x)
    row["kind_name"] = KINDS.get(row["kind"], row["kind"])
    row["subjects"] = names.get(row["id"], [])
    row["current"] = row["starts_on"] <= today and (row["ends_on"] is None or row["ends_on"] >= today)
    return row


async def home_list(today: date) -> list[dict]:
    """Home schooling in force today or starting later (2 queries), by student."""
    rows = await HomeSchooling.raw(
        _LIST_SQL + " WHERE h.ends_on IS NULL OR h.ends_on >= {} "
        "ORDER BY p.last_name, p.first_name, h.starts_on", today, today, today).run()
    names = await _subject_names([r["id"] for r in rows])
    return [_describe(r, names, today) for r in rows]


_SLOTS_SQL = """
SELECT s.id, s.weekday, s.number, s.week, s.subject, sub.name AS subject_name,
       s.teacher, p.last_name, p.first_name, p.middle_name, r.name AS room_name
FROM timetable_slot s
JOIN subject sub ON sub.id = s.subject
JOIN person p ON p.id = s.teacher
LEFT JOIN room r ON r.id = s.room
WHERE s.timetable = {} AND s.student = {}
ORDER BY s.weekday, s.number, s.week
"""


async def home_detail(home_id: int, today: date) -> dict | None:
    """One home schooling with its subjects (ids and names), the student's class and year and
    the individual slots of the timetable version in force (a constant number of queries)."""
    rows = await HomeSchooling.raw(_LIST_SQL + " WHERE h.id = {}", today, today, home_id).run()
    if not rows:
        return None
    row = _describe(rows[0], await _subject_names([home_id]), today)
    row["subject_ids"] = sorted(r["subject"] for r in await HomeSchoolingSubject.select(
        HomeSchoolingSubject.subject).where(HomeSchoolingSubject.home_schooling == home_id).run())
    # the version in force on the day the individual timetable matters: today, within its dates
    day = max(row["starts_on"], today)
    if row["ends_on"] is not None:
        day = min(day, row["ends_on"])
    version = (await HomeSchooling.raw(
        "SELECT t.id, t.name, t.starts_on, t.ends_on, t.cycle FROM timetable t "
        "JOIN school_class c ON c.year = t.year "
        f"JOIN enrolment e ON e.school_class = c.id AND e.student = {{}} AND {in_force('e')} "
        "WHERE t.starts_on <= {} AND (t.ends_on IS NULL OR t.ends_on >= {}) "
        "ORDER BY t.starts_on DESC LIMIT 1", row["student"], day, day, day, day).run() or [None])[0]
    row["version"] = version
    row["slots"] = []
    if version is not None:
        slots = await Slot.raw(_SLOTS_SQL, version["id"], row["student"]).run()
        for s in slots:
            s["teacher_name"] = " ".join(x for x in (s["last_name"], s["first_name"], s["middle_name"]) if x)
        row["slots"] = slots
    return row


async def subjects() -> list[dict]:
    return await Subject.select(Subject.id, Subject.name).order_by(Subject.name).run()


async def class_students(class_id: int, day: date) -> list[dict]:
    """The students of a class on ``day``, for choosing whom to put on home schooling."""
    return await Person.raw(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name FROM enrolment e "
        f"JOIN person p ON p.id = e.student WHERE e.school_class = {{}} AND {in_force('e')} "
        "ORDER BY p.last_name, p.first_name, p.id", class_id, day, day).run()


async def current_classes() -> list[dict]:
    return await Person.raw(
        "SELECT c.id, c.name FROM school_class c JOIN academic_year y ON y.id = c.year "
        "AND y.is_current = {} ORDER BY c.grade, c.letter", True).run()


async def teachers(day: date) -> list[dict]:
    """The staff on ``day``, for choosing who teaches an individual lesson."""
    return await Person.raw(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name FROM staff_member s "
        f"JOIN person p ON p.id = s.person WHERE {in_force('s')} "
        "ORDER BY p.last_name, p.first_name, p.id", day, day).run()


async def rooms() -> list[dict]:
    return await Room.select(Room.id, Room.name).order_by(Room.name).run()


async def slot_student(slot_id: int) -> int | None:
    """Whose individual lesson slot ``slot_id`` is (None: not an individual lesson)."""
    row = await Slot.select(Slot.student).where(Slot.id == slot_id).first().run()
    return row["student"] if row else None
