"""One acknowledgement per period × student × parent: the unique index makes a second (or a
concurrent) acknowledgement add nothing (``INSERT … ON CONFLICT DO NOTHING``). Raw SQL: Piccolo's
columns cannot declare a composite index, and a migration's raw SQL runs before its tables
are made, so it is a migration of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T02:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one acknowledgement per period, student and parent"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="diary", description=DESCRIPTION)

    async def one_per_parent():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX finals_acknowledgement_once "
            "ON finals_acknowledgement (period, student, parent)")

    manager.add_raw(one_per_parent)
    return manager
