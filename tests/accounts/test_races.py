"""Two requests at once never beat a rule (R-SEC-1), on PostgreSQL with real concurrent
connections: one account per invitation, one password per reset code, and no more password
checks than the throttle allows, however many requests arrive together."""

from __future__ import annotations

import asyncio

import pytest

from service import db as dbmod
from service.accounts import actions
from service.accounts.tables import Account, LoginAttempt
from service.audit.tables import AuditEvent
from service.audit.verify import verify_chain
from service.errors import Refused
from tests.factories import PASSWORD, SYSTEM, tiny_school

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "Сирень-и-клён-2026"


async def _together(calls) -> list:
    """Run the coroutines at once, each on its own pooled connection; refusals are results."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Refused):
            raise result
    return results


async def test_one_invitation_code_makes_one_account(pg_db):
    s = await tiny_school()
    people = [s.people[k] for k in ("parent2", "parent3", "pupil2", "pupil3")]
    codes = await actions.do_issue_invitations(SYSTEM, [(p, "parent") for p in people])
    await dbmod.start_pool(20)
    try:
        for n, person in enumerate(people):
            code = codes[(person, "parent")]
            results = await _together(actions.do_register(code, f"user{n}x{i}", NEW_PASSWORD, f"10.0.{n}.{i}")
                                      for i in range(8))
            assert sum(isinstance(r, int) for r in results) == 1, results
    finally:
        await dbmod.close_pool()
    for person in people:
        assert await Account.count().where(Account.person == person).run() == 1
    assert (await verify_chain()).ok


async def test_two_codes_of_one_person_make_one_account(pg_db):
    """A parent on the sheets of two classes holds two codes; both typed at once still give one
    account (the unique index on the account's person)."""
    await tiny_school()
    people = [await actions.do_create_person(SYSTEM, "Павлов", f"Родитель{n}") for n in range(5)]
    first = await actions.do_issue_invitations(SYSTEM, [(p, "parent") for p in people])
    second = await actions.do_issue_invitations(SYSTEM, [(p, "parent") for p in people])
    await dbmod.start_pool(10)
    try:
        for n, pid in enumerate(people):
            both = [first[(pid, "parent")], second[(pid, "parent")]]
            results = await _together(actions.do_register(code, f"pavlov{n}x{i}", NEW_PASSWORD, "10.0.0.1")
                                      for i, code in enumerate(both * 4))
            assert sum(isinstance(r, int) for r in results) == 1, results
            assert all("уже" in r.message for r in results if isinstance(r, Refused)), results
    finally:
        await dbmod.close_pool()
    for pid in people:
        assert await Account.count().where(Account.person == pid).run() == 1


async def test_one_reset_code_changes_the_password_once(pg_db):
    s = await tiny_school()
    await dbmod.start_pool(10)
    try:
        for round_ in range(5):
            code = await actions.do_issue_reset_code(SYSTEM, s.users["uchitel"])
            results = await _together(
                actions.do_reset_password("uchitel", code, f"Новый-пароль-{round_}-{i}", f"10.0.{round_}.{i}")
                for i in range(8))
            assert sum(r is None for r in results) == 1, results
            # the twins that found the code used counted as failed guesses of this login; the
            # next round comes after the throttle's quarter hour
            await LoginAttempt.delete().where(LoginAttempt.kind == "reset").run()
    finally:
        await dbmod.close_pool()
    resets = await AuditEvent.count().where(AuditEvent.action == "accounts.password_reset").run()
    assert resets == 5


async def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(pg_db, monkeypatch):
    """Seen: 30 wrong passwords at once got 30 password checks against a limit of 5."""
    await tiny_school()
    checks = []
    real = actions._password_matches

    async def counted(stored: str, password: str) -> bool:
        checks.append(password)
        return await real(stored, password)

    monkeypatch.setattr(actions, "_password_matches", counted)
    await dbmod.start_pool(31)
    try:
        results = await _together(actions.do_login("klruk", f"не тот пароль {i}", "10.0.0.5")
                                  for i in range(30))
    finally:
        await dbmod.close_pool()
    assert all(isinstance(r, Refused) for r in results)
    assert len(checks) <= 5, f"{len(checks)} password checks"
    assert sum("Слишком много" in r.message for r in results) >= 25
    failed = await LoginAttempt.count().where(LoginAttempt.success.eq(False)).run()
    assert failed == len(checks)
    # the right password now waits too, and costs no check
    with pytest.raises(Refused, match="Слишком много"):
        await actions.do_login("klruk", PASSWORD, "10.0.0.6")
    assert len(checks) <= 5
