"""On PostgreSQL the audit log and the access log refuse UPDATE, DELETE and TRUNCATE.

Together with the grants that ``ezh migrate`` gives the service's own role (INSERT and SELECT
only), a compromised service cannot rewrite history; the owner would have to drop triggers,
which a signed checkpoint then exposes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T11:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit tables on PostgreSQL"

APPEND_ONLY = ("audit_event", "access_log")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def protect():
        engine = engine_finder()
        if engine.engine_type != "postgres":
            return  # SQLite is the single-user demo database; it has no roles to separate
        await engine.run_ddl(
            """
            CREATE OR REPLACE FUNCTION ezh_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ezh: % is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            """
        )
        for table in APPEND_ONLY:
            # Statement-level: refused even when no row matches, and costs nothing per row.
            await engine.run_ddl(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ezh_refuse_change();"
            )

    manager.add_raw(protect)
    return manager
