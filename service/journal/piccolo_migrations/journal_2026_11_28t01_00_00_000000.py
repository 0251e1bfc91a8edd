"""Indexes the journal grid reads by (issue 9 item 12): a journal's lessons of a period — by
class or group, subject and date, not by date alone, which in a school of 88 classes scanned a
quarter's 20,000 lessons to find 23 — and a journal's period finals."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "journal grid indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="journal", description=DESCRIPTION)

    async def grid_indexes():
        engine = engine_finder()
        for sql in (
            "CREATE INDEX lesson_class_journal ON lesson (school_class, subject, on_date)",
            "CREATE INDEX lesson_group_journal ON lesson (study_group, subject, on_date)",
            "CREATE INDEX final_grade_class_journal ON final_grade (school_class, subject, period)",
            "CREATE INDEX final_grade_group_journal ON final_grade (study_group, subject, period)",
        ):
            await engine.run_ddl(sql)

    manager.add_raw(grid_indexes)
    return manager
