"""Writing a journal cell — one student at one lesson: attendance and the marks of the lesson
(R-ATT-1, R-GRADE-1, R-GRADE-4, R-SEC-3). The one place that writes ``attendance`` and
``grade`` rows; the grid's saves, the lesson's attendance list, the JSON API and approved
corrections all come here.

Every rule is checked here, not in a route: the viewer writes this lesson (``may_write``), the
year is open, the lesson took place and is not cancelled, the student belonged to the class or
group that day (order book, home schooling), every mark is one of the journal's grading system,
nobody changed the cell since the writer saw it (``was``: the later of two teachers sees the
conflict and nothing is overwritten), and the lesson's lock: freely within the school's days,
later with a reason, or — where the school asks — as a correction awaiting a deputy head.

A cell is serialised by an advisory lock on PostgreSQL (``cell:<lesson>:<student>``) and by
SQLite's write lock; its audit row (``object_type`` "cell", ``object_id`` "<lesson>:<student>",
old and new text, reason) is the cell's history."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from decimal import Decimal

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record, record_many
from service.db import atomic, fetch, is_postgres, lock_key, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, cell_context, rules
from service.journal.tables import Correction, Grade, LessonEntry
from service.timetable.tables import Lesson

REASON_MAX = 1000
# The reason an entry carried over from the paper journal (R-OPS-5) gets unless the teacher
# writes one: entering it late is the point, so the lock asks for no other explanation.
PAPER_REASON = "Перенесено из бумажного журнала (электронный журнал был недоступен)"

# At most this many cell saves of one process inside their transactions at once: the audit
# chain's lock serialises the tail of every save, and writers queueing for it in the database
# cost more than waiting here (../shared/perf-notes.md: fewer concurrent writers, more saves).
WRITERS_AT_ONCE = 4
_writers: dict[int, asyncio.Semaphore] = {}


def writers() -> asyncio.Semaphore:
    """This event loop's semaphore of cell writers (a semaphore belongs to one loop)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _writers:
        _writers.clear()  # a new loop (tests start one per test): the old one's is gone
        _writers[loop] = asyncio.Semaphore(WRITERS_AT_ONCE)
    return _writers[loop]


class Conflict(Refused):
    """Someone changed the cell after the writer saw it; ``current`` is what it holds now."""

    def __init__(self, message: str, current: str):
        super().__init__(message, field="value")
        self.current = current


class NeedReason(Refused):
    """The lesson is locked: the change needs a reason (``need`` "reason") or will go to a
    deputy head for approval with it (``need`` "approval")."""

    def __init__(self, message: str, need: str):
        super().__init__(message, field="reason")
        self.need = need


@dataclass
class Saved:
    """What a save did: ``state`` "saved", "same" (nothing to change) or "pending" (a correction
    awaits approval, ``correction`` its id); ``text`` what the cell shows now."""

    text: str
    state: str
    correction: int | None = None


@dataclass
class LessonContext:
    """What every cell of one lesson needs, read once (a whole lesson's attendance reuses it)."""

    lesson: dict
    system: rules.System
    state: str  # rules.FREE | REASON | APPROVAL
    spans: dict[int, list] = field(default_factory=dict)
    work_kind: int = 0
    weight: Decimal = Decimal(1)
    notes: dict[int, str] = field(default_factory=dict)  # student → the reason of their day's note
    locked: int | None = None  # the student whose cell lock the context's query took
    # student → their cell as stored, read after its lock with the context (taken by write_cell)
    stored: dict[int, tuple[dict | None, list[dict]]] = field(default_factory=dict)


def check_reason(reason: str, from_paper: bool = False) -> str:
    reason = forms.value(forms.Text("Причина исправления", REASON_MAX), reason or "", "reason")
    return reason or (PAPER_REASON if from_paper else "")


