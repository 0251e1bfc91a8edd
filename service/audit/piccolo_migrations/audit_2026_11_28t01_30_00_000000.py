"""PostgreSQL: the chain's lock and its head in ONE round trip (issue 9 item 12).

Appending to the chain took three round trips while holding the chain's lock — take the lock,
read the head, insert — and every writer of the school waits for that lock. A PL/pgSQL function
takes the transaction's advisory lock and then reads the head: a volatile function's every
statement sees a fresh snapshot, so the head it returns is the one the previous holder
committed (a plain ``SELECT pg_advisory_xact_lock(…), (SELECT … head)`` would read the head as it
was when the statement began, before the wait — and fork the chain). SQLite serialises writers
with its write lock and keeps the plain read. Raw SQL: Piccolo's model differ knows no functions.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit chain head under its lock in one call"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def chain_head_function():
        engine = engine_finder()
        if engine.engine_type != "postgres":
            return
        await engine.run_ddl(
            "CREATE OR REPLACE FUNCTION audit_chain_head(lock_key bigint) "
            "RETURNS TABLE (head_seq bigint, head_hash varchar) LANGUAGE plpgsql VOLATILE AS $$ "
            "BEGIN "
            "PERFORM pg_advisory_xact_lock(lock_key); "
            "RETURN QUERY SELECT e.seq, e.hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1; "
            "END $$"
        )

    manager.add_raw(chain_head_function)
    return manager
