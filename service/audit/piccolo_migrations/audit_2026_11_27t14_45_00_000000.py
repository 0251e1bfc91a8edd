"""The chain is numbered 1, 2, 3 …: the database itself refuses an audit row with ``seq <= 0``.

Such a row would sit before the chain's first row, where a walk that starts at № 1 never
looks (``ezh audit verify`` also compares the number of rows with the last number, for
databases made before this migration). Written as raw SQL so that Piccolo's model differ,
which knows no CHECK constraints, sees no drift: a CHECK constraint on PostgreSQL; SQLite cannot
add a constraint to an existing table, so there two triggers do the same.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T14:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_event.seq is positive"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def refuse_non_positive_seq():
        engine = engine_finder()
        if engine.engine_type == "postgres":
            # NOT VALID: checked for every new or changed row, while rows already stored are
            # judged by `ezh audit verify`, which names them; a failed upgrade would hide them.
            await engine.run_ddl(
                "ALTER TABLE audit_event ADD CONSTRAINT audit_event_seq_positive "
                "CHECK (seq > 0) NOT VALID"
            )
            return
        for event, column in (("INSERT", ""), ("UPDATE", " OF seq")):
            await engine.run_ddl(
                f"CREATE TRIGGER audit_event_seq_positive_{event.lower()} "
                f"BEFORE {event}{column} ON audit_event WHEN NEW.seq <= 0 "
                "BEGIN SELECT RAISE(ABORT, 'ezh: audit_event.seq must be positive'); END"
            )

    manager.add_raw(refuse_non_positive_seq)
    return manager
