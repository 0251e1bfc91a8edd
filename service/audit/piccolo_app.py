from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.audit.tables import AccessLog, AuditEvent

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[AuditEvent, AccessLog],
    migration_dependencies=[],
    commands=[],
)
