"""Changing one grade's kind of work («вид работы») and the teacher's comment on the student's
work (R-GRADE-3). The weight follows the kind: a grade given as «Ответ на уроке» (1) and turned
into «Контрольная работа» (3) counts three times in the average from then on.

The same rules as a cell (``cells.lesson_context``): the viewer writes the lesson, the year is
open, the lesson took place; a locked lesson needs a reason, and where the school asks for
approval the change waits for a deputy head as a ``correction`` (target "cell", its payload
names the grade) that ``cells.apply_cell_correction`` applies. The audit row
«journal.grade_changed» goes to the cell's history (object "cell", "<lesson>:<student>")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, xact_lock
from service.errors import NotFound, Refused
from service.journal import access, cells, rules
from service.journal.tables import Correction
from service.timetable.tables import Lesson

COMMENT_MAX = 1000
COMMENT = forms.Text("Комментарий к работе", COMMENT_MAX, multiline=True)


@dataclass
class GradeSaved:
    """What a change did: ``state`` "saved", "same" or "pending" (``correction`` its id)."""

    state: str
    text: str
    correction: int | None = None


def describe(mark: str, kind: str, comment: str) -> str:
    """A grade as its history shows it: «5 (Контрольная работа): комментарий»."""
    text = f"{mark} ({kind})"
    return f"{text}: {comment}" if comment else text


async def grade_row(grade_id: int) -> dict:
    if not 0 < grade_id <= forms.ID_MAX:
        raise NotFound()
    rows = await Lesson.raw(
        "SELECT g.id, g.lesson, g.student, g.mark, g.comment, g.work_kind, g.weight, w.name AS kind_name "
        "FROM grade g JOIN work_kind w ON w.id = g.work_kind WHERE g.id = {} AND g.removed_at IS NULL",
        grade_id).run()
    if not rows:
        raise NotFound()
    return rows[0]


async def _kind(kind_id: int, current: int) -> dict:
    rows = await Lesson.raw("SELECT id, name, weight, active FROM work_kind WHERE id = {}",
                            kind_id).run() if 0 < kind_id <= forms.ID_MAX else []
    if not rows or not (rows[0]["active"] or kind_id == current):
        raise Refused("Вид работы: выберите вид из списка", field="work_kind")
    return rows[0]


async def do_change_grade(viewer: Viewer, grade_id: int, work_kind: int, comment: str, *,
                          reason: str = "") -> GradeSaved:
    """Set a grade's kind of work (and with it its weight) and its comment."""
    comment = forms.value(COMMENT, comment, "comment")
    reason = cells.check_reason(reason)
    first = await grade_row(grade_id)
    async with atomic():
        ctx = await cells.lesson_context(viewer, first["lesson"])
        await xact_lock(f"cell:{first['lesson']}:{first['student']}")
        grade = await grade_row(grade_id)  # again, under the cell's lock
        return await _change(viewer, ctx, grade, work_kind, comment, reason)


async def _change(viewer: Viewer, ctx: cells.LessonContext, grade: dict, work_kind: int, comment: str,
                  reason: str, *, correction: int | None = None) -> GradeSaved:
    kind = await _kind(work_kind, grade["work_kind"])
    old = describe(grade["mark"], grade["kind_name"], grade["comment"])
    new = describe(grade["mark"], kind["name"], comment)
    if kind["id"] == grade["work_kind"] and comment == grade["comment"]:
        return GradeSaved("same", old)
    if ctx.state != rules.FREE and correction is None:
        if not reason:
            need = "approval" if ctx.state == rules.APPROVAL else "reason"
            raise cells.NeedReason("Урок закрыт для свободного исправления: укажите причину"
                                   + (" — исправление уйдёт на утверждение заместителю директора"
                                      if need == "approval" else ""), need)
        if ctx.state == rules.APPROVAL and not viewer.can("journal.approve"):
            return await _ask(viewer, grade, old, new, kind["id"], comment, reason)
    weight = Decimal(str(kind["weight"])) if kind["id"] != grade["work_kind"] else Decimal(str(grade["weight"]))
    await Lesson.raw("UPDATE grade SET work_kind = {}, weight = {}, comment = {}, updated_at = {} WHERE id = {}",
                     kind["id"], weight, comment, access.now(), grade["id"]).run()
    note = {"grade": grade["id"], "text": new, "weight": str(weight)}
    if correction is not None:
        note["correction"] = correction
    await record(viewer.actor, "journal.grade_changed", "cell", access.cell_id(grade["lesson"], grade["student"]),
                 old={"grade": grade["id"], "text": old, "weight": str(Decimal(str(grade["weight"])))},
                 new=note, reason=reason)
    return GradeSaved("saved", new)


async def _ask(viewer: Viewer, grade: dict, old: str, new: str, kind: int, comment: str,
               reason: str) -> GradeSaved:
    lesson, student = grade["lesson"], grade["student"]
    pending = await Lesson.raw(
        "SELECT id FROM correction WHERE target = 'cell' AND lesson = {} AND student = {} "
        "AND status = 'pending'", lesson, student).run()
    if pending:
        raise Refused(f"Исправление этой клетки (№ {pending[0]['id']}) уже ждёт утверждения",
                      field="work_kind")
    payload = {"grade": grade["id"], "work_kind": kind, "comment": comment, "old": old}
    row = (await Correction.insert(Correction(
        target="cell", lesson=lesson, student=student, field="grade", old_text=old, new_text=new,
        payload=json.dumps(payload, ensure_ascii=False), reason=reason,
        requested_at=access.now(), requested_by=viewer.person_id))
        .returning(Correction.id).run())[0]["id"]
    await record(viewer.actor, "journal.correction_asked", "cell", access.cell_id(lesson, student),
                 old={"text": old}, new={"text": new, "correction": row}, reason=reason)
    return GradeSaved("pending", old, row)


async def apply_grade_correction(approver: Viewer, correction: dict, payload: dict) -> GradeSaved:
    """Inside the approving transaction (``cells.apply_cell_correction`` calls it for a
    correction whose payload names a grade): the change as asked, if the grade still is what it
    was when asked (else ``Conflict``)."""
    ctx = await cells.lesson_context(approver, correction["lesson"], approved=True)
    await xact_lock(f"cell:{correction['lesson']}:{correction['student']}")
    try:
        grade = await grade_row(int(payload["grade"]))
    except NotFound:
        raise cells.Conflict("Отметку, к которой относилось исправление, уже убрали из клетки", "") from None
    now = describe(grade["mark"], grade["kind_name"], grade["comment"])
    if now != payload.get("old", correction["old_text"]):
        raise cells.Conflict(f"Отметку уже изменили: сейчас «{now}». Исправление не внесено", now)
    return await _change(approver, ctx, grade, int(payload["work_kind"]), payload["comment"],
                         correction["reason"], correction=correction["id"])
