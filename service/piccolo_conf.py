"""Piccolo's configuration: the engine comes from the settings; the apps in dependency order."""

from piccolo.conf.apps import AppRegistry

from service.db import engine_from_url
from service.settings import get_settings

DB = engine_from_url(get_settings().database.url)

APP_REGISTRY = AppRegistry(
    apps=[
        "service.audit.piccolo_app",
        "service.accounts.piccolo_app",
        "service.school.piccolo_app",
        "service.people.piccolo_app",
    ]
)
