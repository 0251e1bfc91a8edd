"""One account per person, and the kind of each recorded guess.

``account.person`` gets a unique index (NULLs may repeat: accounts without a person): two
registrations at once with two codes of one person made two accounts. It is written as raw SQL,
the same on both engines, because Piccolo cannot add UNIQUE to an existing SQLite column; the
model's differ does not see indexes made this way, so it reports no drift. A database where the
race already happened is refused with the logins to sort out, before anything changes.

``login_attempt.kind`` says what was guessed: a login, an invitation code, a reset code or the
current password (all are throttled alike).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-11-27T14:51:55:775335"
VERSION = "1.38.0"
DESCRIPTION = "one account per person, kinds of guesses"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def one_account_per_person():
        engine = engine_finder()
        twice = await engine.run_ddl(
            "SELECT person, login FROM account WHERE person IN "
            "(SELECT person FROM account WHERE person IS NOT NULL GROUP BY person HAVING COUNT(*) > 1) "
            "ORDER BY person, id"
        )
        if twice:
            people: dict = {}
            for row in twice:
                people.setdefault(row["person"], []).append(row["login"])
            listed = "; ".join(f"человек № {p}: {', '.join(logins)}" for p, logins in people.items())
            raise RuntimeError(
                f"у одного человека несколько учётных записей ({listed}). Оставьте каждому одну: "
                "остальные заблокируйте на странице «Пользователи» и отвяжите от человека "
                "(UPDATE account SET person = NULL WHERE login = '…'), затем повторите ezh migrate"
            )
        await engine.run_ddl("CREATE UNIQUE INDEX account_person_unique ON account (person)")

    manager.add_raw(one_account_per_person)

    manager.add_column(
        table_class_name="LoginAttempt",
        tablename="login_attempt",
        column_name="kind",
        db_column_name="kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "login",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
