"""Checking the whole chain, in batches, and against a signed checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
    after = 0
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
    result.problem = await _rows_outside_the_chain(walker.last_seq)
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


async def _rows_outside_the_chain(last_seq: int) -> ChainProblem | None:
    """The walk saw rows № 1 … last_seq, each once (seq is unique); any other row up to that
    number is one the walk never met — numbered 0 or below, in a database made before the
    constraint that now refuses such rows. Rows after ``last_seq`` are not counted: the service
    may have added them since the walk ended."""
    total = await AuditEvent.count().where(AuditEvent.seq <= last_seq).run()
    if total == last_seq:
        return None
    stray = await (
        AuditEvent.select(AuditEvent.id, AuditEvent.seq)
        .where(AuditEvent.seq <= 0)
        .order_by(AuditEvent.seq)
        .first()
        .run()
    )
    if stray is None:  # only if seq were not unique; said plainly all the same
        return ChainProblem(None, None, f"записей с номерами до {last_seq} в журнале {total}, а в "
                                        f"цепочке {last_seq}: лишние записи добавлены в обход ЭЖ")
    return ChainProblem(
        stray["seq"], stray["id"],
        f"запись № {stray['seq']} (id {stray['id']}) стоит вне цепочки (её номера начинаются "
        "с 1): добавлена в обход ЭЖ",
    )


def checkpoint_age_warning(checkpoints: Sequence[Checkpoint], max_age_hours: int,
                           now: datetime | None = None) -> str | None:
    """A sentence when the newest checkpoint is older than ``max_age_hours`` or there is none.

    Rows written after the newest checkpoint can be cut off the end of the chain without a
    trace, so checkpoints must keep coming (a timer signs every hour on the appliance); this
    is how a stopped timer gets noticed. None when all is well."""
    if not checkpoints:
        return ("контрольных точек нет: записи можно незаметно удалить с конца журнала или "
                "переписать весь журнал. Сделайте точку: ezh audit checkpoint")
    newest = max(checkpoints, key=lambda cp: cp.at)
    age = (now or datetime.now(UTC)) - newest.at
    if age <= timedelta(hours=max_age_hours):
        return None
    hours = int(age.total_seconds() // 3600)
    return (f"последняя контрольная точка сделана {newest.at_text}, "
            f"{count(hours, 'час', 'часа', 'часов')} назад (допустимо "
            f"{count(max_age_hours, 'час', 'часа', 'часов')}, EZH_CHECKPOINT_MAX_AGE_HOURS): записи "
            "после неё можно незаметно удалить с конца журнала. Проверьте, что ezh audit "
            "checkpoint запускается по расписанию")
