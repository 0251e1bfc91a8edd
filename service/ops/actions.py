"""Everything operations writes. Planned long maintenance (R-OPS-3) is audited; the probe's
availability record is bookkeeping outside the audit chain, like login attempts: a row a
minute through the chain's lock would be noise in the log and a write for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service import forms
from service.audit.log import Actor, record
from service.db import atomic, is_postgres
from service.errors import NotFound, Refused
from service.ops import notice, rules
from service.ops.tables import AvailabilitySpan, PlannedMaintenance
from service.school.tables import CalendarDay
from service.settings import get_settings

# Two probes further apart than this leave a gap: nobody probed, the server was off.
PROBE_CONTINUITY = timedelta(seconds=150)


def now() -> datetime:
    return datetime.now(UTC)


async def _holidays() -> list[rules.Holidays]:
    rows = await CalendarDay.select(CalendarDay.starts_on, CalendarDay.ends_on,
                                    CalendarDay.grade_from, CalendarDay.grade_to).where(
        CalendarDay.kind == "holidays").run()
    return [rules.Holidays(r["starts_on"], r["ends_on"], r["grade_from"], r["grade_to"])
            for r in rows]


async def do_plan_maintenance(actor: Actor, starts_at: datetime, ends_at: datetime, reason: str,
                              *, at: datetime | None = None) -> int:
    """Schedule a long maintenance: only in the holidays, at least 7 days ahead, at most a day
    (R-OPS-3). Everyone signed in sees the banner from now until it ends."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Укажите, какие работы и зачем: это увидят все пользователи.", "reason")
    if len(reason) > forms.REASON_MAX:
        raise Refused(f"Причина — не длиннее {forms.REASON_MAX} символов.", "reason")
    tz = get_settings().tz
    moment = at or now()
    async with atomic():
        problem = rules.planned_problem(moment, starts_at, ends_at, await _holidays(), tz)
        if problem:
            raise Refused(problem, "starts_on")
        overlapping = await PlannedMaintenance.count().where(
            PlannedMaintenance.cancelled_at.is_null(),
            PlannedMaintenance.starts_at < ends_at, PlannedMaintenance.ends_at > starts_at).run()
        if overlapping:
            raise Refused("На это время уже назначены работы.", "starts_on")
        new_id = (await PlannedMaintenance.insert(PlannedMaintenance(
            starts_at=starts_at, ends_at=ends_at, reason=reason, announced_at=moment,
            announced_by=actor.name[:64])).returning(PlannedMaintenance.id).run())[0]["id"]
        await record(actor, "ops.maintenance_planned", "planned_maintenance", new_id,
                     new={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                          "reason": reason})
    notice.forget()
    return new_id


async def do_cancel_maintenance(actor: Actor, maintenance_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Укажите причину отмены.", "reason")
    if len(reason) > forms.REASON_MAX:
        raise Refused(f"Причина — не длиннее {forms.REASON_MAX} символов.", "reason")
    moment = now()
    async with atomic():
        if is_postgres():  # two cancellations at once: the second waits, then finds it cancelled
            await PlannedMaintenance.raw("SELECT id FROM planned_maintenance WHERE id = {} FOR UPDATE",
                                         maintenance_id).run()
        row = await PlannedMaintenance.select().where(
            PlannedMaintenance.id == maintenance_id).first().run()
        if row is None:
            raise NotFound()
        if row["cancelled_at"] is not None:
            raise Refused("Эти работы уже отменены.")
        if row["ends_at"] <= moment:
            raise Refused("Эти работы уже закончились: отменять нечего.")
        await PlannedMaintenance.update({
            PlannedMaintenance.cancelled_at: moment,
            PlannedMaintenance.cancelled_by: actor.name[:64],
            PlannedMaintenance.cancel_reason: reason,
        }).where(PlannedMaintenance.id == maintenance_id).run()
        await record(actor, "ops.maintenance_cancelled", "planned_maintenance", maintenance_id,
                     old={"starts_at": row["starts_at"].isoformat(),
                          "ends_at": row["ends_at"].isoformat(), "reason": row["reason"]},
                     reason=reason)
    notice.forget()


async def record_probe(up: bool, problem: str = "", at: datetime | None = None) -> None:
    """One probe's answer: extends the last stretch if it saw the same state a moment ago,
    else starts a new one (a change of state, or the first probe after a silence)."""
    moment = at or now()
    async with atomic():
        last = await AvailabilitySpan.select().order_by(AvailabilitySpan.id, ascending=False) \
            .first().run()
        contiguous = last is not None and timedelta() <= moment - last["until"] <= PROBE_CONTINUITY
        if contiguous and last["up"] == up:
            await AvailabilitySpan.update({
                AvailabilitySpan.until: moment, AvailabilitySpan.probes: last["probes"] + 1,
                AvailabilitySpan.problem: problem[:300],
            }).where(AvailabilitySpan.id == last["id"]).run()
            return
        # A change seen after a continuous stretch happened somewhere since the last probe:
        # the new state owns that minute (a down minute is not hidden).
        since = last["until"] if contiguous and not up else moment
        await AvailabilitySpan.insert(AvailabilitySpan(
            since=since, until=moment, up=up, probes=1, problem=problem[:300])).run()
