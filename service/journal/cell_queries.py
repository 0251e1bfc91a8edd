"""Reading one journal cell for its fragment (R-GRADE-3, corrections' «history of a cell»): who
may look, the student and lesson it belongs to, its grades with kind of work, weight and comment,
and its history — the audit rows of object "cell" "<lesson>:<student>", newest first, with who,
when, old → new and the reason."""

from __future__ import annotations

import json
from decimal import Decimal

from service.accounts.viewer import Viewer
from service.errors import NotFound
from service.journal import access, rules
from service.timetable.tables import Lesson

HISTORY_MAX = 200  # rows shown; a cell changed more often than this is a curiosity

ACTION_NAMES = {
    "journal.cell_saved": "Запись в клетке",
    "journal.grade_changed": "Вид работы или комментарий",
    "journal.correction_asked": "Запрошено исправление",
    "journal.correction_approved": "Исправление утверждено",
    "journal.correction_rejected": "Исправление отклонено",
}


async def cell(viewer: Viewer, lesson_id: int, student: int) -> dict:
    """The lesson and student of a cell the viewer may see, and whether they may write it.
    ``NotFound`` for a lesson of a journal they do not see, a student who never was in it that
    day and has no history there, or ids that name nothing."""
    if not 0 < student <= 2**31 - 1:
        raise NotFound()
    lesson = await access.lesson(lesson_id)
    ref = access.ref_of_lesson(lesson)
    writes = await access.may_write(viewer, lesson)
    if not writes:
        if ref is None:
            if not viewer.can("journal.view"):
                raise NotFound()
        elif not await access.may_view(viewer, await access.journal(ref)):
            raise NotFound()
    rows = await Lesson.raw(
        "SELECT p.id, p.last_name, p.first_name, "
        "EXISTS (SELECT 1 FROM audit_event a WHERE a.object_type = 'cell' AND a.object_id = {}) AS known "
        "FROM person p WHERE p.id = {}", access.cell_id(lesson_id, student), student).run()
    if not rows:
        raise NotFound()
    if ref is None:
        member = lesson["student"] == student
    else:
        member = access.belongs((await access.members(ref, lesson["on_date"], lesson["on_date"])).get(student, []),
                                lesson["on_date"])
    if not member and not rows[0]["known"]:
        raise NotFound()
    return {"lesson": lesson, "student": rows[0], "may_write": writes, "ref": ref,
            "student_name": f"{rows[0]['last_name']} {rows[0]['first_name']}"}


async def grades(lesson_id: int, student: int) -> list[dict]:
    """The cell's grades in order, each with its kind of work, weight and comment."""
    rows = await Lesson.raw(
        "SELECT g.id, g.mark, g.comment, g.weight, g.work_kind, w.name AS kind_name, w.short AS kind_short "
        "FROM grade g JOIN work_kind w ON w.id = g.work_kind "
        "WHERE g.lesson = {} AND g.student = {} AND g.removed_at IS NULL ORDER BY g.position, g.id",
        lesson_id, student).run()
    for r in rows:
        r["weight"] = Decimal(str(r["weight"])).normalize()
    return rows


async def attendance(lesson_id: int, student: int) -> str | None:
    rows = await Lesson.raw("SELECT kind FROM attendance WHERE lesson = {} AND student = {}",
                            lesson_id, student).run()
    return rows[0]["kind"] if rows else None


async def work_kinds() -> list[dict]:
    """Kinds of work a grade may be given: the active ones, in the school's order."""
    rows = await Lesson.raw("SELECT id, name, weight FROM work_kind WHERE active ORDER BY position, id").run()
    for r in rows:
        r["weight"] = Decimal(str(r["weight"])).normalize()
    return rows


def _text(value: str) -> tuple[str, str, bool]:
    """An audit row's old/new JSON as the history shows it: the cell's or the grade's text, the
    correction it mentions (if any), and whether it was carried over from the paper journal."""
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        return value, "", False
    if not isinstance(data, dict):
        return str(data), "", False
    correction = data.get("correction")
    return (str(data.get("text", "")), (f"№ {correction}" if correction else ""),
            data.get("from_paper") is True)


async def history(lesson_id: int, student: int) -> list[dict]:
    """The cell's audit rows, newest first: when, who (their name when the account has a
    person), what, old → new, reason."""
    rows = await Lesson.raw(
        "SELECT a.seq, a.at, a.action, a.actor_name, a.old, a.new, a.reason, p.last_name, p.first_name, "
        "p.middle_name FROM audit_event a LEFT JOIN account ac ON ac.id = a.actor_id "
        "LEFT JOIN person p ON p.id = ac.person "
        "WHERE a.object_type = 'cell' AND a.object_id = {} ORDER BY a.seq DESC LIMIT {}",
        access.cell_id(lesson_id, student), HISTORY_MAX).run()
    out = []
    for r in rows:
        old, _, _ = _text(r["old"])
        new, correction, from_paper = _text(r["new"])
        if r["last_name"]:
            initials = "".join(f" {n[0]}." for n in (r["first_name"], r["middle_name"]) if n)
            who = f"{r['last_name']}{initials}"
        else:
            who = r["actor_name"] or "система"
        out.append({"seq": r["seq"], "at": r["at"], "what": ACTION_NAMES.get(r["action"], r["action"]),
                    "who": who, "old": old, "new": new, "reason": r["reason"], "correction": correction,
                    "from_paper": from_paper})
    return out


async def fragment(viewer: Viewer, lesson_id: int, student: int) -> dict:
    """Everything ``journal/_cell_history.html`` shows."""
    info = await cell(viewer, lesson_id, student)
    marks = await grades(lesson_id, student)
    att = await attendance(lesson_id, student)
    return {**info, "grades": marks, "history": await history(lesson_id, student),
            "kinds": await work_kinds() if info["may_write"] and marks else [],
            "text": rules.cell_text(att, [g["mark"] for g in marks]),
            "attendance": rules.ATTENDANCE[att][1] if att else ""}
