from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

APP_CONFIG = AppConfig(
    app_name="records",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=table_finder(["service.records.tables"], exclude_imported=True),
    migration_dependencies=["service.messages.piccolo_app"],
    commands=[],
)
