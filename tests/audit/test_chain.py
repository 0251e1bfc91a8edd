"""R-SEC-3: every change is logged and the log cannot be silently altered. The chain names the
first row that was edited, deleted or reordered; a signed checkpoint exposes a full rewrite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.audit.chain import GENESIS, row_hash
from service.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    ensure_installation_key,
    fingerprint,
    read_checkpoint,
    write_checkpoint,
)
from service.audit.log import Actor, NotInTransaction, record
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from tests.audit.helpers import tamper, write_events

pytestmark = pytest.mark.anyio


async def _base() -> int:
    """Rows the migrations already wrote (rights synced)."""
    return (await verify_chain()).count


async def test_rows_chain_and_verify(db):
    base = await _base()
    await write_events(5)
    result = await verify_chain()
    assert result.ok, result.problem
    assert result.count == base + 5
    rows = await AuditEvent.select().order_by(AuditEvent.seq).run()
    assert rows[0]["prev_hash"] == GENESIS
    assert [r["seq"] for r in rows] == list(range(1, base + 6))
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert rows[-1]["new"] == '{"comment":"контрольная «Дроби»","value":5}'
    assert rows[-1]["actor_name"] == "uchitel" and rows[-1]["address"] == "10.0.0.7"


async def test_a_row_of_awkward_text_chains_as_python_hashes_it(db):
    """Texts are hashed as the database gives them back: quotes, backslashes, control
    characters, Cyrillic and emoji in names, ids, old and new values and the reason leave the
    chain verifiable (each row's hash recomputed from the row as stored)."""
    from service.db import atomic

    base = await _base()
    awkward = 'кавычки " и \\ обратная черта, \n перевод строки, \t табуляция, ё, 😀, \u2028'
    for n in range(3):
        async with atomic():
            short = 'ё"\\😀\n'  # for the short columns (names, ids)
            seq = await record(Actor(n or None, f"учитель «{n}» {short}", "10.0.0.7"), "journal.cell_saved",
                               "cell", f"{n}:{short}", old={"text": awkward}, new={"text": str(n)},
                               reason=awkward)
        assert seq == base + n + 1
    result = await verify_chain()
    assert result.ok, result.problem
    assert result.count == base + 3
    last = await AuditEvent.select().order_by(AuditEvent.seq, ascending=False).first().run()
    assert last["reason"] == awkward and row_hash(last) == last["hash"]


async def test_record_outside_transaction_is_refused(db):
    with pytest.raises(NotInTransaction):
        await record(Actor.system(), "x.y")


async def test_edited_row_is_named(db):
    base = await _base()
    await write_events(6)
    target = base + 3
    tamper(db, f"UPDATE audit_event SET new = '{{\"value\":2}}' WHERE seq = {target}")
    result = await verify_chain()
    assert not result.ok
    assert result.problem.seq == target
    assert "изменена" in result.problem.message
    assert result.count == target - 1


async def test_deleted_row_is_named(db):
    base = await _base()
    await write_events(6)
    target = base + 2
    tamper(db, f"DELETE FROM audit_event WHERE seq = {target}")
    result = await verify_chain()
    assert not result.ok
    assert result.problem.seq == target + 1
    assert f"нет записи № {target}" in result.problem.message


async def test_reordered_rows_are_named(db):
    base = await _base()
    await write_events(6)
    a, b = base + 2, base + 4
    parked = 10**9  # a free number to swap through (seq must stay positive)
    tamper(db, f"UPDATE audit_event SET seq = {parked} WHERE seq = {a}; "
               f"UPDATE audit_event SET seq = {a} WHERE seq = {b}; "
               f"UPDATE audit_event SET seq = {b} WHERE seq = {parked}")
    result = await verify_chain()
    assert not result.ok
    assert result.problem.seq == a


def _stray_row(seq: int) -> str:
    """SQL for a well-formed row that sits outside the chain's numbering (1, 2, 3 …)."""
    return ("INSERT INTO audit_event (seq, at, actor_id, actor_name, address, action, object_type, "
            "object_id, old, new, reason, prev_hash, hash) VALUES "
            f"({seq}, '2026-11-23 10:00:00+00:00', NULL, 'x', '', 'x.y', '', '', '', '', '', "
            f"'{GENESIS}', '{GENESIS}')")


@pytest.mark.parametrize("seq", [0, -1])
async def test_database_refuses_rows_outside_the_numbering(db, seq):
    """R-SEC-3: the chain counts from 1; even the database's owner cannot add row № 0 or −1."""
    await write_events(2)
    with pytest.raises(Exception, match="seq"):
        tamper(db, _stray_row(seq))
    assert await AuditEvent.count().where(AuditEvent.seq <= 0).run() == 0


@pytest.mark.parametrize("seq", [0, -1])
async def test_row_outside_the_numbering_is_named(db, seq):
    """R-SEC-3: a row numbered 0 or −1 in a database without the constraint (dropped by its
    owner, or restored from an old dump) does not pass: the walk starts at № 1 and the number
    of rows must equal the last number."""
    base = await _base()
    await write_events(3)
    drop = ("ALTER TABLE audit_event DROP CONSTRAINT IF EXISTS audit_event_seq_positive"
            if db.kind == "postgres" else
            "DROP TRIGGER IF EXISTS audit_event_seq_positive_insert; "
            "DROP TRIGGER IF EXISTS audit_event_seq_positive_update")
    tamper(db, f"{drop}; {_stray_row(seq)}")
    result = await verify_chain()
    assert not result.ok
    assert result.problem.seq == seq
    assert f"запись № {seq}" in result.problem.message and "вне цепочки" in result.problem.message
    assert result.count == base + 3


async def test_rewritten_history_passes_the_chain_but_not_the_checkpoint(db, tmp_path):
    """Someone with full database access rewrites a row and re-hashes everything after it:
    the chain alone looks whole; the signed checkpoint taken before exposes it."""
    await write_events(4)
    key = ensure_installation_key(tmp_path / "keys")
    head = await verify_chain()
    cp = Checkpoint(head.count, head.last_hash, datetime.now(UTC), fingerprint(key.public_key()), "Школа")
    path = write_checkpoint(cp, key, tmp_path / "cp")

    rows = await AuditEvent.select().order_by(AuditEvent.seq).run()
    prev = GENESIS
    statements = []
    for row in rows:
        if row["seq"] == 2:
            row["reason"] = "переписано"
        row["prev_hash"] = prev
        row["hash"] = row_hash(row)
        prev = row["hash"]
        statements.append(
            f"UPDATE audit_event SET reason = '{row['reason']}', prev_hash = '{row['prev_hash']}', "
            f"hash = '{row['hash']}' WHERE seq = {row['seq']}")
    tamper(db, "; ".join(statements))

    assert (await verify_chain()).ok  # the chain by itself cannot tell
    checkpoint = read_checkpoint(path, key.public_key())
    result = await verify_chain([checkpoint])
    assert not result.ok
    assert "переписан" in result.problem.message


async def test_truncated_tail_is_caught_by_checkpoint(db, tmp_path):
    await write_events(5)
    key = ensure_installation_key(tmp_path / "keys")
    head = await verify_chain()
    cp = Checkpoint(head.count, head.last_hash, datetime.now(UTC), fingerprint(key.public_key()), "Школа")
    tamper(db, f"DELETE FROM audit_event WHERE seq > {head.count - 2}")
    assert (await verify_chain()).ok
    result = await verify_chain([cp])
    assert not result.ok
    assert "удалены" in result.problem.message


def test_forged_checkpoint_is_refused(tmp_path):
    key = ensure_installation_key(tmp_path / "keys")
    cp = Checkpoint(10, "ab" * 32, datetime.now(UTC), fingerprint(key.public_key()), "Школа")
    path = write_checkpoint(cp, key, tmp_path / "cp")
    path.write_bytes(path.read_bytes().replace(b"10\n", b"11\n", 1))
    with pytest.raises(CheckpointError, match="подпись не сходится"):
        read_checkpoint(path, key.public_key())
    other = ensure_installation_key(tmp_path / "other")
    with pytest.raises(CheckpointError):
        read_checkpoint(write_checkpoint(cp, key, tmp_path / "cp2"), other.public_key())


def test_installation_key_is_private_and_stable(tmp_path):
    key = ensure_installation_key(tmp_path / "keys")
    again = ensure_installation_key(tmp_path / "keys")
    assert fingerprint(key.public_key()) == fingerprint(again.public_key())
    assert (tmp_path / "keys" / "installation.key").stat().st_mode & 0o777 == 0o600


def test_lost_key_is_not_replaced_silently(tmp_path):
    ensure_installation_key(tmp_path / "keys")
    (tmp_path / "keys" / "installation.key").unlink()
    with pytest.raises(CheckpointError, match="пропал"):
        ensure_installation_key(tmp_path / "keys")
