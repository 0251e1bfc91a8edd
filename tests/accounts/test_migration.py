"""The migration that makes one account per person (R-SEC-1): a database where two
registrations at once already made two accounts for one person is refused with the logins to
sort out, and nothing changes; otherwise the database itself refuses a second account."""

from __future__ import annotations

import importlib

import pytest

from service.accounts import actions
from service.accounts.tables import Account
from tests.factories import PASSWORD, SYSTEM

pytestmark = pytest.mark.anyio

MIGRATION = "service.accounts.piccolo_migrations.accounts_2026_11_27t14_51_55_775335"


async def _one_account_per_person():
    manager = await importlib.import_module(MIGRATION).forwards()
    return manager.raw[0]


async def test_the_database_refuses_a_second_account_for_a_person(db):
    person = await actions.do_create_person(SYSTEM, "Павлов", "Алексей")
    await actions.do_create_user(SYSTEM, "pavlov", PASSWORD, ["parent"], person)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await Account.insert(Account(login="pavlov2", password_hash="x", person=person,
                                     created_at=actions.now())).run()
    # accounts without a person may be many
    await actions.do_create_user(SYSTEM, "nobody1", PASSWORD, ["observer"])
    await actions.do_create_user(SYSTEM, "nobody2", PASSWORD, ["observer"])


async def test_twins_made_before_the_migration_are_named(db):
    person = await actions.do_create_person(SYSTEM, "Павлов", "Алексей")
    await Account.raw("DROP INDEX account_person_unique").run()
    for login in ("pavlov", "pavlov.a"):
        await Account.insert(Account(login=login, password_hash="x", person=person,
                                     created_at=actions.now())).run()
    with pytest.raises(RuntimeError, match=f"человек № {person}: pavlov, pavlov.a"):
        await (await _one_account_per_person())()
    await Account.update({Account.person: None}).where(Account.login == "pavlov.a").run()
    await (await _one_account_per_person())()  # sorted out: the index is made
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await Account.update({Account.person: person}).where(Account.login == "pavlov.a").run()