async def lesson_context(viewer: Viewer, lesson_id: int, *, approved: bool = False,
                         student: int | None = None) -> LessonContext:
    """Read and check what a write to any cell of the lesson depends on (with ``student``: to
    that student's cell only, whose advisory lock it then holds). A lesson the viewer does not
    write is «not found» (its id tells nothing). Two queries: the lesson, then
    ``cell_context.read``. For one ``student`` on PostgreSQL the lesson's statement takes the
    cell's advisory lock, so the context's statement reads the cell as stored after it (on
    SQLite the transaction holds the write lock): a save spends no round trip of its own on
    the lock or the cell."""
    locking = student is not None and is_postgres()
    lesson = await access.lesson(lesson_id, lock=lock_key(f"cell:{lesson_id}:{student}") if locking else None)
    edit_all = viewer.can("journal.edit")
    teach = viewer.person_id is not None and viewer.can("journal.teach")
    planned = viewer.person_id is not None and viewer.person_id in (lesson["teacher"], lesson["taught_by"])
    if not approved and not edit_all and not teach:
        raise NotFound()
    ref = access.ref_of_lesson(lesson)
    facts = await cell_context.read(lesson, ref, student=student, person=viewer.person_id,
                                    check_load=not approved and not edit_all and not planned, cell=True)
    if not approved and not edit_all and not planned and not facts.may_write_by_load:
        raise NotFound()  # access.may_write, its teaching load read in the same query
    if lesson["year_closed_at"] is not None:
        raise Refused(f"Учебный год {lesson['year_name']} закрыт: его журнал только для чтения")
    today = access.school_today()
    rules.check_gradable(lesson["on_date"], today, bool(lesson["cancelled"]))
    state = rules.FREE if approved else rules.lock_state(lesson["on_date"], today, facts.edit_days,
                                                           facts.period_closed, facts.approval_required)
    return LessonContext(lesson=lesson, system=facts.system, state=state, spans=facts.spans,
                         work_kind=facts.work_kind, weight=facts.weight, notes=facts.notes,
                         locked=student if locking else None,
                         stored=({} if facts.cell is None else
                                 {student: _cells([(0, *r) for r in facts.cell]).get(0, (None, []))}))


async def current(lesson_id: int, student: int) -> tuple[dict | None, list[dict]]:
    """The cell as stored: its attendance row (or none) and its grades in order. One query."""
    rows = await fetch(
        "SELECT 0 AS k, id, kind AS text, CAST(NULL AS TEXT) AS value, 0 AS position FROM attendance "
        "WHERE lesson = {} AND student = {} "
        "UNION ALL SELECT 1 AS k, id, mark, CAST(value AS TEXT), position FROM grade "
        "WHERE lesson = {} AND student = {} AND removed_at IS NULL", lesson_id, student, lesson_id, student)
    return _cells([(0, *r) for r in rows]).get(0, (None, []))


async def current_many(lesson_id: int) -> dict[int, tuple[dict | None, list[dict]]]:
    """Every cell of the lesson as stored: student → (attendance row or none, grades). One query."""
    rows = await fetch(
        "SELECT student, 0 AS k, id, kind AS text, CAST(NULL AS TEXT) AS value, 0 AS position FROM attendance "
        "WHERE lesson = {} "
        "UNION ALL SELECT student, 1 AS k, id, mark, CAST(value AS TEXT), position FROM grade "
        "WHERE lesson = {} AND removed_at IS NULL", lesson_id, lesson_id)
    return _cells(rows)


def _cells(rows) -> dict[int, tuple[dict | None, list[dict]]]:
    """(student, k, id, text, value, position) rows → student → (attendance, grades in order)."""
    out: dict[int, tuple[dict | None, list[dict]]] = {}
    for student, k, row_id, text, value, position in sorted(rows, key=lambda r: (r[0], r[1], r[5], r[2])):
        att, grades = out.get(student, (None, []))
        if k == 0:
            att = {"id": row_id, "kind": text}
        else:
            grades.append({"id": row_id, "mark": text, "value": None if value is None else Decimal(value),
                           "position": position})
        out[student] = (att, grades)
    return out


def text_of(att: dict | None, grades: list[dict]) -> str:
    return rules.cell_text(att["kind"] if att else None, [g["mark"] for g in grades])


async def do_save_cell(viewer: Viewer, lesson_id: int, student: int, typed: str, *,
                       was: str | None = None, reason: str = "", from_paper: bool = False) -> Saved:
    """Save what was typed into a cell (see the module's rules). ``was``: the text the writer
    saw (none: do not check); ``from_paper``: carried over from the paper journal kept while the
    service was down — audited as such. Refusals raise ``Refused`` (``Conflict``, ``NeedReason``)."""
    reason = check_reason(reason, from_paper)
    async with writers(), atomic():
        ctx = await lesson_context(viewer, lesson_id, student=student)
        return await write_cell(viewer, ctx, student, typed, was=was, reason=reason, from_paper=from_paper)


