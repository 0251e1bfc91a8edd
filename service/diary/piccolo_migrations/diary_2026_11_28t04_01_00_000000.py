"""One digest per parent and day: the unique index makes a second run of `ezh digest` on the
same day record nothing twice (``INSERT … ON CONFLICT DO NOTHING``). Raw SQL: Piccolo's columns
cannot declare a composite index, and a migration's raw SQL runs before its tables are made,
so it is a migration of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T04:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one digest per parent and day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="diary", description=DESCRIPTION)

    async def one_per_day():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX digest_sent_once ON digest_sent (person, day)")

    manager.add_raw(one_per_day)
    return manager
