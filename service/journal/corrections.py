"""Corrections awaiting a deputy head (R-GRADE-4): a change of a locked cell, lesson entry or
final that the school's rules send for approval. The deputy approves (the change is written
as asked, if nothing changed since) or rejects with a note; a second approver finds it
decided. Teachers see their own requests and what became of them."""

from __future__ import annotations

from service import forms
from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic, is_postgres, xact_lock
from service.errors import NotFound, Refused
from service.journal import access
from service.journal.cells import Conflict
from service.journal.tables import Correction
from service.timetable.tables import Lesson

NOTE_MAX = 1000
TARGETS = {"cell": "клетка журнала", "entry": "запись урока", "final": "итоговая отметка"}
STATUSES = {"pending": "ждёт утверждения", "approved": "утверждено", "rejected": "отклонено"}


async def do_decide_correction(viewer: Viewer, correction_id: int, approve: bool, note: str = "") -> str:
    """Approve (apply) or reject a pending correction; returns its new status."""
    note = forms.value(forms.Text("Комментарий", NOTE_MAX), note or "", "note")
    if not viewer.can("journal.approve"):
        raise Refused("Исправления утверждает заместитель директора")
    if not 0 < correction_id <= 2**31 - 1:
        raise NotFound()
    async with atomic():
        await xact_lock(f"correction:{correction_id}")
        lock = " FOR UPDATE" if is_postgres() else ""
        rows = await Lesson.raw(f"SELECT * FROM correction WHERE id = {{}}{lock}", correction_id).run()
        if not rows:
            raise NotFound()
        row = rows[0]
        if row["status"] != "pending":
            raise Refused(f"Исправление № {correction_id} уже рассмотрено: {STATUSES.get(row['status'], '')}")
        if approve:
            try:
                await _apply(viewer, row)
            except Conflict as exc:
                raise Refused(exc.message + ". Исправление осталось в ожидании: отклоните его или "
                              "попросите учителя запросить заново") from None
        status = "approved" if approve else "rejected"
        await Correction.update({Correction.status: status, Correction.decided_at: access.now(),
                                 Correction.decided_by: viewer.person_id,
                                 Correction.decision_note: note}).where(Correction.id == correction_id).run()
        obj = (("cell", access.cell_id(row["lesson"], row["student"])) if row["target"] == "cell"
               else ("correction", correction_id))
        action = "journal.correction_approved" if approve else "journal.correction_rejected"
        await record(viewer.actor, action, obj[0], obj[1],
                     old={"text": row["old_text"], "status": "pending"},
                     new={"text": row["new_text"], "status": status, "correction": correction_id, "note": note},
                     reason=row["reason"])
        return status


async def _apply(viewer: Viewer, row: dict) -> None:
    if row["target"] == "cell":
        from service.journal.cells import apply_cell_correction

        await apply_cell_correction(viewer, row)
    elif row["target"] == "final":
        from service.journal.finals import apply_final_correction

        await apply_final_correction(viewer, row)
    elif row["target"] == "entry":
        try:
            from service.journal.lessons import apply_entry_correction
        except ImportError:
            raise Refused("Исправления записей урока пока не поддерживаются") from None
        await apply_entry_correction(viewer, row)
    else:
        raise Refused("Неизвестный вид исправления")


_LIST_SQL = """
SELECT c.id, c.target, c.lesson, c.student, c.final, c.field, c.old_text, c.new_text, c.reason, c.status,
       c.requested_at, c.decided_at, c.decision_note, c.payload,
       st.last_name AS st_last_name, st.first_name AS st_first_name,
       rq.last_name AS rq_last_name, rq.first_name AS rq_first_name, rq.middle_name AS rq_middle_name,
       dc.last_name AS dc_last_name, dc.first_name AS dc_first_name, dc.middle_name AS dc_middle_name,
       l.on_date, l.number, COALESCE(ls.name, fs.name) AS subject_name,
       COALESCE(lc.name, lg.name, fc.name, fg.name) AS owner_name, p.name AS period_name
FROM correction c
LEFT JOIN person st ON st.id = c.student
LEFT JOIN person rq ON rq.id = c.requested_by
LEFT JOIN person dc ON dc.id = c.decided_by
LEFT JOIN lesson l ON l.id = c.lesson
LEFT JOIN subject ls ON ls.id = l.subject
LEFT JOIN school_class lc ON lc.id = l.school_class
LEFT JOIN study_group lg ON lg.id = l.study_group
LEFT JOIN final_grade f ON f.id = c.final
LEFT JOIN subject fs ON fs.id = f.subject
LEFT JOIN school_class fc ON fc.id = f.school_class
LEFT JOIN study_group fg ON fg.id = f.study_group
LEFT JOIN study_period p ON p.id = f.period
WHERE {where}
ORDER BY c.requested_at DESC, c.id DESC
LIMIT 200
"""


def _initials(r: dict, p: str) -> str:
    if not r.get(p + "last_name"):
        return ""
    first, middle = r.get(p + "first_name") or "", r.get(p + "middle_name") or ""
    return f"{r[p + 'last_name']} {first[:1]}." + (f" {middle[:1]}." if middle else "")


def _describe(r: dict) -> dict:
    import json

    r["target_name"] = TARGETS.get(r["target"], r["target"])
    r["status_name"] = STATUSES.get(r["status"], r["status"])
    r["student_name"] = f"{r['st_last_name']} {r['st_first_name']}" if r["st_last_name"] else ""
    r["requested_by_name"] = _initials(r, "rq_")
    r["decided_by_name"] = _initials(r, "dc_")
    where = []
    if r["on_date"] is not None:
        where.append(f"{r['owner_name'] or ''} · {r['subject_name'] or ''}, урок {r['on_date']:%d.%m.%Y} "
                     f"№ {r['number']}")
    elif r["target"] == "final":
        try:
            want = json.loads(r["payload"] or "{}")
        except ValueError:
            want = {}
        from service.journal.rules import FINAL_KINDS

        kind = FINAL_KINDS.get(want.get("kind", ""), "")
        where.append(" · ".join(x for x in (r["owner_name"], r["subject_name"]) if x) or "итоговая отметка")
        where.append(f"{kind}" + (f" ({r['period_name']})" if r["period_name"] else ""))
        r["journal"] = want.get("ref")
    r["where"] = ", ".join(x for x in where if x)
    return r


async def pending() -> list[dict]:
    """Every correction awaiting a decision, newest first (the deputy's list). One query."""
    rows = await Lesson.raw(_LIST_SQL.format(where="c.status = 'pending'")).run()
    return [_describe(r) for r in rows]


async def mine(viewer: Viewer) -> list[dict]:
    """The viewer's own requests with their status, newest first. One query."""
    if viewer.person_id is None:
        return []
    rows = await Lesson.raw(_LIST_SQL.format(where="c.requested_by = {}"), viewer.person_id).run()
    return [_describe(r) for r in rows]
