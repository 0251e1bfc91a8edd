"""ezh — the journal web service (Litestar + Piccolo)."""

import os

# Piccolo finds its engine and apps through this module.
os.environ.setdefault("PICCOLO_CONF", "service.piccolo_conf")
