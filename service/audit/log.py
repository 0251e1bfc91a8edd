"""Writing the audit log. Every ``do_*`` action calls :func:`record` inside its transaction.

Chaining design (see docs/architecture.md): the chain is extended inside the writer's own
transaction. On PostgreSQL a transaction-level advisory lock serialises the short tail of
every write transaction (read last row → hash → insert), so rows are chained in commit order
and the chain cannot fork; on SQLite the IMMEDIATE write lock already serialises writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.audit.chain import GENESIS, canonical_json, row_hash
from service.audit.tables import AccessLog, AuditEvent
from service.db import bulk_insert, engine, fetch

# Arbitrary constant identifying the audit chain's advisory lock.
CHAIN_LOCK_KEY = 0x657A68_0001


@dataclass(frozen=True)
class Actor:
    """Who does a thing and from where: an account, or the system itself (CLI, timers)."""

    user_id: int | None
    name: str
    address: str = ""

    @classmethod
    def system(cls, what: str = "система") -> Actor:
        return cls(user_id=None, name=what, address="local")


class NotInTransaction(RuntimeError):
    pass


async def record(
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    *,
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> int:
    """Append one row to the audit chain; must run inside ``service.db.atomic()``.

    Returns the row's position in the chain."""
    [seq] = await record_many(actor, action, [(object_type, object_id, old, new)],
                              reason=reason)
    return seq


async def record_many(actor: Actor, action: str, entries: list[tuple[str, Any, Any, Any]],
                      *, reason: str = "") -> list[int]:
    """Append one chained row per ``(object_type, object_id, old, new)`` in one insert — for
    imports and other bulk writes, where a row per statement would cost seconds. Same lock,
    same canonical form, same hash as a single row; must run inside ``atomic()``.

    Returns the rows' positions in the chain."""
    db = engine()
    if db.current_transaction.get() is None:
        raise NotInTransaction("audit.record must be called inside the action's transaction")
    if not entries:
        return []
    if db.engine_type == "postgres":
        # the chain's lock, then its head, in one round trip (migration 2026-11-28T01:30)
        head = await fetch("SELECT head_seq, head_hash FROM audit_chain_head({})", CHAIN_LOCK_KEY)
        seq, prev = (head[0][0], head[0][1]) if head else (0, GENESIS)
    else:  # SQLite: the transaction holds the write lock already
        last = await (
            AuditEvent.select(AuditEvent.seq, AuditEvent.hash)
            .order_by(AuditEvent.seq, ascending=False)
            .first()
            .run()
        )
        seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
    at = datetime.now(UTC)
    rows = []
    for object_type, object_id, old, new in entries:
        seq += 1
        row = {
            "seq": seq,
            "at": at,
            "actor_id": actor.user_id,
            "actor_name": actor.name,
            "address": actor.address,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "old": canonical_json(old),
            "new": canonical_json(new),
            "reason": reason or "",
            "prev_hash": prev,
        }
        row["hash"] = prev = row_hash(row)
        rows.append(row)
    if len(rows) == 1:  # the common case, on every save: one plain INSERT, no ORM row
        await fetch(_INSERT_ONE, *(rows[0][n] for n in _COLUMNS))
    else:
        columns = [getattr(AuditEvent, name) for name in _COLUMNS]
        await bulk_insert(AuditEvent, columns, [tuple(r[n] for n in _COLUMNS) for r in rows])
    return [r["seq"] for r in rows]


_COLUMNS = ("seq", "at", "actor_id", "actor_name", "address", "action", "object_type",
            "object_id", "old", "new", "reason", "prev_hash", "hash")
_INSERT_ONE = (f"INSERT INTO audit_event ({', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join('{}' for _ in _COLUMNS)})")


async def log_access(actor: Actor, person_ids: int | list[int], what: str) -> None:
    """Note that ``actor`` saw the personal data of ``person_ids`` — a card, or every pupil of a
    class list (152-ФЗ: who saw whose data). One insert, however many people; no chain."""
    ids = [person_ids] if isinstance(person_ids, int) else person_ids
    if not ids:
        return
    # Plain SQL: it runs on every class page, and building ORM rows cost ~2 ms for a class.
    head = (f"INSERT INTO {AccessLog._meta.tablename} "
            "(at, viewer_id, viewer_name, address, person_id, what) ")
    common = (datetime.now(UTC), actor.user_id, actor.name, actor.address)
    if engine().engine_type == "postgres":
        await AccessLog.raw(head + "SELECT {}, {}, {}, {}, unnest({}::integer[]), {}",
                            *common, ids, what).run()
    else:
        values = ", ".join(["({}, {}, {}, {}, {}, {})"] * len(ids))
        args = [v for pid in ids for v in (*common, pid, what)]
        await AccessLog.raw(head + "VALUES " + values, *args).run()