async def do_save_attendance(viewer: Viewer, lesson_id: int, marks: dict[int, str | None], *,
                             reason: str = "", from_paper: bool = False) -> dict[int, Saved]:
    """The attendance of a whole lesson at once (the lesson page's list): ``marks`` maps each
    student to an attendance kind (none: present); their marks stay. One transaction: a refusal
    for one student saves nobody."""
    reason = check_reason(reason, from_paper)
    for kind in marks.values():
        if kind is not None and kind not in rules.ATTENDANCE:
            raise Refused("Неизвестная отметка посещаемости", field="attendance")
    done: dict[int, Saved] = {}
    async with atomic():
        ctx = await lesson_context(viewer, lesson_id)
        # Every cell's lock first, in one statement and one order, then every cell in one query,
        # and the audit rows in one insert at the end (a lesson break: 180 teachers saving
        # attendance at once; 2 round trips a pupil before). Holding the cells before the first
        # audit row also means no save of one cell can wait for the chain while holding a cell
        # this one still needs.
        await xact_lock(*(f"cell:{lesson_id}:{student}" for student in marks))
        stored = await current_many(lesson_id)
        audit: list[tuple] = []
        for student, kind in marks.items():
            done[student] = await write_cell(viewer, ctx, student, "", reason=reason,
                                             attendance_only=(kind,), from_paper=from_paper,
                                             stored=stored.get(student, (None, [])), audit=audit)
        if audit:
            await record_many(viewer.actor, "journal.cell_saved", audit, reason=reason)
        await _attendance_taken(lesson_id, viewer.person_id)
    return done


async def _attendance_taken(lesson_id: int, person: int | None) -> None:
    """Note that the lesson's attendance was taken (the reminder stops asking)."""
    now = access.now()
    updated = await Lesson.raw("UPDATE lesson_entry SET attendance_at = {} WHERE lesson = {} RETURNING id",
                               now, lesson_id).run()
    if not updated:
        await LessonEntry.insert(LessonEntry(lesson=lesson_id, attendance_at=now, updated_at=now,
                                             updated_by=person)).run()
    await access.mark_has_records(lesson_id)


async def write_cell(viewer: Viewer, ctx: LessonContext, student: int, typed: str, *,
                     was: str | None = None, reason: str = "", correction: int | None = None,
                     attendance_only: tuple[str | None] | None = None, from_paper: bool = False,
                     stored: tuple[dict | None, list[dict]] | None = None, audit: list | None = None) -> Saved:
    """Inside the caller's transaction, after :func:`lesson_context`. With ``attendance_only``
    (a 1-tuple of a kind or None) the cell keeps its marks and takes that attendance. With
    ``stored`` the caller holds the cell's lock and read it (:func:`current_many`); with
    ``audit`` the cell's audit row is appended there for the caller to record."""
    lesson = ctx.lesson
    day = lesson["on_date"]
    if not access.belongs(ctx.spans.get(student, []), day):
        raise Refused(f"{await _name(student)} не учился(-ась) в "
                      f"{lesson['group_name'] or lesson['class_name'] or 'этом журнале'} "
                      f"{day:%d.%m.%Y}: отметки за этот урок не ставятся", field="student")
    if attendance_only is None:
        cell = rules.parse_cell(typed, ctx.system)
    if stored is None:
        stored = ctx.stored.pop(student, None)  # read with the context, once
    if stored is not None:
        att, grades = stored
    else:
        if ctx.locked != student:
            await xact_lock(f"cell:{lesson['id']}:{student}")
        att, grades = await current(lesson["id"], student)
    old = text_of(att, grades)
    if attendance_only is not None:
        typed = rules.cell_text(attendance_only[0], [g["mark"] for g in grades])
        cell = rules.Cell(attendance_only[0], tuple((g["mark"], g["value"]) for g in grades))
    if was is not None and was.strip() != old:
        raise Conflict(f"Клетку уже изменили: сейчас в ней «{old or 'пусто'}». Ваша запись "
                       f"«{typed.strip() or 'пусто'}» не сохранена — проверьте и введите снова", old)
    attendance = cell.attendance
    if attendance == "absent":
        attendance = ctx.notes.get(student) or "absent"
    new = rules.cell_text(attendance, [m for m, _ in cell.marks])
    if new == old:
        return Saved(old, "same")
    if ctx.state != rules.FREE and correction is None:
        if not reason:
            need = "approval" if ctx.state == rules.APPROVAL else "reason"
            raise NeedReason("Урок закрыт для свободного исправления: укажите причину"
                             + (" — исправление уйдёт на утверждение заместителю директора"
                                if need == "approval" else ""), need)
        if ctx.state == rules.APPROVAL and not viewer.can("journal.approve"):
            return await _ask(viewer, lesson, student, old, new, typed, reason, from_paper)
    now = access.now()
    if (att["kind"] if att else None) != attendance:
        # plain statements: a save is the journal's hottest write (no ORM rows on the way)
        if att is None:
            await fetch("INSERT INTO attendance (lesson, student, kind, note, updated_at, updated_by) "
                        "VALUES ({}, {}, {}, '', {}, {})", lesson["id"], student, attendance, now, viewer.person_id)
        elif attendance is None:
            await fetch("DELETE FROM attendance WHERE id = {}", att["id"])
        else:
            await fetch("UPDATE attendance SET kind = {}, updated_at = {}, updated_by = {} WHERE id = {}",
                        attendance, now, viewer.person_id, att["id"])
    for i, (mark, value) in enumerate(cell.marks):
        if i < len(grades):
            if grades[i]["mark"] != mark:
                await fetch("UPDATE grade SET mark = {}, value = {}, updated_at = {}, system = {} WHERE id = {}",
                            mark, value, now, ctx.system.id, grades[i]["id"])
        else:
            await fetch("INSERT INTO grade (lesson, student, system, work_kind, mark, value, weight, position, "
                        "comment, created_at, created_by, updated_at) "
                        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, '', {}, {}, {})",
                        lesson["id"], student, ctx.system.id, ctx.work_kind, mark, value, ctx.weight, i, now,
                        viewer.person_id, now)
    gone = [g["id"] for g in grades[len(cell.marks):]]
    if gone:
        await Grade.update({Grade.removed_at: now}).where(Grade.id.is_in(gone)).run()
    if not lesson["has_records"]:
        await access.mark_has_records(lesson["id"])
        lesson["has_records"] = True
    note = {"lesson": f"{day:%d.%m.%Y} № {lesson['number']}", "text": new}
    if correction is not None:
        note["correction"] = correction
    if from_paper:
        note["from_paper"] = True
    if audit is not None:
        audit.append(("cell", access.cell_id(lesson["id"], student), {"text": old}, note))
    else:
        await record(viewer.actor, "journal.cell_saved", "cell", access.cell_id(lesson["id"], student),
                     old={"text": old}, new=note, reason=reason)
    return Saved(new, "saved")


