"""Reads of the audit and access logs for the administrator's pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from service.audit.tables import AccessLog, AuditEvent
from service.db import contains
from service.domains import action_names

PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    day_from: date | None = None
    day_to: date | None = None
    before_seq: int | None = None


async def audit_page(f: AuditFilter, tz) -> list[dict]:
    """Newest first, ``PAGE`` rows after ``before_seq`` (keyset: cheap on a long log)."""
    query = AuditEvent.select(
        AuditEvent.id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor_id, AuditEvent.actor_name,
        AuditEvent.address, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
        AuditEvent.old, AuditEvent.new, AuditEvent.reason,
    )
    conditions = []
    if f.actor:
        conditions.append(contains(AuditEvent.actor_name, f.actor))
    if f.action:
        conditions.append(AuditEvent.action == f.action)
    if f.object_type:
        conditions.append(AuditEvent.object_type == f.object_type)
    if f.object_id:
        conditions.append(AuditEvent.object_id == f.object_id)
    if f.day_from:
        conditions.append(AuditEvent.at >= datetime.combine(f.day_from, time(), tz))
    if f.day_to:
        conditions.append(AuditEvent.at < datetime.combine(f.day_to + timedelta(days=1), time(), tz))
    if f.before_seq:
        conditions.append(AuditEvent.seq < f.before_seq)
    for condition in conditions:
        query = query.where(condition)
    rows = await query.order_by(AuditEvent.seq, ascending=False).limit(PAGE + 1).run()
    names = action_names()  # each domain names its actions in its declaration
    for row in rows:
        row["action_name"] = names.get(row["action"], row["action"])
    return rows


async def access_page(person_id: int | None, viewer: str, before_id: int | None) -> list[dict]:
    query = AccessLog.select()
    if person_id:
        query = query.where(AccessLog.person_id == person_id)
    if viewer:
        query = query.where(contains(AccessLog.viewer_name, viewer))
    if before_id:
        query = query.where(AccessLog.id < before_id)
    return await query.order_by(AccessLog.id, ascending=False).limit(PAGE + 1).run()
