"""Absence notes (R-ATT-1): a class teacher records the reason of a student's absence for
whole days once — a doctor's certificate (по болезни, «б») or a parent's note (уважительная,
«у») — and every «н» of those days takes it: the ones already marked here, the later ones in
``cells`` (``cell_context`` reads the day's notes). Removing a note puts those cells back to «н».
A closed period is not touched: its cells change only as a correction (with a reason, approved
where the school asks), so a note there changes nothing already written and says how many
marks it left.

Who: the class teacher (``journal.class``) of the class the student was in on those days, or a
holder of ``journal.edit``; anyone else gets «not found» for the student."""

from __future__ import annotations

from datetime import date, timedelta

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, rules
from service.journal.tables import AbsenceNote
from service.timetable.tables import Lesson

NOTE_MAX = 300
AHEAD_DAYS = 30  # a note for days to come (a planned operation), at most that far ahead
KINDS = {"ill": "по болезни", "excused": "по уважительной причине"}
NOTE = forms.Text("Основание (справка, записка)", NOTE_MAX)


async def may_note(viewer: Viewer, student: int, starts_on: date, ends_on: date) -> bool:
    """Whether the viewer records notes for this student on these days."""
    if viewer.can("journal.edit"):
        rows = await Lesson.raw("SELECT 1 FROM enrolment WHERE student = {} LIMIT 1", student).run()
        return bool(rows)
    if viewer.person_id is None or not viewer.can("journal.class"):
        return False
    rows = await Lesson.raw(
        "SELECT 1 FROM enrolment e JOIN school_class c ON c.id = e.school_class "
        "WHERE e.student = {} AND c.class_teacher = {} AND e.starts_on <= {} "
        "AND (e.ends_on IS NULL OR e.ends_on >= {}) LIMIT 1",
        student, viewer.person_id, ends_on, starts_on).run()
    return bool(rows)


async def _year_of(day: date) -> dict | None:
    rows = await Lesson.raw("SELECT id, name, starts_on, ends_on, closed_at FROM academic_year "
                            "WHERE starts_on <= {} AND ends_on >= {}", day, day).run()
    return rows[0] if rows else None


