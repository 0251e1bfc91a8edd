"""Piccolo's configuration: the engine comes from the settings; the apps from the domain declarations."""

from piccolo.conf.apps import AppRegistry

from service.db import engine_from_url
from service.domains import piccolo_apps
from service.settings import get_settings

DB = engine_from_url(get_settings().database.url)

# The domains declare their Piccolo apps (service/*/domain.py); Piccolo orders them by their
# migration dependencies.
APP_REGISTRY = AppRegistry(apps=piccolo_apps())
