"""Checking the whole chain, in batches, and against a signed checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.audit.chain import ChainProblem, ChainWalker
from service.audit.checkpoint import Checkpoint
from service.audit.tables import AuditEvent
from service.text import count

BATCH = 5000


@dataclass
class VerifyResult:
    count: int
    last_seq: int
    last_hash: str
    problem: ChainProblem | None = None
    checkpoint_notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify_chain(checkpoints: list[Checkpoint] = ()) -> VerifyResult:
    """Walk the chain from its first row; stop at the first row that does not fit."""
    walker = ChainWalker(seen={cp.count: "" for cp in checkpoints})
    after = -1
    columns = [AuditEvent.id, *(getattr(AuditEvent, name) for name in (
        "seq", "at", "actor_id", "actor_name", "address", "action", "object_type",
        "object_id", "old", "new", "reason", "prev_hash", "hash"))]
    while True:
        rows = await (
            AuditEvent.select(*columns)
            .where(AuditEvent.seq > after)
            .order_by(AuditEvent.seq)
            .limit(BATCH)
            .run()
        )
        if not rows:
            break
        if not walker.feed(rows):
            break
        after = rows[-1]["seq"]
    result = VerifyResult(walker.count, walker.last_seq, walker.last_hash, walker.problem)
    if result.problem:
        return result
    for cp in checkpoints:
        if walker.last_seq < cp.count:
            result.problem = ChainProblem(
                walker.last_seq + 1, None,
                f"в журнале {count(walker.last_seq, 'запись', 'записи', 'записей')}, а контрольная "
                f"точка от {cp.at_text} заверяет {cp.count}: записи с № {walker.last_seq + 1} удалены",
            )
            return result
        if walker.seen.get(cp.count) != cp.last_hash:
            result.problem = ChainProblem(
                cp.count, None,
                f"запись № {cp.count} не совпадает с контрольной точкой от {cp.at_text}: "
                "журнал до этой записи переписан",
            )
            return result
        result.checkpoint_notes.append(
            f"совпадает с контрольной точкой от {cp.at_text} "
            f"({count(cp.count, 'запись', 'записи', 'записей')})"
        )
    return result
