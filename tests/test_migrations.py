"""Schema from real migrations (issue 3 item 4): models and migrations never drift; a migration
that fails half-way leaves the database as it was; a database newer than the code is refused."""

from __future__ import annotations

import types

import pytest
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.columns import Varchar
from piccolo.conf.apps import Finder

from service import db as dbmod

pytestmark = pytest.mark.anyio


async def test_models_and_migrations_agree(sqlite_db):
    """`piccolo migrations new <app> --auto` would write nothing: every table change has its
    migration."""
    drift = {}
    for app_config in Finder().get_app_configs():
        statements = await AutoMigrationManager(auto_input="n").get_alter_statements(app_config)
        found = [s for group in statements for s in group.statements]
        if found:
            drift[app_config.app_name] = found
    assert drift == {}, f"tables changed without a migration: {drift}"


async def test_schema_is_current_after_migrate(db):
    state = await dbmod.migration_state()
    assert state.current and state.applied


def _adds_table():
    async def forwards():
        manager = MigrationManager(migration_id="2099-01-01T00:00:00:000000", app_name="school")
        manager.add_table(class_name="HalfDone", tablename="half_done")
        manager.add_column(table_class_name="HalfDone", tablename="half_done", column_name="name",
                           db_column_name="name", column_class_name="Varchar", column_class=Varchar,
                           params={"length": 10, "default": "", "null": False, "primary_key": False,
                                   "unique": False, "index": False, "index_method": None,
                                   "choices": None, "db_column_name": None, "secret": False})
        return manager

    return types.SimpleNamespace(forwards=forwards)


def _fails():
    async def forwards():
        manager = MigrationManager(migration_id="2099-01-02T00:00:00:000000", app_name="school")

        async def explode():
            raise RuntimeError("сбой посреди миграции")

        manager.add_raw(explode)
        return manager

    return types.SimpleNamespace(forwards=forwards)


async def test_failed_migration_changes_nothing(db, monkeypatch):
    real = dbmod._migration_modules
    monkeypatch.setattr(dbmod, "_migration_modules", lambda: [
        *real(), ("school", "2099-01-01T00:00:00:000000", _adds_table()),
        ("school", "2099-01-02T00:00:00:000000", _fails())])
    before = await Migration.count().run()
    with pytest.raises(dbmod.MigrationFailed) as exc:
        await dbmod.migrate()
    assert "отменены" in str(exc.value) and "сбой посреди миграции" in str(exc.value)
    assert await Migration.count().run() == before
    table_exists = await Migration.raw(
        "SELECT 1 FROM sqlite_master WHERE name = 'half_done'" if db.kind == "sqlite"
        else "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'").run()
    assert table_exists == []


async def test_database_newer_than_code_is_refused(db):
    await Migration.insert(Migration(name="2099-12-31T00:00:00:000000", app_name="school")).run()
    state = await dbmod.migration_state()
    assert not state.current
    with pytest.raises(dbmod.MigrationFailed, match="новее программы"):
        await dbmod.migrate()