def check_days(starts_on: date | None, ends_on: date | None, today: date) -> tuple[date, date]:
    if starts_on is None:
        raise Refused("С какого дня: укажите дату", field="starts_on")
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise Refused("По какой день: не раньше первого дня", field="ends_on")
    if ends_on > today + timedelta(days=AHEAD_DAYS):
        raise Refused(f"По какой день: не дальше чем на {AHEAD_DAYS} дней вперёд "
                      f"(до {today + timedelta(days=AHEAD_DAYS):%d.%m.%Y})", field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise Refused("По какой день: не больше года", field="ends_on")
    return starts_on, ends_on


async def _cells(student: int, starts_on: date, ends_on: date, kinds: tuple[str, ...]) -> list[dict]:
    """The student's attendance rows of those days with one of ``kinds`` (and the cell's marks)."""
    marks = ", ".join("{}" for _ in kinds)
    rows = await Lesson.raw(
        f"SELECT a.id, a.lesson, a.kind, l.on_date, l.number FROM attendance a JOIN lesson l ON l.id = a.lesson "
        f"WHERE a.student = {{}} AND l.on_date >= {{}} AND l.on_date <= {{}} AND a.kind IN ({marks}) "
        f"ORDER BY l.on_date, l.number", student, starts_on, ends_on, *kinds).run()
    if not rows:
        return []
    lessons = ", ".join("{}" for _ in rows)
    grades = await Lesson.raw(
        f"SELECT lesson, mark FROM grade WHERE student = {{}} AND removed_at IS NULL AND lesson IN ({lessons}) "
        f"ORDER BY position, id", student, *[r["lesson"] for r in rows]).run()
    for r in rows:
        r["marks"] = [g["mark"] for g in grades if g["lesson"] == r["lesson"]]
    return rows


async def _open_only(student: int, rows: list[dict], year_id: int) -> tuple[list[dict], int]:
    """The rows whose day lies in no closed study period of the student's grade, and how many
    were left out. Two queries."""
    if not rows:
        return rows, 0
    grade = await Lesson.raw(
        "SELECT c.grade FROM enrolment e JOIN school_class c ON c.id = e.school_class AND c.year = {} "
        "WHERE e.student = {} ORDER BY e.starts_on DESC LIMIT 1", year_id, student).run()
    g = grade[0]["grade"] if grade else 1
    closed = await Lesson.raw(
        "SELECT p.starts_on, p.ends_on FROM study_period p WHERE p.year = {} AND p.grade_from <= {} "
        "AND p.grade_to >= {} AND EXISTS (SELECT 1 FROM period_closing pc WHERE pc.period = p.id "
        "AND pc.reopened_at IS NULL)", year_id, g, g).run()
    kept = [r for r in rows if not any(c["starts_on"] <= r["on_date"] <= c["ends_on"] for c in closed)]
    return kept, len(rows) - len(kept)


async def _retag(viewer: Viewer, student: int, rows: list[dict], kind: str, reason: str) -> int:
    """Give these attendance rows ``kind``, one audit row per cell (its history)."""
    now = access.now()
    for r in rows:
        await xact_lock(f"cell:{r['lesson']}:{student}")
    for r in rows:
        await Lesson.raw("UPDATE attendance SET kind = {}, updated_at = {}, updated_by = {} WHERE id = {}",
                         kind, now, viewer.person_id, r["id"]).run()
        await record(viewer.actor, "journal.cell_saved", "cell", access.cell_id(r["lesson"], student),
                     old={"text": rules.cell_text(r["kind"], r["marks"])},
                     new={"lesson": f"{r['on_date']:%d.%m.%Y} № {r['number']}",
                          "text": rules.cell_text(kind, r["marks"])}, reason=reason)
    return len(rows)


async def do_add_note(viewer: Viewer, student: int, starts_on: date | None, ends_on: date | None,
                      kind: str, note: str = "") -> tuple[int, int, int]:
    """Record the reason of a student's absence for whole days; every «н» of those days in open
    periods takes it. Returns the note's id, how many marks changed and how many in closed
    periods were left as they are."""
    if kind not in KINDS:
        raise Refused("Причина: выберите «по болезни» или «по уважительной причине»", field="kind")
    note = forms.value(NOTE, note, "note")
    starts_on, ends_on = check_days(starts_on, ends_on, access.school_today())
    async with atomic():
        year = await _year_of(starts_on)
        if year is None or ends_on > year["ends_on"]:
            raise Refused("Дни справки должны быть внутри одного учебного года", field="ends_on")
        if not 0 < student <= 2**31 - 1 or not await may_note(viewer, student, starts_on, ends_on):
            raise NotFound()
        if year["closed_at"] is not None:
            raise Refused(f"Учебный год {year['name']} закрыт: его журнал только для чтения", field="starts_on")
        await xact_lock(f"notes:{student}")
        row = (await AbsenceNote.insert(AbsenceNote(
            student=student, starts_on=starts_on, ends_on=ends_on, kind=kind, note=note,
            created_at=access.now(), created_by=viewer.person_id)).returning(AbsenceNote.id).run())[0]["id"]
        await record(viewer.actor, "journal.note_added", "absence_note", row, new={
            "student": student, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
            "kind": kind, "note": note})
        cells, left = await _open_only(student, await _cells(student, starts_on, ends_on, ("absent",)), year["id"])
        changed = await _retag(viewer, student, cells, kind,
                               f"Справка: {KINDS[kind]}" + (f" ({note})" if note else ""))
        return row, changed, left


async def do_remove_note(viewer: Viewer, note_id: int) -> tuple[int, int]:
    """Take a note back (recorded by mistake): the marks it gave its reason in open periods
    become «н» again, unless another note covers their day. Returns the student and how many
    marks in closed periods were left as they are."""
    async with atomic():
        if 0 < note_id <= 2**31 - 1:  # two at once: the second waits, then finds it removed
            await xact_lock(f"note:{note_id}")
        rows = await Lesson.raw("SELECT id, student, starts_on, ends_on, kind, note FROM absence_note "
                                "WHERE id = {} AND removed_at IS NULL", note_id).run() if 0 < note_id <= 2**31 - 1 else []
        if not rows:
            raise NotFound()
        n = rows[0]
        if not await may_note(viewer, n["student"], n["starts_on"], n["ends_on"]):
            raise NotFound()
        year = await _year_of(n["starts_on"])
        if year is not None and year["closed_at"] is not None:
            raise Refused(f"Учебный год {year['name']} закрыт: его журнал только для чтения")
        await xact_lock(f"notes:{n['student']}")
        await AbsenceNote.update({AbsenceNote.removed_at: access.now()}).where(AbsenceNote.id == note_id).run()
        await record(viewer.actor, "journal.note_removed", "absence_note", note_id, old={
            "student": n["student"], "starts_on": n["starts_on"].isoformat(), "ends_on": n["ends_on"].isoformat(),
            "kind": n["kind"], "note": n["note"]})
        others = await Lesson.raw("SELECT starts_on, ends_on FROM absence_note WHERE student = {} "
                                  "AND removed_at IS NULL AND starts_on <= {} AND ends_on >= {}",
                                  n["student"], n["ends_on"], n["starts_on"]).run()
        cells = [c for c in await _cells(n["student"], n["starts_on"], n["ends_on"], (n["kind"],))
                 if not any(o["starts_on"] <= c["on_date"] <= o["ends_on"] for o in others)]
        left = 0
        if year is not None:
            cells, left = await _open_only(n["student"], cells, year["id"])
        await _retag(viewer, n["student"], cells, "absent", "Справка снята")
        return n["student"], left
