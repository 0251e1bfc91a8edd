"""The hash chain of the audit log: canonical bytes, hashing and verification (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "at", "actor_id", "actor_name", "address", "action",
    "object_type", "object_id", "old", "new", "reason", "prev_hash",
)


def canonical_json(value: Any) -> str:
    """A value as JSON text with one spelling only (sorted keys, no spaces, UTF-8 kept)."""
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into the audit log")


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_bytes(row: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed for a row: its fields in a fixed order, as JSON."""
    values = []
    for name in HASHED_FIELDS:
        value = row[name]
        if name == "at":
            value = format_time(value)
        values.append(value)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(row_bytes(row)).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    row_id: int | None
    message: str


@dataclass
class ChainWalker:
    """Feeds rows in ``seq`` order; remembers the first problem it meets."""

    count: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    problem: ChainProblem | None = None
    seen: dict[int, str] | None = None  # seq -> hash, only for the rows a checkpoint asks about

    def feed(self, rows: Iterable[Mapping[str, Any]]) -> bool:
        for row in rows:
            if self.problem:
                return False
            expected_seq = self.last_seq + 1
            seq, row_id = row["seq"], row.get("id")
            if seq != expected_seq:
                if seq > expected_seq:
                    what = (f"записи № {expected_seq}" if seq == expected_seq + 1
                            else f"записей № {expected_seq}–{seq - 1}")
                    msg = f"нет {what}: удалены из журнала (следующая — № {seq}, id {row_id})"
                else:
                    msg = f"запись № {seq} (id {row_id}) повторяется или стоит не на своём месте"
                self.problem = ChainProblem(seq, row_id, msg)
                return False
            if row["prev_hash"] != self.last_hash:
                self.problem = ChainProblem(
                    seq, row_id,
                    f"запись № {seq} (id {row_id}) ссылается не на предыдущую запись: "
                    "записи удалены, переставлены или подменены",
                )
                return False
            if row_hash(row) != row["hash"]:
                self.problem = ChainProblem(
                    seq, row_id, f"запись № {seq} (id {row_id}) изменена после записи: хеш не совпадает"
                )
                return False
            self.count += 1
            self.last_seq = seq
            self.last_hash = row["hash"]
            if self.seen is not None and seq in self.seen:
                self.seen[seq] = row["hash"]
        return True
