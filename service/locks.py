"""Whether a lock file is held by a run (``flock``): the maintenance run, the archive's seal and
batches each hold theirs while they work, and a page or a command asks without taking it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def held(path: Path) -> bool:
    """Whether some process holds ``path``'s exclusive lock. Read-only, so the service's own
    account may ask about a lock file root made: a shared lock is refused only while the run's
    exclusive one is held (flock locks belong to an open file, so this process's own holder
    counts as well). No file: nothing holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
