"""Indexes of a journal cell (lesson × student) and of finals. Raw SQL: Piccolo's columns
cannot declare a composite index. One attendance row per cell at most."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "journal cell indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="journal", description=DESCRIPTION)

    async def cell_indexes():
        engine = engine_finder()
        for sql in (
            "CREATE UNIQUE INDEX attendance_cell ON attendance (lesson, student)",
            "CREATE INDEX grade_cell ON grade (lesson, student)",
            "CREATE INDEX final_grade_journal ON final_grade (subject, kind, period)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(cell_indexes)
    return manager
