"""Helpers for the audit tests: write rows through the real record() path; tamper like an
attacker with database access would (bypassing the append-only triggers as a superuser)."""

from __future__ import annotations

from service.audit.log import Actor, record
from service.db import atomic


async def write_events(n: int, actor: Actor | None = None) -> None:
    actor = actor or Actor(user_id=7, name="uchitel", address="10.0.0.7")
    for i in range(n):
        async with atomic():
            await record(actor, "journal.grade_set", "grade", i, old={"value": None},
                         new={"value": 5, "comment": "контрольная «Дроби»"}, reason="")


def tamper(db, sql: str) -> None:
    """Run ``sql`` as someone who owns the database: on PostgreSQL the superuser switches the
    append-only triggers off first (that is exactly the attack a checkpoint must expose)."""
    if db.kind == "postgres":
        db.psql("ALTER TABLE audit_event DISABLE TRIGGER USER; " + sql
                + "; ALTER TABLE audit_event ENABLE TRIGGER USER;")
    else:
        import sqlite3

        path = db.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.executescript(sql)
