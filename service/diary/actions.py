"""The diary's one write: a parent acknowledges a period's finals of their child («Ознакомлен(а)»,
004 item 6, R-GRADE-6).

Only a parent linked to the pupil, and only once the finals of the period are visible to the
family (``final_queries.family_view`` says so: the finals date has come or the period is
closed); before that it is refused in Russian and nothing changes. One row per period ×
pupil × parent: a second acknowledgement — or two at once — adds nothing and is no error
(``INSERT … ON CONFLICT DO NOTHING`` on the unique index). Audited in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from service.accounts.viewer import Viewer
from service.audit.log import record
from service.db import atomic
from service.errors import NotFound, Refused
from service.journal import access, final_queries
from service.timetable.tables import Lesson


@dataclass(frozen=True)
class Acknowledged:
    period: int
    at: datetime
    new: bool  # False: this parent had already acknowledged it


def visible_periods(view: list[dict], today: date) -> dict[int, dict]:
    """Periods of ``family_view`` whose finals the family sees now, by id."""
    return {p["id"]: p for j in view for p in j["periods"] if today >= p["finals_from"] or p["closed"]}


def all_periods(view: list[dict]) -> dict[int, dict]:
    return {p["id"]: p for j in view for p in j["periods"]}


async def do_acknowledge(viewer: Viewer, student: int, period: int, today: date) -> Acknowledged:
    """Record that the viewer (a parent of ``student``) saw the finals of ``period``.

    ``NotFound`` unless the viewer is the pupil's parent and the period is one of the pupil's;
    ``Refused`` while the period's finals are not yet visible to families."""
    if (viewer.person_id is None or not viewer.can("diary.acknowledge")
            or not 0 < student <= 2**31 - 1 or not 0 < period <= 2**31 - 1):
        raise NotFound()
    link = await Lesson.raw("SELECT 1 FROM parent_link WHERE parent = {} AND child = {}",
                            viewer.person_id, student).run()
    if not link:
        raise NotFound()
    view = await final_queries.family_view(student, today)
    known = all_periods(view)
    if period not in known:
        raise NotFound()
    if period not in visible_periods(view, today):
        p = known[period]
        raise Refused(f"Итоговые отметки за период «{p['name']}» ещё не опубликованы: ознакомиться с "
                      f"ними можно с {p['finals_from']:%d.%m.%Y}. Ничего не изменено.", field="period")
    at = access.now()
    async with atomic():
        made = await Lesson.raw(
            "INSERT INTO finals_acknowledgement (period, student, parent, acknowledged_at) "
            "VALUES ({}, {}, {}, {}) ON CONFLICT (period, student, parent) DO NOTHING RETURNING id",
            period, student, viewer.person_id, at).run()
        if made:
            await record(viewer.actor, "diary.finals_acknowledged", "student", student,
                         new={"period": period, "period_name": known[period]["name"],
                              "parent": viewer.person_id, "at": at.isoformat()})
            return Acknowledged(period, at, True)
    rows = await Lesson.raw(
        "SELECT acknowledged_at FROM finals_acknowledgement WHERE period = {} AND student = {} AND parent = {}",
        period, student, viewer.person_id).run()
    return Acknowledged(period, rows[0]["acknowledged_at"] if rows else at, False)
