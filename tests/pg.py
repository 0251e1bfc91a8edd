"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl from Debian's
/usr/lib/postgresql/*/bin, listening only on a unix socket in a temporary directory.

initdb refuses to run as root (CI runs as root), so the cluster then runs as the ``postgres``
user that Debian's package created, with its directories owned by that user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                           "(apt-get install postgresql)")
    return Path(candidates[-1])


class Cluster:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="ezh-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.run_as: str | None = "postgres" if os.geteuid() == 0 else None
        self.superuser = "postgres" if self.run_as else pwd.getpwuid(os.geteuid()).pw_name

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def start(self) -> None:
        self.socket_dir.mkdir()
        if self.run_as:
            shutil.chown(self.root, self.run_as)
            shutil.chown(self.socket_dir, self.run_as)
            os.chmod(self.root, 0o755)
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(self.data), "-U",
                                 self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                                 "--no-sync"), check=True, capture_output=True)
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                                 "-l", str(self.root / "log"), "-w", "start"),
                       check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                 "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@/{database}?host={self.socket_dir}"

    def psql(self, sql: str, database: str = "postgres", user: str | None = None) -> str:
        # by its full path: a test may have narrowed PATH meanwhile
        out = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
             "-U", user or self.superuser, "-d", database, "-c", sql],
            capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return out.stdout.strip()
