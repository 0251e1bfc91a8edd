"""R-SEC-3 on PostgreSQL: the service's own role can only add and read audit rows; even the
owner's UPDATE/DELETE/TRUNCATE are refused by triggers; concurrent writers never fork the chain."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from service import db as dbmod
from service.audit.log import Actor, record
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.db import atomic

pytestmark = pytest.mark.anyio

INSERT = ("INSERT INTO audit_event (seq, at, actor_name, address, action, object_type, object_id, "
          "old, new, reason, prev_hash, hash) VALUES (100000, now(), 'x', '', 'x', '', '', '', '', '', "
          "'0', '0')")


async def test_service_role_may_only_insert_and_select(pg_db):
    pg_db.psql("CREATE ROLE ezh_app LOGIN")
    await dbmod.grant_service_role("ezh_app", ("audit_event", "access_log"))
    assert int(pg_db.psql("SELECT count(*) FROM audit_event", user="ezh_app")) > 0
    pg_db.psql(INSERT, user="ezh_app")
    for sql in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event",
                "TRUNCATE audit_event", "UPDATE access_log SET what = 'x'",
                "DELETE FROM migration"):
        with pytest.raises(RuntimeError, match="permission denied"):
            pg_db.psql(sql, user="ezh_app")
    # the ordinary tables stay writable for the service
    pg_db.psql("UPDATE role SET description = description", user="ezh_app")


async def test_owner_is_refused_by_triggers(pg_db):
    for sql in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event WHERE seq = 1",
                "TRUNCATE audit_event", "DELETE FROM access_log"):
        with pytest.raises(RuntimeError, match="append-only"):
            pg_db.psql(sql)
    assert (await verify_chain()).ok


async def test_concurrent_writers_never_fork_the_chain(pg_db):
    base = (await verify_chain()).count
    writers, each = 24, 30
    await dbmod.start_pool(writers)

    async def writer(n: int) -> None:
        actor = Actor(user_id=n, name=f"teacher{n}", address=f"10.0.0.{n}")
        for i in range(each):
            async with atomic():
                await record(actor, "journal.grade_set", "grade", f"{n}-{i}", new={"value": i % 5 + 1})

    try:
        await asyncio.gather(*(writer(n) for n in range(writers)))
    finally:
        await dbmod.close_pool()
    result = await verify_chain()
    assert result.ok, result.problem
    assert result.count == base + writers * each
    prevs = [r["prev_hash"] for r in await AuditEvent.select(AuditEvent.prev_hash).run()]
    assert len(prevs) == len(set(prevs)), "two rows claim the same predecessor: the chain forked"


def test_checkpoint_verifies_with_plain_openssl(tmp_path):
    """The checkpoint can be checked in 25 years without ezh: openssl and the public key."""
    from datetime import UTC, datetime

    from service.audit.checkpoint import (
        Checkpoint,
        ensure_installation_key,
        fingerprint,
        write_checkpoint,
    )

    key = ensure_installation_key(tmp_path / "keys")
    cp = Checkpoint(3, "cd" * 32, datetime.now(UTC), fingerprint(key.public_key()), "Школа")
    path = write_checkpoint(cp, key, tmp_path)
    cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "keys/installation.pub"),
           "-rawin", "-in", str(path), "-sigfile", str(path) + ".sig"]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout
    path.write_bytes(path.read_bytes().replace(b"3\n", b"4\n", 1))
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode != 0