async def _ask(viewer: Viewer, lesson: dict, student: int, old: str, new: str, typed: str,
               reason: str, from_paper: bool = False) -> Saved:
    pending = await Lesson.raw(
        "SELECT id FROM correction WHERE target = 'cell' AND lesson = {} AND student = {} "
        "AND status = 'pending'", lesson["id"], student).run()
    if pending:
        raise Refused(f"Исправление этой клетки (№ {pending[0]['id']}) уже ждёт утверждения",
                      field="value")
    row = (await Correction.insert(Correction(
        target="cell", lesson=lesson["id"], student=student, old_text=old, new_text=new,
        payload=json.dumps({"typed": typed, **({"from_paper": True} if from_paper else {})},
                           ensure_ascii=False), reason=reason,
        requested_at=access.now(), requested_by=viewer.person_id))
        .returning(Correction.id).run())[0]["id"]
    await record(viewer.actor, "journal.correction_asked", "cell", access.cell_id(lesson["id"], student),
                 old={"text": old}, new={"text": new, "correction": row}, reason=reason)
    return Saved(old, "pending", row)


async def apply_cell_correction(approver: Viewer, correction: dict) -> Saved:
    """Inside the approving transaction: write an approved cell correction as asked, if the cell
    still holds what it held when it was asked (otherwise ``Conflict``). The audit row names the
    approver and the correction; the teacher's reason is its reason."""
    payload = json.loads(correction["payload"])
    if "grade" in payload:  # a grade's kind of work or comment (service/journal/grades.py)
        from service.journal.grades import apply_grade_correction

        done = await apply_grade_correction(approver, correction, payload)
        return Saved(done.text, done.state)
    ctx = await lesson_context(approver, correction["lesson"], approved=True)
    typed = payload["typed"]
    return await write_cell(approver, ctx, correction["student"], typed, was=correction["old_text"],
                            reason=correction["reason"], correction=correction["id"],
                            from_paper=bool(payload.get("from_paper")))


async def _name(person: int) -> str:
    rows = await Lesson.raw("SELECT last_name, first_name FROM person WHERE id = {}", person).run()
    return f"{rows[0]['last_name']} {rows[0]['first_name']}" if rows else "Этот ученик"
