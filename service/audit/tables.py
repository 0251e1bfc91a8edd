"""Audit tables: the hash-chained change log and the cheap access log of personal records."""

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One change, «запись журнала аудита». Append-only; each row carries the hash of the one
    before it (``prev_hash``) and its own (``hash``), over an exact canonical byte form."""

    # Position in the chain, 1, 2, 3 … without gaps. The database refuses seq <= 0 (a CHECK on
    # PostgreSQL, triggers on SQLite: migration 2026-11-27T14:45), which Piccolo cannot declare.
    seq = BigInt(unique=True, index=True)
    at = Timestamptz()
    actor_id = Integer(null=True, default=None)  # account id; no foreign key: the log outlives rows
    actor_name = Varchar(length=150, default="")
    address = Varchar(length=64, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=64, default="")
    object_id = Varchar(length=64, default="", index=True)
    old = Text(default="")  # canonical JSON text, exactly the bytes that were hashed
    new = Text(default="")
    reason = Text(default="")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class AccessLog(Table, tablename="access_log"):
    """Who opened whose personal record, when («журнал доступа к персональным данным»).
    Kept apart from the chain: it is written on every read, so it must cost one plain insert."""

    at = Timestamptz(index=True)
    viewer_id = Integer(null=True, default=None)
    viewer_name = Varchar(length=150, default="")
    address = Varchar(length=64, default="")
    person_id = Integer(index=True)
    what = Varchar(length=64)
