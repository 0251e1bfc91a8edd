"""Import first in a benchmark: the process gets settings of its own (a temporary var/ and a
boot SQLite file), nothing from the machine's /etc/ezh or EZH_* environment. The temporary
folder goes when the bench's process ends (an L school's run leaves hundreds of MB there)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="ezh-bench-"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
for _key in [k for k in os.environ if k.startswith("EZH_")]:
    del os.environ[_key]
os.environ["EZH_CONFIG"] = os.devnull  # not /etc/ezh/ezh.toml, even where the machine has one
os.environ["EZH_VAR_DIR"] = str(TMP / "var")
os.environ["EZH_DATABASE_URL"] = f"sqlite:///{TMP / 'boot.sqlite3'}"


# A service a bench starts logs as on the appliance: a JSON line for every request at INFO
# (journald there, a file here), so that line's cost is in every figure measured under load.
SERVICE_LOG_ENV = {"EZH_LOG_LEVEL": "INFO", "EZH_LOG_JSON": "true"}


def service_log():
    """The file a bench's service writes its log to (stderr), in the bench's temporary folder."""
    return open(TMP / "service.log", "ab")  # noqa: SIM115 - the server process holds it to the end
